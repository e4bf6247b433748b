#!/bin/bash
# Path dies mid-connection: plain forwarding (no conntrack), 20 ms each way at
# r1, TTL 64 on both hosts.  The client polls (100 B request every 100 ms,
# 200 B response each); about 2 s into the connection the generator inserts
# "iptables -I FORWARD 1 -j DROP" in r1.  Both sides retransmit their
# unacknowledged data with backoff (the server has a 150 B push, sent after
# 0.5 s without a request, so it always has data outstanding); the client
# aborts with RST after 3 s without a response, the server after 3 s without
# a request.  Both RSTs are dropped at r1.
. "$(dirname "$0")/lib.sh"
N=retransmission-timeout
trap cl_teardown EXIT
cl_setup 1500
cl_ttl 64 64
cl_delay $NS_R1 20
cl_cap_start $N
cl_bg SRV_PID $NS_S /usr/bin/python3 "$GEN_DIR/idleapp.py" server $S4 8080 --conns 1 --push-idle 0.5 --req-stall 3
cl_wait_listen $NS_S 8080
cl_bg CLI_PID $NS_C timeout 60 /usr/bin/python3 "$GEN_DIR/idleapp.py" client $S4 8080 --mode poll --duration 15
sleep 2
nsx $NS_R1 iptables -I FORWARD 1 -j DROP
echo "r1: FORWARD DROP inserted" >&2
cl_wait "$CLI_PID" 30
cl_wait "$SRV_PID" 30
cl_cap_stop $N
cl_delay_stop
for v in client server; do
    cl_truth $N $v "desc=Retransmission timeout: client polls every 100 ms (no firewall state), after ~2 s r1 drops everything forwarded; both sides retransmit with backoff, client aborts with RST after 3 s without a response, server (push after 0.5 s idle) aborts with RST after 3 s without a request" \
        family=4 proto=tcp link_mtu=1500 icmp_blocked=no df=yes \
        client_ttl=64 server_ttl=64 fw=none fw_timeout= keepalive=off push_idle=0.5 \
        gaps=0.1 expect_cause=retransmission-timeout expect_experts=
done
