#!/bin/bash
# Scenario 5a: IPv6 PMTUD black hole, download.  Bottleneck r1-r2 MTU 1400;
# r2 drops its own ICMPv6 Packet Too Big; client aborts (RST) after 5 s.
. "$(dirname "$0")/lib.sh"
N=pmtud-blackhole-download-v6
trap cl_teardown EXIT
cl_setup 1400
nsx $NS_R2 ip6tables -A OUTPUT -p icmpv6 --icmpv6-type packet-too-big -j DROP
cl_cap_start $N
cl_tcp_run 6 download 204800
cl_cap_stop $N
for v in client server; do
    # Next to the client nothing after the server's small header arrives: only silence and the
    # client's RST, which cannot tell a black hole from a silent server. connlost must not guess.
    expect=pmtud-blackhole; [ $v = client ] && expect=none
    cl_truth $N $v "desc=IPv6 PMTUD black hole, download: 200 KB over a 1400-MTU link, ICMPv6 Packet Too Big dropped at r2 (ip6tables OUTPUT), client aborts with RST after 5 s" \
        family=6 proto=tcp link_mtu=1400 icmp_blocked=yes df=yes expect_cause=$expect
done
