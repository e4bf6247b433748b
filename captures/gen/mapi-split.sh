#!/bin/bash
# MAPI negative control over a path that splits and loses: as mapi-clean
# (EPM lookup, then 6 logons 1 s apart, each bind+NTLM, rpc_auth3,
# EcDoConnectEx, 2x EcDoRpcExt2, EcDoDisconnect, FIN/FIN), but r1 clamps the
# MSS of every SYN to 64 (iptables -t mangle TCPMSS --set-mss 64, both
# directions), so with timestamps a segment carries at most 52 bytes and
# nearly every DCE/RPC PDU spans several TCP segments, and r1 drops 3 % of
# what it forwards at random, both directions (iptables -m statistic --mode
# random --probability 0.03, before the NFQUEUE delay rule), which TCP
# repairs: each capture has retransmissions, and segments that follow a drop
# arrive before the retransmission that fills the gap.  The MAPI facts are
# measured with mapiapp.py facts --by-seq (reassembly by sequence number).
# A run where the loss breaks a logon is retried (at most 3 runs).
. "$(dirname "$0")/lib.sh"
N=mapi-split
LOGONS=6 MSS=64 LOSS=0.03
SLOG=$(mktemp /tmp/cl_mapi-log.XXXXXX)
trap 'cl_teardown; rm -f "$SLOG" "$SLOG.cap" "$SLOG".facts.*' EXIT
DN="/o=Contoso/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=user1"

# split_facts PCAP: PDUs that span segments and TCP repair, counted by tshark
split_facts() {
    local ts=(tshark -n -r "$1" -d tcp.port==6001,dcerpc -o tcp.reassemble_out_of_order:TRUE)
    echo "rpc_pdus_split=$("${ts[@]}" -Y 'dcerpc && tcp.segments' -T fields -E occurrence=a -E aggregator=' ' \
        -e tcp.segment.count | wc -w)"
    echo "rpc_pdus_split_frames=$("${ts[@]}" -Y 'dcerpc && tcp.segments' -T fields -e frame.number | paste -sd,)"
    echo "tcp_retransmissions=$("${ts[@]}" -Y tcp.analysis.retransmission -T fields -e frame.number | wc -l)"
    echo "tcp_retransmission_frames=$("${ts[@]}" -Y tcp.analysis.retransmission -T fields -e frame.number | paste -sd,)"
    echo "tcp_out_of_order_frames=$("${ts[@]}" -Y tcp.analysis.out_of_order -T fields -e frame.number | paste -sd,)"
    echo "tcp_lost_segment_frames=$("${ts[@]}" -Y tcp.analysis.lost_segment -T fields -e frame.number | paste -sd,)"
}

run_once() {
    cl_setup 1500
    cl_ttl 128 128
    nsx $NS_R1 iptables -t mangle -A FORWARD -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --set-mss $MSS
    nsx $NS_R1 iptables -A FORWARD -m statistic --mode random --probability $LOSS -j DROP
    cl_delay $NS_R1 20 60
    cl_cap_start $N
    cl_mapi_server_start 10 50
    local rc=0 v
    nsx $NS_C timeout 40 /usr/bin/python3 "$GEN_DIR/mapiapp.py" client $S4 --mode clean --logons $LOGONS --gap 1.0 \
        --lifetime 35 || rc=$?
    echo "client exit status $rc" >&2
    cl_cap_stop $N
    cp "$SLOG" "$SLOG.cap"
    cl_mapi_server_stop
    DROPPED=$(nsx $NS_R1 iptables -L FORWARD -v -n -x | awk '$3 == "DROP" {print $1}')
    echo "r1 dropped $DROPPED packets" >&2
    [ "$rc" = 0 ] || return 1
    for v in client server; do
        /usr/bin/python3 "$GEN_DIR/mapiapp.py" facts "$OUT_DIR/$N-$v.pcap" --vantage $v --by-seq \
            --server-log "$SLOG.cap" >"$SLOG.facts.$v"
        split_facts "$OUT_DIR/$N-$v.pcap" >"$SLOG.facts.split.$v"
        grep -qx 'mapi_held_at_end=0' "$SLOG.facts.$v" &&
        [ "$(sed -n 's/^mapi_disconnect_frames=//p' "$SLOG.facts.$v" | tr ',' '\n' | grep -c .)" = $LOGONS ] &&
        grep -q '^# server log cross-check: [0-9]* EcDoConnectEx in the capture and in the server log, results and held counts agree' "$SLOG.facts.$v" &&
        ! grep -q '^# WARNING' "$SLOG.facts.$v" &&
        ! grep -qx 'rpc_pdus_split=0' "$SLOG.facts.split.$v" &&
        ! grep -qx 'tcp_retransmissions=0' "$SLOG.facts.split.$v" ||
            { cat "$SLOG.facts.$v" "$SLOG.facts.split.$v" >&2; echo "$N: $v: run did not go as planned" >&2; return 1; }
    done
}

ok=
for try in 1 2 3; do
    echo "=== $N: run $try" >&2
    if run_once; then ok=1; break; fi
done
[ -n "$ok" ] || { echo "$N: 3 runs did not go as planned" >&2; exit 1; }
for v in client server; do
    mapfile -t MF <"$SLOG.facts.$v"
    mapfile -t SF <"$SLOG.facts.split.$v"
    cl_truth $N $v "desc=MAPI negative control over a splitting, lossy path: r1 clamps the SYN MSS to $MSS (PDUs span several segments) and drops ${LOSS#0.0} % at random both ways (TCP repairs it); EPM lookup, then $LOGONS logons 1 s apart, each bind+NTLM, rpc_auth3, EcDoConnectEx (success), 2x EcDoRpcExt2, EcDoDisconnect, FIN/FIN; nothing to diagnose" \
        family=4 proto=tcp link_mtu=1500 icmp_blocked=no df=yes \
        client_ttl=128 server_ttl=128 fw=none fw_timeout= keepalive=off push_idle= gaps= \
        expect_causes= expect_experts= \
        mss_clamp=$MSS loss=random loss_probability=$LOSS loss_where=r1-forward-both "r1_dropped=$DROPPED" \
        rpc_auth_level=2 mapi_limit=32 "mapi_user=$DN" 'ntlm_user=CONTOSO\user1' "${MF[@]}" \
        "# split / repair facts, measured with tshark (-d tcp.port==6001,dcerpc -o tcp.reassemble_out_of_order:TRUE): rpc_pdus_split = reassembled DCE/RPC PDUs (tcp.segments), tcp_* = tcp.analysis.* frames" \
        "${SF[@]}"
done
