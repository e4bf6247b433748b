#!/bin/bash
# captures/next path MTU control: a big segment lost twice, then delivered;
# no MTU problem (1500 everywhere, server tcp_mtu_probing=1 as in
# pmtud-blackhole-probing).  The server (gen/nextapp.py --marker 150000)
# writes the 8-byte marker "LOSE1ME!" at offset 150000 of a 400 KB download;
# r1 drops the first two packets containing it (iptables -m string --algo bm
# with -m quota --quota 3000, i.e. two 1500-byte packets): the original
# full-size segment and its first retransmission; the next retransmission
# (full size) passes and is acknowledged; FIN/FIN.  20 ms each way at r1.
. "$(dirname "$0")/next-lib.sh"
N=lossy-bigsegment
CL_EXTRA_FACTS="$GEN_DIR/pmtu-facts.sh 1500"
trap cl_teardown EXIT
cl_setup 1500
cl_ttl 64 64
nsx $NS_S sysctl -qw net.ipv4.tcp_mtu_probing=1
nsx $NS_R1 iptables -A FORWARD -p tcp -m string --string 'LOSE1ME!' --algo bm -m quota --quota 3000 -j DROP
cl_delay $NS_R1 20 70
nx_srv $S4 8080 --marker 150000 --lifetime 40
cl_cap_start $N
nx_cli 40 $S4 8080 --reqs 1 --size 500 --bulk 409600 --lifetime 35
sleep 1
cl_cap_stop $N
cl_delay_stop
nsx $NS_R1 iptables -L FORWARD -v -n -x >&2
nx_truth $N "desc=Lossy path, big segment lost twice (control for PMTUD): 400 KB download, r1 drops the full-size segment holding a marker and its first retransmission, the second retransmission (full size) is acknowledged, FIN/FIN; no MTU problem" \
    family=4 proto=tcp link_mtu=1500 icmp_blocked=no df=yes client_ttl=64 server_ttl=64 fw=none fw_timeout= keepalive=off push_idle= gaps= \
    delay_ms=20 server_tcp_mtu_probing=1 drop=marker-segment-twice expect_cause=none
