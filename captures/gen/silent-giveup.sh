#!/bin/bash
# captures/next: a sender that gives up silently while busy.  20 ms each way
# at r1; client net.ipv4.tcp_retries2=3.  Connection A (source port 40010):
# 3 request/responses (2000 B, 0.8 s apart: no silence of 1 s or more on A,
# so this is no idle drop); ~1.3 s after A starts, between the answer of its
# second request and its third request, r1 drops everything of this
# connection only (iptables -I FORWARD on --sport/--dport 40010); the third
# request (~0.4 s later) is retransmitted by the client kernel with back-off
# until it gives up (ETIMEDOUT) -- Linux sends no RST on a retransmission
# timeout, and the application's plain close() of the dead socket sends
# nothing either.  Connection B (source port 40011, not dropped, started
# 0.3 s after A) does a request/response every 1 s from the start for ~32 s
# (well past A's last retransmission) and ends with FIN/FIN.
. "$(dirname "$0")/next-lib.sh"
N=silent-giveup
DEAD_PORT=40010
trap cl_teardown EXIT
cl_setup 1500
cl_ttl 64 64
nsx $NS_C sysctl -qw net.ipv4.tcp_retries2=3
[ "$(nsx $NS_C sysctl -n net.ipv4.tcp_retries2)" = 3 ] || { echo "tcp_retries2 not set" >&2; exit 1; }
cl_delay $NS_R1 20 70
nx_srv $S4 8080 --lifetime 55
cl_cap_start $N
# A first, so it is the capture's first stream (facts.sh's tcp_stream and
# retrans_frames then describe the dead connection)
nx_cli_bg DEAD 30 $S4 8080 --sport $DEAD_PORT --reqs 3 --gap 0.8 --size 2000 --close fin --lifetime 25
sleep 0.3
nx_cli_bg HEALTHY 50 $S4 8080 --sport 40011 --reqs 32 --gap 1 --size 2000 --close fin --lifetime 45
# A: request 1 at ~0.05 s, its answer ~0.1 s; request 2 ~0.9 s, answer
# ~0.95 s; request 3 ~1.75 s -- cut at ~1.3 s after A started
sleep 1.0
nsx $NS_R1 iptables -I FORWARD 1 -p tcp --sport $DEAD_PORT -j DROP
nsx $NS_R1 iptables -I FORWARD 1 -p tcp --dport $DEAD_PORT -j DROP
echo "r1: FORWARD DROP of port $DEAD_PORT inserted" >&2
cl_wait "$DEAD" 30
cl_wait "$HEALTHY" 45
cl_cap_stop $N
cl_delay_stop
nsx $NS_R1 iptables -L FORWARD -v -n -x >&2
for v in client server; do
    pcap="$OUT_DIR/$N-$v.pcap"
    dead=$(tshark -n -r "$pcap" -Y "tcp.port==$DEAD_PORT" -T fields -e tcp.stream 2>/dev/null | head -1)
    rf=$(tshark -n -r "$pcap" -Y "tcp.stream==$dead && tcp.len>0 && tcp.analysis.retransmission" -T fields -e frame.number 2>/dev/null | paste -sd, -)
    n=$(tshark -n -r "$pcap" -Y "tcp.stream==$dead && (tcp.flags.reset==1 || tcp.flags.fin==1)" 2>/dev/null | wc -l)
    [ "$n" = 0 ] || echo "WARN: $v: $n RST/FIN frames on the dead stream $dead" >&2
    ex=retransmission-timeout
    # the server never sees the third request: its connection just goes quiet
    [ "$v" = server ] && ex=none
    cl_truth $N $v "desc=Silent give-up while busy: connection A (port $DEAD_PORT) does 2 request/responses 0.8 s apart (no idle gap of 1 s or more), then r1 drops everything of A; A's third request is retransmitted with back-off until the client kernel gives up (tcp_retries2=3, ETIMEDOUT, no RST, no FIN); connection B keeps a request/response every 1 s going until ~29 s past A's last retransmission, FIN/FIN" \
        family=4 proto=tcp link_mtu=1500 icmp_blocked=no df=yes client_ttl=64 server_ttl=64 fw="r1-forward-drop-port-$DEAD_PORT" fw_timeout= \
        keepalive=off push_idle= gaps=0.8,1 delay_ms=20 client_tcp_retries2=3 path_cut_after_s=0.35 path_cut=r1-forward-drop-one-connection \
        dead_stream=$dead retrans_frames=$rf giveup_last_retrans_frame=${rf##*,} expect_cause=$ex
done
