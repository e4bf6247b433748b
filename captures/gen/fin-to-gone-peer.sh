#!/bin/bash
# captures/next negative control: FIN into a vanished peer.  20 ms each way
# at r1.  One connection, 2 request/responses (2000 B, 0.2 s apart); about
# 1.5 s later the generator inserts "iptables -I FORWARD 1 -j DROP" in r1 (the
# server host is gone for the client); at ~3.4 s the client closes (FIN); the
# FIN is retransmitted with back-off into silence; capture runs 20 s beyond.
. "$(dirname "$0")/next-lib.sh"
N=fin-to-gone-peer
trap cl_teardown EXIT
cl_setup 1500
cl_ttl 64 64
cl_delay $NS_R1 20
nx_srv $S4 8080 --lifetime 60
cl_cap_start $N
nx_cli_bg CLI 30 $S4 8080 --reqs 2 --size 2000 --gap 0.2 --close wait --hold 3
sleep 1.5
nsx $NS_R1 iptables -I FORWARD 1 -j DROP
echo "r1: FORWARD DROP inserted" >&2
cl_wait "$CLI" 10
sleep 20
cl_cap_stop $N
cl_delay_stop
nx_truth $N "desc=FIN to a gone peer (negative control): request/responses complete, then r1 drops everything; the client's FIN is retransmitted with back-off into silence for 20 s" \
    family=4 proto=tcp link_mtu=1500 icmp_blocked=no df=yes client_ttl=64 server_ttl=64 fw=none fw_timeout= keepalive=off push_idle= gaps=0.2 \
    path_cut_after_s=1.5 path_cut=r1-forward-drop-all expect_cause=none
