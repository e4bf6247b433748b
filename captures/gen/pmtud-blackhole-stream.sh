#!/bin/bash
# Scenario 3: PMTUD black hole, streamed response.  The server writes small
# chunks (200-400 B / 20 ms) and every 25th write a large one (4-8 KB); small
# segments pass (and are SACKed as dup ACKs above the hole), full-size ones are
# lost at r2 whose ICMP frag-needed is dropped.  r1 adds 50 ms delay each way.  Client aborts (RST) after 5 s.
. "$(dirname "$0")/lib.sh"
N=pmtud-blackhole-stream
trap cl_teardown EXIT
cl_setup 1492
nsx $NS_R2 iptables -A OUTPUT -p icmp --icmp-type fragmentation-needed -j DROP
# 50 ms each way on r1 (NFQUEUE, gen/nfq-delay.c): RTT 100 ms, so several small
# segments are in flight above the hole before the server reacts
cl_delay $NS_R1 50
cl_cap_start $N
cl_tcp_run 4 stream 8
cl_cap_stop $N
cl_delay_stop
for v in client server; do
    cl_truth $N $v "desc=PMTUD black hole, streamed download (small chunks + occasional 4-8 KB writes) over a 1492-MTU link, ICMP frag-needed dropped at r2, client aborts with RST after 5 s" \
        family=4 proto=tcp link_mtu=1492 icmp_blocked=yes df=yes expect_cause=pmtud-blackhole
done
