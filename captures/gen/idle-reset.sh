#!/bin/bash
# Idle timeout at a stateful firewall, answered with RST.  r1 tracks
# connections (conntrack, established timeout 2 s, tcp_loose=0) and REJECTs
# INVALID TCP with a forged RST (TTL 64); 20 ms delay each way at r1 (RTT
# ~40 ms, the forged RST comes back within ~1 ms).  The client (TTL 128,
# Windows-like) runs request/response after gaps 0.5, 1.0, 1.5, 3.0 s; after
# the 3 s gap the firewall has forgotten the connection and resets the
# request; the client reconnects at once (4 times), then one clean
# connection.  The server (TTL 64) pushes 150 B after 3.5 s without a request;
# the push meets a forged RST too.
. "$(dirname "$0")/lib.sh"
N=idle-reset
trap cl_teardown EXIT
cl_setup 1500
cl_ttl 128 64
cl_fw $NS_R1 reject 2
cl_delay $NS_R1 20 85
cl_cap_start $N
cl_idle_run "--conns 5 --push-idle 3.5" "--mode sched --fail 4 --gaps 0.5,1.0,1.5,3.0"
cl_cap_stop $N
cl_delay_stop
for v in client server; do
    case $v in
        client) ex=keepalive_missing,periodic_disconnect,middlebox_reset;;
        server) ex=keepalive_missing,periodic_disconnect,middlebox_reset;;
    esac
    cl_truth $N $v "desc=Idle reset by a stateful firewall: conntrack established timeout 2 s at r1, INVALID answered with a forged RST; client request/response after gaps 0.5/1.0/1.5/3.0 s, the post-3 s request is reset, reconnect (4x), final clean connection; server push after 3.5 s idle is reset too" \
        family=4 proto=tcp link_mtu=1500 icmp_blocked=no df=yes \
        client_ttl=128 server_ttl=64 fw=reject fw_timeout=2 keepalive=off push_idle=3.5 \
        gaps=0.5,1.0,1.5,3.0 expect_cause=idle-reset expect_experts=$ex
done
