#!/bin/bash
# Scenario 8 (negative control): 30 x 3000 B UDP datagrams (DF clear),
# fragmented, nothing dropped, all reassembled by the receiver.
. "$(dirname "$0")/lib.sh"
N=fragments-ok
trap cl_teardown EXIT
cl_setup 1492
nsx $NS_S sysctl -qw net.ipv4.ipfrag_time=2
cl_cap_start $N
cl_bg RCV $NS_S "$GEN_DIR/udpapp.py" recv 10.91.3.2 9000 30 4
cl_wait_listen $NS_S 9000 udp
nsx $NS_C timeout 20 "$GEN_DIR/udpapp.py" send 10.91.3.2 9000 30 3000 0.05 40000
cl_wait "$RCV" 10
sleep 1
cl_cap_stop $N
for v in client server; do
    cl_truth $N $v "desc=Fragments OK (negative control): 30 x 3000 B UDP datagrams (DF clear) fragmented over a 1492-MTU link, nothing dropped, all reassembled" \
        family=4 proto=udp link_mtu=1492 icmp_blocked=no df=no expect_cause=none
done
