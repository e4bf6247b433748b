#!/bin/bash
# captures/next negative control: port reuse answered by a challenge ACK
# (RFC 5961).  20 ms each way at r1.  Connection 1 from fixed source port
# 40001: 2 request/responses, then the client aborts (SO_LINGER {1,0}); r1
# drops that RST (rule "-i r1a -p tcp --tcp-flags RST RST -j DROP", removed
# right after), so the server stays ESTABLISHED.  1 s later connection 2 from
# the same port: the server answers the SYN with a challenge ACK, the
# client's kernel answers it with a RST (which resets the stale server
# socket) and retransmits its SYN after the minimal timeout (~10 ms,
# TCP_TIMEOUT_MIN), which succeeds: 2 request/responses, FIN/FIN.
. "$(dirname "$0")/next-lib.sh"
N=challenge-ack
trap cl_teardown EXIT
cl_setup 1500
cl_ttl 64 64
cl_delay $NS_R1 20
nx_srv $S4 8080 --lifetime 40
cl_cap_start $N
nsx $NS_R1 iptables -I FORWARD 1 -i r1a -p tcp --tcp-flags RST RST -j DROP
nx_cli 15 $S4 8080 --sport 40001 --reqs 2 --size 2000 --gap 0.2 --close rst
sleep 0.3
nsx $NS_R1 iptables -L FORWARD -v -n -x >&2
nsx $NS_R1 iptables -D FORWARD -i r1a -p tcp --tcp-flags RST RST -j DROP
nsx $NS_S ss -tn "sport = :8080" >&2
sleep 1
nx_cli 15 $S4 8080 --sport 40001 --reqs 2 --size 2000 --gap 0.2 --close fin
sleep 1
cl_cap_stop $N
cl_delay_stop
nx_truth $N "desc=Challenge ACK on port reuse (negative control): the client's abortive RST is lost at r1, the client reconnects from the same port 40001, the half-open server answers with a challenge ACK, the client RSTs it and its retransmitted SYN succeeds" \
    family=4 proto=tcp link_mtu=1500 icmp_blocked=no df=yes client_ttl=64 server_ttl=64 fw=none fw_timeout= keepalive=off push_idle= gaps=0.2 \
    client_sport=40001 dropped_at_r1=first-client-rst expect_cause=none
