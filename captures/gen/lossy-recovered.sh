#!/bin/bash
# captures/next negative control: random loss that TCP repairs.  r1 drops 2 %
# of everything it forwards, both directions (iptables -m statistic --mode
# random --probability 0.02, before the NFQUEUE delay rule), 10 ms each way
# at r1.  3 connections x 5 request/responses (2000 B, 0.1 s apart, FIN),
# the last one ends with a 2 MB download the server closes with FIN.
. "$(dirname "$0")/next-lib.sh"
N=lossy-recovered
trap cl_teardown EXIT
cl_setup 1500
cl_ttl 64 64
nsx $NS_R1 iptables -A FORWARD -m statistic --mode random --probability 0.02 -j DROP
cl_delay $NS_R1 10
nx_srv $S4 8080 --lifetime 50
cl_cap_start $N
nx_cli 50 $S4 8080 --conns 3 --reqs 5 --size 2000 --gap 0.1 --conn-gap 0.3 --close fin --bulk 2097152
sleep 2
cl_cap_stop $N
cl_delay_stop
nsx $NS_R1 iptables -L FORWARD -v -n -x >&2
nx_truth $N "desc=Lossy path, recovered (negative control): r1 drops 2 % at random both ways, 3 connections x 5 request/responses + 2 MB download, every connection ends FIN/FIN" \
    family=4 proto=tcp link_mtu=1500 icmp_blocked=no df=yes client_ttl=64 server_ttl=64 fw=none fw_timeout= keepalive=off push_idle= gaps=0.1 \
    loss=random loss_probability=0.02 loss_where=r1-forward-both delay_ms=10 expect_cause=none
