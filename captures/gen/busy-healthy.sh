#!/bin/bash
# captures/next negative control: one busy capture where every connection is
# healthy.  Windows-like client (cl_c: TTL 128, tcp_timestamps=0), Linux
# server (TTL 64, server closes keep-alive connections after 4 s idle, sends
# responses >= 100 KB paced at ~100 KB/s), r1: 0.5 % random loss both ways
# (before the NFQUEUE rule) and 10 ms each way.  Snaplen 200.  Clients, all at
# once (gen/nextapp.py):
#   persistent  4 x 6 connections, 10 request/responses (4000 B, 0.5 s apart),
#               then idle until the server's FIN (client answers FIN)
#   rst-close   6 x 40 connections, 2 request/responses (1500 B), then
#               SO_LINGER {1,0} right after the last response (RST)
#   fin-close   2 x 30 connections, 1 request/response, client FIN
#   heartbeat   2 connections, 7 request/responses 8 s apart, PING/PONG
#               (100 B / 32 B) every 2 s in between, client FIN
#   bulk        from t=40 s one 6 MB paced download (~100 KB/s)
# The capture stops (tcpdump killed) at t=70 s, in the middle of the bulk
# transfer and of many other connections.
. "$(dirname "$0")/next-lib.sh"
N=busy-healthy
CL_SNAPLEN=200
trap cl_teardown EXIT
cl_setup 1500
cl_ttl 128 64
nsx $NS_C sysctl -qw net.ipv4.tcp_timestamps=0
[ "$(nsx $NS_C sysctl -n net.ipv4.tcp_timestamps)" = 0 ] || { echo "tcp_timestamps not set" >&2; exit 1; }
nsx $NS_R1 iptables -A FORWARD -m statistic --mode random --probability 0.005 -j DROP
cl_delay $NS_R1 10 110
nx_srv $S4 8080 --idle-close 4 --pace 100000 --lifetime 110
cl_cap_start $N
T_START=$(date +%s.%N)
nx_cli_bg C_PERS 100 $S4 8080 --parallel 4 --conns 6 --reqs 10 --size 4000 --gap 0.5 --close wait --hold 6 --conn-gap 0.5 --lifetime 95
nx_cli_bg C_RST  100 $S4 8080 --parallel 6 --conns 40 --reqs 2 --size 1500 --gap 0.05 --close rst --conn-gap 1.0 --jitter 0.6 --lifetime 95
nx_cli_bg C_FIN  100 $S4 8080 --parallel 2 --conns 30 --reqs 1 --size 1200 --close fin --conn-gap 1.5 --jitter 0.5 --lifetime 95
nx_cli_bg C_HB   100 $S4 8080 --parallel 2 --conns 1 --reqs 7 --size 800 --gap 8 --heartbeat 2 --close fin --lifetime 95
sleep 40
nx_cli_bg C_BULK 70 $S4 8080 --reqs 1 --size 500 --bulk 6000000 --lifetime 65
sleep 30
# stop the capture in the middle of the transfer (cl_cap_stop waits 1 s, then kills tcpdump)
cl_cap_stop $N
echo "capture stopped $(echo "$(date +%s.%N) - $T_START" | bc) s after start" >&2
for p in $C_BULK $C_PERS $C_RST $C_FIN $C_HB; do cl_wait "$p" 1; done
cl_delay_stop
nsx $NS_R1 iptables -L FORWARD -v -n -x >&2
nx_truth $N "desc=Busy healthy capture (negative control): ~330 connections in 70 s (persistent request/response closed by the server after 4 s idle, client RST after the last answer, client FIN, heartbeats, one paced 6 MB download cut by the end of the capture), 0.5 % random loss at r1, Windows-like client, Linux server, snaplen 200" \
    family=4 proto=tcp link_mtu=1500 icmp_blocked=no df=yes client_ttl=128 server_ttl=64 fw=none fw_timeout= keepalive=off push_idle= gaps= \
    client_timestamps=0 loss=random loss_probability=0.005 delay_ms=10 server_idle_close=4 snaplen=200 capture_cut=mid-transfer expect_cause=none
