#!/bin/bash
# Scenario 7: TCP over lossy fragmentation.  Download 200 KB; the server
# (cl_s) has ip_no_pmtu_disc=1 so its 1500-byte segments carry DF=0 and r2
# fragments them into the 1492 link; r1 (after the bottleneck) drops every 4th
# non-first fragment; the client (ipfrag_time=2) sends ICMP 11/1; TCP retransmits.
. "$(dirname "$0")/lib.sh"
N=fragment-loss-tcp
trap cl_teardown EXIT
cl_setup 1492
nsx $NS_S sysctl -qw net.ipv4.ip_no_pmtu_disc=1
nsx $NS_C sysctl -qw net.ipv4.ipfrag_time=2
nsx $NS_R1 iptables -A FORWARD -f -m statistic --mode nth --every 4 --packet 0 -j DROP
cl_cap_start $N
cl_tcp_run 4 download 204800
sleep 3
cl_cap_stop $N
for v in client server; do
    cl_truth $N $v "desc=TCP fragment loss: 200 KB download, server DF clear (ip_no_pmtu_disc=1), r2 fragments into the 1492 link, r1 drops every 4th non-first fragment, client ipfrag_time=2" \
        family=4 proto=tcp link_mtu=1492 icmp_blocked=no df=no expect_cause=fragment-loss
done
