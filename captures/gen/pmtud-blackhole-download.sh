#!/bin/bash
# Scenario 1: PMTUD black hole, download.  r2 (forwards server->client into
# the 1492 link) drops its own ICMP frag-needed; the server's 1500-byte DF
# segments vanish; the client aborts with RST after 5 s without progress.
. "$(dirname "$0")/lib.sh"
N=pmtud-blackhole-download
trap cl_teardown EXIT
cl_setup 1492
nsx $NS_R2 iptables -A OUTPUT -p icmp --icmp-type fragmentation-needed -j DROP
cl_cap_start $N
cl_tcp_run 4 download 204800
cl_cap_stop $N
for v in client server; do
    # Next to the client nothing after the server's small header arrives: only silence and the
    # client's RST, which cannot tell a black hole from a silent server. connlost must not guess.
    expect=pmtud-blackhole; [ $v = client ] && expect=none
    cl_truth $N $v "desc=PMTUD black hole, download: 200 KB over a 1492-MTU link, ICMP frag-needed dropped at r2 (iptables OUTPUT), client aborts with RST after 5 s" \
        family=4 proto=tcp link_mtu=1492 icmp_blocked=yes df=yes expect_cause=$expect
done
