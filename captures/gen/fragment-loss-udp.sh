#!/bin/bash
# Scenario 6: UDP fragment loss.  Sender (cl_c, DF clear) sends 30 x 3000 B
# datagrams 50 ms apart; r1 drops every 3rd non-first fragment; the receiver
# (cl_s, ipfrag_time=2) sends ICMP time-exceeded/reassembly back.
. "$(dirname "$0")/lib.sh"
N=fragment-loss-udp
trap cl_teardown EXIT
cl_setup 1492
nsx $NS_R1 iptables -A FORWARD -f -m statistic --mode nth --every 3 --packet 0 -j DROP
nsx $NS_S sysctl -qw net.ipv4.ipfrag_time=2
cl_cap_start $N
cl_bg RCV $NS_S "$GEN_DIR/udpapp.py" recv 10.91.3.2 9000 30 4
cl_wait_listen $NS_S 9000 udp
nsx $NS_C timeout 20 "$GEN_DIR/udpapp.py" send 10.91.3.2 9000 30 3000 0.05 40000
cl_wait "$RCV" 10
sleep 1
cl_cap_stop $N
for v in client server; do
    cl_truth $N $v "desc=UDP fragment loss: 30 x 3000 B datagrams (DF clear) fragmented, r1 drops every 3rd non-first fragment, receiver ipfrag_time=2 sends ICMP 11/1" \
        family=4 proto=udp link_mtu=1492 icmp_blocked=no df=no expect_cause=fragment-loss
done
