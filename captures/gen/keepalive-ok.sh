#!/bin/bash
# Negative control: the same firewall as idle-reset (conntrack established
# timeout 2 s, INVALID answered with a forged RST, 20 ms each way at r1), but
# the client (TTL 128) enables TCP keep-alive with TCP_KEEPIDLE=1
# TCP_KEEPINTVL=1 TCP_KEEPCNT=3: during a 6 s idle a keep-alive goes out about
# every second, is acknowledged and keeps the conntrack entry alive; the
# request after the idle is answered and the connection closes with FIN/FIN.
# Server TTL 64, no push.
. "$(dirname "$0")/lib.sh"
N=keepalive-ok
trap cl_teardown EXIT
cl_setup 1500
cl_ttl 128 64
cl_fw $NS_R1 reject 2
cl_delay $NS_R1 20
cl_cap_start $N
cl_idle_run "--conns 1" "--mode once --gaps 6 --keepalive 1/1/3"
cl_cap_stop $N
cl_delay_stop
for v in client server; do
    cl_truth $N $v "desc=Negative control: stateful firewall with a 2 s established timeout at r1 (forged RST on INVALID), client keep-alive every 1 s (1/1/3) keeps the connection through a 6 s idle, request/response, FIN/FIN" \
        family=4 proto=tcp link_mtu=1500 icmp_blocked=no df=yes \
        client_ttl=128 server_ttl=64 fw=reject fw_timeout=2 keepalive=1/1/3 push_idle= \
        gaps=6 expect_cause=none expect_experts=
done
