#!/bin/bash
# captures/next path knowledge: one path, two black-holed connections.
# Bottleneck 1492 (r1-r2), both routers drop their own ICMP frag-needed
# (OUTPUT chain: r1 for client->server packets, r2 for server->client), DF
# set (Linux default), tcp_mtu_probing=0 everywhere, no delay.  Same client
# and server address, three connections (gen/tcpapp.py, CL_STALL=12: the
# client aborts with RST, SO_LINGER {1,0}, after 12 s without progress):
#   A (stream 0, port 8080): upload -- hello, banner, then 100 KB in
#     1500-byte segments that vanish at r1; the client retransmits with
#     back-off, nothing is acknowledged; the client's RST after ~12 s
#     (its sequence number is past the server's rcv_nxt: the server answers
#     with a challenge ACK, the client kernel with a bare RST)
#   B (port 8081, ~1.25 s after A): download -- request, 120 B header, then
#     100 KB in 1500-byte segments that vanish at r2; the client sees only
#     handshake + request + header, then its own RST after ~12 s
#   H (port 8082, ~0.5 s after B): healthy small traffic (gen/nextapp.py,
#     14 request/responses of 300 B, 1 s apart, FIN/FIN)
# The client vantage holds the proof for A (B looks silent), the server
# vantage the proof for B (A looks silent).
. "$(dirname "$0")/next-lib.sh"
N=pmtud-shared-path
CL_EXTRA_FACTS="$GEN_DIR/pmtu-facts.sh 1492"
SIZE=102400
trap cl_teardown EXIT
cl_setup 1492
cl_ttl 64 64
nsx $NS_R1 iptables -A OUTPUT -p icmp --icmp-type fragmentation-needed -j DROP
nsx $NS_R2 iptables -A OUTPUT -p icmp --icmp-type fragmentation-needed -j DROP
for ns in $NS_C $NS_S; do
    [ "$(nsx $ns sysctl -n net.ipv4.tcp_mtu_probing)" = 0 ] || { echo "tcp_mtu_probing not 0 in $ns" >&2; exit 1; }
done
cl_bg SRV_A $NS_S "$GEN_DIR/tcpapp.py" server $S4 8080 upload $SIZE
cl_bg SRV_B $NS_S env CL_NO_HEADER=1 "$GEN_DIR/tcpapp.py" server $S4 8081 download $SIZE
cl_wait_listen $NS_S 8080
cl_wait_listen $NS_S 8081
nx_srv $S4 8082 --lifetime 40
cl_cap_start $N
cl_bg CLI_A $NS_C env CL_STALL=12 timeout 40 "$GEN_DIR/tcpapp.py" client $S4 8080 upload $SIZE
sleep 1.25
cl_bg CLI_B $NS_C env CL_STALL=12 timeout 40 "$GEN_DIR/tcpapp.py" client $S4 8081 download $SIZE
sleep 0.5
nx_cli_bg CLI_H 30 $S4 8082 --reqs 14 --gap 1 --size 300 --close fin --lifetime 25
cl_wait "$CLI_A" 40
cl_wait "$CLI_B" 40
cl_wait "$CLI_H" 30
cl_wait "$SRV_A" 20
cl_wait "$SRV_B" 20
cl_cap_stop $N
kill "$SRV_PID" 2>/dev/null || true
cl_wait "$SRV_PID" 5
nsx $NS_R1 iptables -L OUTPUT -v -n -x >&2
nsx $NS_R2 iptables -L OUTPUT -v -n -x >&2
desc="PMTUD black hole on a shared path: 1492-MTU link, ICMP frag-needed dropped at r1 and r2 (OUTPUT), DF set; connection A (port 8080) uploads 100 KB, connection B (port 8081, ~1.25 s later) downloads 100 KB sent as full-size segments only (no header first: nothing after the handshake reaches the client), both black-holed, the client aborts each with RST after 12 s without progress; connection H (port 8082) 14 small request/responses, FIN/FIN"
for v in client server; do
    pcap="$OUT_DIR/$N-$v.pcap"
    sa=$(tshark -n -r "$pcap" -Y "tcp.port==8080 && !icmp" -T fields -e tcp.stream 2>/dev/null | head -1)
    sb=$(tshark -n -r "$pcap" -Y "tcp.port==8081 && !icmp" -T fields -e tcp.stream 2>/dev/null | head -1)
    sh=$(tshark -n -r "$pcap" -Y "tcp.port==8082 && !icmp" -T fields -e tcp.stream 2>/dev/null | head -1)
    la=$(tshark -n -r "$pcap" -Y "tcp.stream==$sa && !icmp" -T fields -e frame.number 2>/dev/null | tail -1)
    lb=$(tshark -n -r "$pcap" -Y "tcp.stream==$sb && !icmp" -T fields -e frame.number 2>/dev/null | tail -1)
    if [ $v = client ]; then
        per="proof_stream_client=$sa silent_stream_client=$sb silent_last_frame_client=$lb proof_last_frame_client=$la"
    else
        per="proof_stream_server=$sb silent_stream_server=$sa silent_last_frame_server=$la proof_last_frame_server=$lb"
    fi
    cl_truth $N $v "desc=$desc" family=4 proto=tcp link_mtu=1492 icmp_blocked=yes df=yes client_ttl=64 server_ttl=64 \
        fw=none fw_timeout= keepalive=off push_idle= gaps= delay_ms=0 server_tcp_mtu_probing=0 client_tcp_mtu_probing=0 \
        icmp_dropped_at=r1-output,r2-output upload_size=$SIZE download_size=$SIZE client_stall_s=12 \
        upload_stream=$sa download_stream=$sb healthy_stream=$sh $per expect_cause=pmtud-blackhole
done
