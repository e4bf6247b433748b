#!/bin/bash
# Negative control for the network causes: plain forwarding (no firewall
# rules), 20 ms each way at r1, TTL 64 on both hosts.  Two request/responses
# 0.2 s apart, then the server application aborts (SO_LINGER {1,0} + close)
# right after its second response: the RST comes from the server itself.
. "$(dirname "$0")/lib.sh"
N=app-reset
trap cl_teardown EXIT
cl_setup 1500
cl_ttl 64 64
cl_delay $NS_R1 20
cl_cap_start $N
cl_idle_run "--conns 1 --abort-after 2" "--mode once --gaps 0.2 --hold 1"
cl_cap_stop $N
cl_delay_stop
for v in client server; do
    cl_truth $N $v "desc=Application reset: no firewall, two request/responses 0.2 s apart, the server aborts with RST (SO_LINGER {1,0}) right after its second response" \
        family=4 proto=tcp link_mtu=1500 icmp_blocked=no df=yes \
        client_ttl=64 server_ttl=64 fw=none fw_timeout= keepalive=off push_idle= \
        gaps=0.2 expect_cause=none expect_experts=
done
