#!/bin/bash
# Idle timeout at a stateful firewall that drops silently.  r1: conntrack
# (established timeout 2 s, tcp_loose=0), INVALID TCP dropped; 20 ms delay each
# way at r1.  Client (TTL 64) request/response after gaps 0.5, 1.0, 1.5,
# 3.0 s; the post-3 s request is lost, retransmitted with backoff, and the
# client aborts with RST after 3 s (that RST is dropped at r1 too, seen only
# at c0); it reconnects at once (4 times), then one clean connection.  The
# server (TTL 128) pushes 150 B after 3.5 s without a request; the push is
# retransmitted and the server aborts with RST after 3 s.
. "$(dirname "$0")/lib.sh"
N=idle-drop
trap cl_teardown EXIT
cl_setup 1500
cl_ttl 64 128
cl_fw $NS_R1 drop 2
cl_delay $NS_R1 20 85
cl_cap_start $N
cl_idle_run "--conns 5 --push-idle 3.5" "--mode sched --fail 4 --gaps 0.5,1.0,1.5,3.0"
cl_cap_stop $N
cl_delay_stop
for v in client server; do
    cl_truth $N $v "desc=Idle drop by a stateful firewall: conntrack established timeout 2 s at r1, INVALID dropped silently; client request/response after gaps 0.5/1.0/1.5/3.0 s, the post-3 s request is retransmitted and the client aborts with RST after 3 s, reconnect (4x), final clean connection; server push after 3.5 s idle is retransmitted, server aborts with RST after 3 s" \
        family=4 proto=tcp link_mtu=1500 icmp_blocked=no df=yes \
        client_ttl=64 server_ttl=128 fw=drop fw_timeout=2 keepalive=off push_idle=3.5 \
        gaps=0.5,1.0,1.5,3.0 expect_cause=idle-drop expect_experts=keepalive_missing,periodic_disconnect
done
