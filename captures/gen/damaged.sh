#!/bin/bash
# captures/next negative control: a damaged copy of a healthy capture.
# Source: next/linger-close-client.pcap (run linger-close.sh first; make-next
# does).  gen/damage.py shifts the timestamps of frames >= 60 back by 5 hours
# and of frames >= 130 forward by a further 2 days (clock jumps), and gives
# the first client pure ACK at or after frame 100 contradictory IP fragment
# fields (DF=1, MF=1, offset 185; IP checksum recomputed).  Those are the
# only edited bytes.  Only the client vantage exists (damaged-client.pcap).
. "$(dirname "$0")/next-lib.sh"
N=damaged
SRC=$OUT_DIR/linger-close-client.pcap
BACK=60 FWD=130
[ -r "$SRC" ] || { echo "damaged: $SRC missing (run linger-close.sh first)" >&2; exit 1; }
FRAG=$(tshark -n -r "$SRC" -Y "frame.number>=100 && frame.number<$FWD && ip.src==$C4 && tcp.len==0 && tcp.flags.syn==0 && tcp.flags.fin==0 && tcp.flags.reset==0" \
       -T fields -e frame.number 2>/dev/null | head -n 1)
[ -n "$FRAG" ] || { echo "damaged: no pure ACK found" >&2; exit 1; }
/usr/bin/python3 "$GEN_DIR/damage.py" "$SRC" "$OUT_DIR/$N-client.pcap" $BACK $FWD $FRAG
cl_truth $N client "desc=Damaged copy of linger-close-client.pcap (negative control): clock 5 h back at frame $BACK, 2 days forward at frame $FWD, contradictory IP fragment fields (DF+MF, offset 185) in frame $FRAG; the traffic itself is healthy" \
    family=4 proto=tcp link_mtu=1500 icmp_blocked=no df=yes client_ttl=64 server_ttl=64 fw=none fw_timeout= keepalive=off push_idle= gaps=0.1 \
    source_capture=linger-close-client.pcap clock_back_frame=$BACK clock_back_s=-18000 clock_forward_frame=$FWD clock_forward_s=172800 \
    bad_frag_frame=$FRAG bad_frag_fields=df1,mf1,offset185 expect_cause=none
# The hand-damaged fragment is no datagram that went missing: Wireshark lists it among the incomplete ones,
# the truth names it as damaged (connlost must not count it as lost).
sed -i 's/^incomplete_ip_ids=/damaged_fragment_ids=/' "$OUT_DIR/$N-client.truth"
