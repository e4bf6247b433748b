#!/bin/bash
# Scenario 2: PMTUD black hole, upload.  r1 (forwards client->server into the
# 1492 link) drops its own ICMP frag-needed; the client hello/banner pass, the
# 200 KB upload in 1500-byte DF segments vanishes; client aborts (RST) after 5 s.
. "$(dirname "$0")/lib.sh"
N=pmtud-blackhole-upload
trap cl_teardown EXIT
cl_setup 1492
nsx $NS_R1 iptables -A OUTPUT -p icmp --icmp-type fragmentation-needed -j DROP
cl_cap_start $N
cl_tcp_run 4 upload 204800
cl_cap_stop $N
for v in client server; do
    cl_truth $N $v "desc=PMTUD black hole, upload: 200 KB client->server over a 1492-MTU link, ICMP frag-needed dropped at r1 (iptables OUTPUT), client aborts with RST after 5 s" \
        family=4 proto=tcp link_mtu=1492 icmp_blocked=yes df=yes expect_cause=pmtud-blackhole
done
