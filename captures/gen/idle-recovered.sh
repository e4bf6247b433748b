#!/bin/bash
# captures/next: a loss after an idle gap that recovers.  20 ms each way at
# r1.  Connection A (source port 40020): a request/response (2000 B), then
# 3 s of silence (nothing outstanding), then a request; ~0.35 s before that
# request r1 drops the client's packets toward the server (iptables -I
# FORWARD 1 --sport 40020 -j DROP), so the client kernel retransmits the
# request with back-off (RTO ~0.24 s, then ~0.5, ~1 s); ~1.1 s after the
# request the rule is removed, the next retransmission gets through and is
# answered; then 2 more request/responses 0.5 s apart and FIN/FIN.
# Connection B (source port 40021, started 0.3 s after A) does a
# request/response every 1 s over the same time and ends with FIN/FIN.
. "$(dirname "$0")/next-lib.sh"
N=idle-recovered
PORT=40020
GAP=3
trap cl_teardown EXIT
cl_setup 1500
cl_ttl 64 64
cl_delay $NS_R1 20 70
nx_srv $S4 8080 --lifetime 30
cl_cap_start $N
nx_cli_bg CONN 20 $S4 8080 --sport $PORT --reqs 4 --gaps $GAP,0.5,0.5 --size 2000 --close fin --lifetime 15
sleep 0.3
nx_cli_bg HEALTHY 20 $S4 8080 --sport 40021 --reqs 8 --gap 1 --size 2000 --close fin --lifetime 15
# A: request 1 ~0.05 s, answer ~0.1 s; request 2 ~3.1-3.2 s after A started
sleep 2.5
nsx $NS_R1 iptables -I FORWARD 1 -p tcp --sport $PORT -j DROP
echo "r1: FORWARD DROP of sport $PORT inserted" >&2
sleep 1.5
nsx $NS_R1 iptables -L FORWARD -v -n -x >&2
nsx $NS_R1 iptables -D FORWARD -p tcp --sport $PORT -j DROP
echo "r1: FORWARD DROP of sport $PORT removed" >&2
cl_wait "$CONN" 20
cl_wait "$HEALTHY" 20
sleep 0.5
cl_cap_stop $N
cl_delay_stop
# facts of each vantage's capture (plain tshark; the brief's numbers are the
# client's): the first request after the idle gap, its retransmissions, the
# first server frame whose ack covers it, the silence before it
for v in client server; do
pc="$OUT_DIR/$N-$v.pcap"
f=$(tshark -n -r "$pc" -o tcp.calculate_timestamps:TRUE -o tcp.relative_sequence_numbers:TRUE -Y "tcp.port==$PORT" \
    -T fields -E separator=' ' -e frame.number -e frame.time_relative -e tcp.srcport -e tcp.len -e tcp.seq -e tcp.ack -e tcp.time_delta 2>/dev/null)
read -r gq gt gseq gend gap_s <<<"$(echo "$f" | awk -v p=$PORT '$3==p && $4>0 && $7>=1 {print $1, $2, $5, $5+$4, $7; exit}')"
rf=$(echo "$f" | awk -v p=$PORT -v q="$gq" -v s="$gseq" '$3==p && $4>0 && $1>q && $5==s {print $1}' | paste -sd, -)
af=$(echo "$f" | awk -v p=$PORT -v q="$gq" -v e="$gend" '$3!=p && $1>q && $6>=e {print $1; exit}')
gap_s=$(printf '%.3f' "$gap_s")
echo "$v: gap request frame $gq (t=$gt), gap ${gap_s}s, retransmissions $rf, answer $af" >&2
[ "$v" = client ] && [ "$(echo "$rf" | tr ',' '\n' | grep -c .)" -lt 2 ] && echo "WARN: client: fewer than 2 retransmissions of the post-gap request" >&2
cl_truth $N $v "desc=Idle gap then recovered loss: connection A (port $PORT) does a request/response (2000 B), is silent for $GAP s, then r1 drops the client's packets toward the server from ~0.35 s before A's next request to ~1.1 s after it; the request is retransmitted with back-off and the first retransmission after the rule's removal is answered; 2 more request/responses 0.5 s apart, FIN/FIN; connection B (port 40021) does a request/response every 1 s, FIN/FIN" \
    family=4 proto=tcp link_mtu=1500 icmp_blocked=no df=yes client_ttl=64 server_ttl=64 fw="r1-forward-drop-sport-$PORT-temporary" fw_timeout= \
    keepalive=off push_idle= gaps=$GAP,0.5,1 delay_ms=20 path_cut=r1-forward-drop-client-to-server-one-connection path_cut_before_request_s=0.35 path_cut_len_s=1.5 \
    gap_s=$gap_s gap_request_frame=$gq retrans_frames=$rf answer_frame=$af expect_cause=none
done
