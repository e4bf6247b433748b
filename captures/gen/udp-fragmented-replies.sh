#!/bin/bash
# captures/next path knowledge: UDP request/response with fragmented
# replies.  The client (cl_c, port 40000) sends 30 requests of 80 B (never
# fragmented) 50 ms apart to 10.91.3.2:9000; the server answers each with
# one 2800-byte datagram, DF clear (IP_PMTUDISC_DONT): the server kernel
# fragments it for s0 (1500 + 1348), r2 fragments the 1500-byte fragment
# again for the 1492 link (1492 + 28), so the client side sees 3 fragments
# per reply (1492 first, 28, 1348 last).  r1 drops every 3rd non-first
# fragment (2 per reply, so 2 of every 3 replies lose one fragment: 20
# incomplete, 10 complete); the client (ipfrag_time=2) sends ICMP time
# exceeded 11/1 (reassembly) for the incomplete replies whose first fragment
# it has, back to the server.  (With 3000-byte replies there would be 4
# non-first fragments per reply and every reply would be lost.)  The
# applications are the small Python program below (plain sockets, bounded).
. "$(dirname "$0")/next-lib.sh"
N=udp-fragmented-replies
COUNT=30 REQ=80 REPLY=2800
APP='
import socket, sys, time
role, addr, port, count, req, reply = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
t_end = time.time() + 20
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
if role == "server":
    s.setsockopt(socket.IPPROTO_IP, getattr(socket, "IP_MTU_DISCOVER", 10), getattr(socket, "IP_PMTUDISC_DONT", 0))
    s.bind((addr, port))
    s.settimeout(4)
    n = 0
    try:
        while n < count and time.time() < t_end:
            d, peer = s.recvfrom(65536)
            n += 1
            s.sendto((b"R%04d:" % n + d[:5]).ljust(reply, b"r"), peer)
    except socket.timeout:
        pass
    print("[udp-replies server] answered %d requests" % n, file=sys.stderr)
else:
    s.bind(("0.0.0.0", 40000))
    s.setblocking(False)
    got = 0
    for i in range(count):
        s.sendto((b"Q%04d:" % i).ljust(req, b"q"), (addr, port))
        t = time.time() + 0.05
        while time.time() < t:
            try:
                s.recvfrom(65536); got += 1
            except BlockingIOError:
                time.sleep(0.005)
    t = time.time() + 1
    while time.time() < t:
        try:
            s.recvfrom(65536); got += 1
        except BlockingIOError:
            time.sleep(0.005)
    print("[udp-replies client] sent %d requests, got %d replies" % (count, got), file=sys.stderr)
s.close()
'
trap cl_teardown EXIT
cl_setup 1492
cl_ttl 64 64
nsx $NS_C sysctl -qw net.ipv4.ipfrag_time=2
[ "$(nsx $NS_C sysctl -n net.ipv4.ipfrag_time)" = 2 ] || { echo "ipfrag_time not set" >&2; exit 1; }
nsx $NS_R1 iptables -A FORWARD -f -m statistic --mode nth --every 3 --packet 0 -j DROP
cl_cap_start $N
cl_bg SRV $NS_S /usr/bin/python3 -c "$APP" server $S4 9000 $COUNT $REQ $REPLY
cl_wait_listen $NS_S 9000 udp
nsx $NS_C timeout 20 /usr/bin/python3 -c "$APP" client $S4 9000 $COUNT $REQ $REPLY || echo "client exit status $?" >&2
cl_wait "$SRV" 10
sleep 3
cl_cap_stop $N
nsx $NS_R1 iptables -L FORWARD -v -n -x >&2
desc="UDP request/response with fragmented replies: 30 requests of $REQ B (client port 40000 -> 10.91.3.2:9000, 50 ms apart), each answered with a $REPLY B datagram (DF clear) fragmented by the server and again by r2 (1492 + 28 + 1348 at the client); r1 drops every 3rd non-first fragment; client ipfrag_time=2 sends ICMP 11/1"
for v in client server; do
    pcap="$OUT_DIR/$N-$v.pcap"
    fr=$(tshark -n -r "$pcap" -Y "!icmp && udp.dstport==9000" -T fields -e frame.number 2>/dev/null | head -1)
    nreq=$(tshark -n -r "$pcap" -Y "!icmp && udp.dstport==9000" -T fields -e frame.number 2>/dev/null | wc -l)
    nrep=$(tshark -n -r "$pcap" -Y "!icmp && udp.srcport==9000" -T fields -e frame.number 2>/dev/null | wc -l)
    qid=$(tshark -n -r "$pcap" -Y 'icmp.type==11 && icmp.code==1' -T fields -E occurrence=l -e ip.id 2>/dev/null | paste -sd, -)
    cl_truth $N $v "desc=$desc" family=4 proto=udp link_mtu=1492 icmp_blocked=no df=no client_ttl=64 server_ttl=64 \
        fw=r1-forward-drop-every-3rd-non-first-fragment fw_timeout= keepalive=off push_idle= gaps=0.05 delay_ms=0 \
        client_ipfrag_time=2 request_size=$REQ reply_size=$REPLY requests=$COUNT \
        first_request_frame=$fr request_frames_count=$nreq reassembled_reply_count=$nrep \
        icmp_reasm_quoted_ip_ids=$qid expect_cause=fragment-loss
done
