#!/bin/bash
# Keep-alive too sparse for the firewall: conntrack established timeout 2 s at
# r1, INVALID answered with a forged RST, 20 ms each way at r1.  Client (TTL 64)
# keep-alive TCP_KEEPIDLE=3 TCP_KEEPINTVL=1 TCP_KEEPCNT=3: the first probe (3 s
# into a 6 s idle) meets the forged RST; the client's request after the idle
# fails locally (ECONNRESET, nothing sent).  The server (TTL 64) pushes 150 B
# after 4.5 s without a request; the push meets a forged RST too.
. "$(dirname "$0")/lib.sh"
N=keepalive-sparse
trap cl_teardown EXIT
cl_setup 1500
cl_ttl 64 64
cl_fw $NS_R1 reject 2
cl_delay $NS_R1 20
cl_cap_start $N
cl_idle_run "--conns 1 --push-idle 4.5" "--mode once --gaps 6 --keepalive 3/1/3"
cl_cap_stop $N
cl_delay_stop
for v in client server; do
    case $v in
        client) ex=keepalive_too_sparse,middlebox_reset;;
        server) ex=keepalive_missing,middlebox_reset;;
    esac
    cl_truth $N $v "desc=Keep-alive too sparse: firewall established timeout 2 s at r1 (forged RST on INVALID), client keep-alive 3/1/3, the first probe after 3 s idle is reset by r1; server push after 4.5 s idle is reset by r1 too" \
        family=4 proto=tcp link_mtu=1500 icmp_blocked=no df=yes \
        client_ttl=64 server_ttl=64 fw=reject fw_timeout=2 keepalive=3/1/3 push_idle=4.5 \
        gaps=6 expect_cause=idle-reset expect_experts=$ex
done
