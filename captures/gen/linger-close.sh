#!/bin/bash
# captures/next negative control: abortive close after complete exchanges and
# servers closing idle keep-alive connections.  20 ms each way at r1.
# Client A (6 connections one after the other): 3 request/responses (2000 B,
# 0.1 s apart), then SO_LINGER {1,0} + close() right after the last response
# was fully received (browser / .NET style RST).  Client B (3 connections at
# once): 2 request/responses, then idle; the server closes idle keep-alive
# connections with FIN after 3 s, the client answers with its FIN.
. "$(dirname "$0")/next-lib.sh"
N=linger-close
trap cl_teardown EXIT
cl_setup 1500
cl_ttl 64 64
cl_delay $NS_R1 20
nx_srv $S4 8080 --idle-close 3 --lifetime 40
cl_cap_start $N
nx_cli_bg CLI_B 30 $S4 8080 --parallel 3 --conns 1 --reqs 2 --size 3000 --gap 0.2 --close wait --hold 8
nx_cli 30 $S4 8080 --conns 6 --reqs 3 --size 2000 --gap 0.1 --conn-gap 0.5 --close rst
cl_wait "$CLI_B" 20
sleep 1
cl_cap_stop $N
cl_delay_stop
nx_truth $N "desc=Linger close (negative control): 6 connections closed by the client with SO_LINGER {1,0} (RST) right after the last response; 3 keep-alive connections closed by the server with FIN after 3 s idle" \
    family=4 proto=tcp link_mtu=1500 icmp_blocked=no df=yes client_ttl=64 server_ttl=64 fw=none fw_timeout= keepalive=off push_idle= gaps=0.1 \
    client_close=linger0-after-last-response server_idle_close=3 expect_cause=none
