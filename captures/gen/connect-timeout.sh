#!/bin/bash
# captures/next set-up failure: r1 drops every SYN (iptables -A FORWARD -p
# tcp --syn -j DROP).  The client (net.ipv4.tcp_syn_retries=4 in cl_c; this
# kernel also has net.ipv4.tcp_syn_linear_timeouts=4) sends its SYN, 5
# retransmissions 1 s apart, then 3 with back-off (2, 4, 8 s), and gives up
# ~35.6 s after the first SYN (ETIMEDOUT, time-based: the kernel's budget
# for 4 retries); the capture runs ~43 s.  One attempt; the server listens
# but never sees a SYN.
. "$(dirname "$0")/next-lib.sh"
NX_SYN_RETRIES=4 NX_TAIL=8
NX_HDR="syn_retries=4 syn_linear_timeouts=$(sysctl -n net.ipv4.tcp_syn_linear_timeouts 2>/dev/null || echo)"
nx_connect connect-timeout 4 yes "-p tcp --syn -j DROP" drop-syn connect-timeout \
    "Connect timeout: r1 drops every SYN; the client retransmits its SYN with back-off (tcp_syn_retries=4) and gives up after ~35.6 s; capture ~43 s" \
    --conns 1 --reqs 1 --size 2000 --close fin --lifetime 55
