#!/bin/bash
# facts.sh CAPTURE            -> the "facts" lines of a truth file
# facts.sh --endpoints CAPTURE -> client=/server= lines
# Measured with plain tshark (no plugin).  Every list is ascending, empty
# when nothing matches.  ICMP error frames are never counted as data.
set -eu
mode=facts
if [ "${1:-}" = "--endpoints" ]; then mode=endpoints; shift; fi
F=${1:?usage: facts.sh [--endpoints] CAPTURE}
[ -r "$F" ] || { echo "facts.sh: cannot read $F" >&2; exit 2; }
export LC_ALL=C

ts() { tshark -n -r "$F" "$@" 2>/dev/null; }
# frame numbers matching a display filter, comma list
frames() { ts -Y "$1" -T fields -e frame.number | paste -sd, -; }
NOERR='!icmp && !icmpv6'

first_syn=$(ts -Y "tcp.flags.syn==1 && tcp.flags.ack==0 && $NOERR" -T fields -E occurrence=f \
            -e tcp.stream -e ip.src -e ipv6.src -e tcp.srcport -e ip.dst -e ipv6.dst -e tcp.dstport | head -n 1)

if [ "$mode" = endpoints ]; then
    if [ -n "$first_syn" ]; then
        echo "$first_syn" | awk -F'\t' '{
            if ($2 != "") { c = $2; s = $5 } else { c = "[" $3 "]"; s = "[" $6 "]" }
            print "client=" c ":" $4; print "server=" s ":" $7 }'
    else
        ts -Y "udp && $NOERR" -T fields -E occurrence=f -e ip.src -e ipv6.src -e udp.srcport \
           -e ip.dst -e ipv6.dst -e udp.dstport | head -n 1 | awk -F'\t' '{
            if ($1 != "") { c = $1; s = $4 } else { c = "[" $2 "]"; s = "[" $5 "]" }
            print "client=" c ":" $3; print "server=" s ":" $6 }'
    fi
    exit 0
fi

# --- conversation under test
stream=""
if [ -n "$first_syn" ]; then
    stream=$(echo "$first_syn" | cut -f1)
else
    stream=$(ts -Y "tcp && $NOERR" -T fields -e tcp.stream | head -n 1)
fi
echo "tcp_stream=$stream"

# --- end of conversation: first RST, else last FIN
end_frame="" end_kind=none
if [ -n "$stream" ]; then
    end_frame=$(ts -Y "tcp.stream==$stream && tcp.flags.reset==1 && $NOERR" -T fields -e frame.number | head -n 1)
    if [ -n "$end_frame" ]; then
        end_kind=rst
    else
        end_frame=$(ts -Y "tcp.stream==$stream && tcp.flags.fin==1 && $NOERR" -T fields -e frame.number | tail -n 1)
        [ -n "$end_frame" ] && end_kind=fin
    fi
fi
echo "end_frame=$end_frame"
echo "end_kind=$end_kind"

# --- ICMP packet too big / frag needed
echo "icmp_ptb_frames=$(frames '(icmp.type==3 && icmp.code==4) || icmpv6.type==2')"
echo "icmp_ptb_mtu=$(ts -Y '(icmp.type==3 && icmp.code==4) || icmpv6.type==2' -T fields -E occurrence=f \
      -e icmp.mtu -e icmpv6.mtu | head -n 1 | tr -d '\t')"

# --- largest IP packet carrying the data sender's data (TCP segment with
#     payload, UDP datagram, or any IP fragment of either), wire size
ts -Y "$NOERR && (tcp || udp || ip.flags.mf==1 || ip.frag_offset>0 || ipv6.fraghdr)" -T fields -E occurrence=f \
   -e ip.src -e ipv6.src -e tcp.stream -e tcp.len -e udp.length -e ip.len -e ipv6.plen -e ip.flags.mf -e ip.frag_offset \
   -e ipv6.fraghdr.offset \
 | awk -F'\t' -v st="$stream" '
    { src = ($1 != "") ? $1 : $2
      len = ($6 != "") ? $6 + 0 : (($7 != "") ? $7 + 40 : 0)
      isfrag = ($8 == "1" || $8 == "True" || ($9 != "" && $9 + 0 > 0) || $10 != "")
      if (st != "") { if ($3 == st && $4 + 0 > 0) { bytes[src] += $4; dat = 1 } else dat = 0 }
      else { if ($5 != "") { if (first == "") first = src; bytes[src] += $5 }; dat = ($5 != "") }
      if (dat || isfrag) if (len > max[src]) max[src] = len
    }
    END { best = ""; for (s in bytes) if (best == "" || bytes[s] > bytes[best]) best = s
          if (st == "" && first != "") best = first
          print "big_ip_len=" ((best != "" && max[best] > 0) ? max[best] : "") }'

# --- TCP analysis flags in the conversation under test
if [ -n "$stream" ]; then
    echo "retrans_frames=$(frames "tcp.stream==$stream && (tcp.analysis.retransmission || tcp.analysis.fast_retransmission) && $NOERR")"
    echo "dupack_frames=$(frames "tcp.stream==$stream && tcp.analysis.duplicate_ack && $NOERR")"
else
    echo "retrans_frames="
    echo "dupack_frames="
fi

# --- fragments (outer header only: ICMP errors quote fragment headers too)
ts -Y "$NOERR && (ip.flags.mf==1 || ipv6.fraghdr)" -T fields -E occurrence=f \
   -e frame.number -e ip.flags.mf -e ip.frag_offset -e ipv6.fraghdr.more -e ipv6.fraghdr.offset \
 | awk -F'\t' '(($2 == "1" || $2 == "True") && $3 + 0 == 0) || (($4 == "1" || $4 == "True") && $5 + 0 == 0) { print $1 }' \
 | paste -sd, - | sed 's/^/frag_first_frames=/'

# datagrams with fragments that tshark (two-pass) never reassembled, keyed by
# src|dst|id; IPv4 ip.id and IPv6 ipv6.fraghdr.ident (32 bit) both printed
# 0x%04x (at least 4 lowercase hex digits, no further padding); sort key
# printed with %.0f, since mawk clamps %d to 2^31-1
tshark -n -2 -r "$F" -Y "$NOERR && (ip.flags.mf==1 || ip.frag_offset>0 || ipv6.fraghdr)" -T fields -E occurrence=f \
   -e ip.src -e ip.dst -e ip.id -e ip.reassembled_in -e ip.fragment.count \
   -e ipv6.src -e ipv6.dst -e ipv6.fraghdr.ident -e ipv6.reassembled.in -e ipv6.fragment.count 2>/dev/null \
 | awk -F'\t' '
    { if ($3 != "") { k = $1 "|" $2 "|" $3; id = $3; ok = ($4 != "" || $5 != "") }
      else if ($8 != "") { k = $6 "|" $7 "|" $8; id = $8; ok = ($9 != "" || $10 != "") }
      else next
      ids[k] = id; if (ok) done[k] = 1 }
    function hex(v,   i, n, c) { n = 0; v = tolower(substr(v, 3))
                                  for (i = 1; i <= length(v); i++) { c = index("0123456789abcdef", substr(v, i, 1)) - 1; n = n * 16 + c }
                                  return n }
    END { for (k in ids) if (!(k in done)) { v = ids[k]; n = (v ~ /^0x/) ? hex(v) : v + 0
                                           printf "%.0f 0x%04x\n", n, n } }' \
 | sort -n -u | awk '{ print $2 }' | paste -sd, - | sed 's/^/incomplete_ip_ids=/'

echo "icmp_reasm_frames=$(frames '(icmp.type==11 && icmp.code==1) || (icmpv6.type==3 && icmpv6.code==1)')"
echo "frames=$(ts -T fields -e frame.number | tail -n 1)"

# --- per-stream ends and idle gaps, RST origin/TTL, keep-alives, disconnect period
# stream.N=first_frame,end_kind,end_frame,end_time,longest_gap,gap_frame for
# every tcp.stream N (ICMP error frames excluded).  end = first RST, else last
# FIN, else none and the stream's last frame; end_time = frame.time_relative
# of end_frame; longest_gap = longest interval between consecutive frames of
# the stream up to end_frame inclusive, gap_frame = the frame ending it (first
# one on ties; 0.000000 and first_frame for a one-frame stream).  Times are
# computed in integer microseconds and printed with 6 decimals.
TCPF="$F.facts.$$"
trap 'rm -f "$TCPF"' EXIT
ts -o tcp.relative_sequence_numbers:FALSE -Y "tcp && $NOERR" -T fields -E occurrence=f \
   -e frame.number -e frame.time_relative -e tcp.stream -e tcp.flags.reset -e tcp.flags.fin \
   -e ip.src -e ipv6.src -e ip.dst -e ipv6.dst -e tcp.srcport -e tcp.dstport -e tcp.seq \
   -e ip.ttl -e ipv6.hlim >"$TCPF"
awk -F'\t' '
    function us(t,   p, f) { if (substr(t, 1, 1) == "-") return -us(substr(t, 2))
                             p = index(t, "."); if (!p) return t * 1000000
                             f = substr(substr(t, p + 1) "000000", 1, 6); return substr(t, 1, p - 1) * 1000000 + f }
    function fmt(u) { if (u < 0) return "-" fmt(-u)
                      return sprintf("%d.%06d", int(u / 1000000), u % 1000000) }
    { n = $3; if (n == "") next
      t = us($2); fr = $1
      if (!(n in first)) { first[n] = fr; cnt[n] = 0; order[++ns] = n }
      k = ++cnt[n]; FR[n, k] = fr; T[n, k] = t
      isr = ($4 == "1" || $4 == "True"); isf = ($5 == "1" || $5 == "True")
      if (isr && !(n in rst)) { rst[n] = k }
      if (isf) fin[n] = k }
    END {
      # stream numbers ascending
      for (i = 1; i <= ns; i++) for (j = i + 1; j <= ns; j++) if (order[j] + 0 < order[i] + 0) { x = order[i]; order[i] = order[j]; order[j] = x }
      for (i = 1; i <= ns; i++) {
        n = order[i]
        if (n in rst) { kind = "rst"; e = rst[n] } else if (n in fin) { kind = "fin"; e = fin[n] } else { kind = "none"; e = cnt[n] }
        g = 0; gf = FR[n, 1]
        for (k = 2; k <= e; k++) if (T[n, k] - T[n, k - 1] > g) { g = T[n, k] - T[n, k - 1]; gf = FR[n, k] }
        printf "stream.%s=%s,%s,%s,%s,%s,%s\n", n, first[n], kind, FR[n, e], fmt(T[n, e]), fmt(g), gf
        if (kind == "rst") dt[++nd] = T[n, e]
      }
      for (i = 1; i <= nd; i++) for (j = i + 1; j <= nd; j++) if (dt[j] < dt[i]) { x = dt[i]; dt[i] = dt[j]; dt[j] = x }
      s = ""; for (i = 1; i <= nd; i++) s = s (i > 1 ? "," : "") fmt(dt[i])
      # the two lines below are printed after the RST lines (see sed below)
      print "@disconnect_times=" s
      p = ""; if (nd >= 3) { d = dt[nd] - dt[1]; m = nd - 1; p = fmt(int((d + m / 2) / m)) }
      print "@period=" p
    }' "$TCPF" >"$TCPF.streams"
grep -v '^@' "$TCPF.streams" || true

# rst_frames: every frame with a TCP RST in the outer header
awk -F'\t' '$4 == "1" || $4 == "True" { print $1 }' "$TCPF" | paste -sd, - | sed 's/^/rst_frames=/'

# rst_origin: who sent each RST, measured against the companion capture of
# the same run (NAME-client.pcap <-> NAME-server.pcap): a RST whose source is
# the client (SYN sender) is "client" if the client-side capture shows it
# (same addresses, ports, raw tcp.seq, RST flag), else "middlebox"; likewise
# for the server with the server-side capture; any other source: middlebox.
# Empty when the companion capture is missing.
case $F in
    *-client.pcap) COMP=${F%-client.pcap}-server.pcap; VANT=client;;
    *-server.pcap) COMP=${F%-server.pcap}-client.pcap; VANT=server;;
    *) COMP=""; VANT="";;
esac
if [ -n "$COMP" ] && [ -r "$COMP" ]; then
    tshark -n -r "$COMP" -o tcp.relative_sequence_numbers:FALSE -Y "tcp.flags.reset==1 && $NOERR" -T fields -E occurrence=f \
        -e ip.src -e ipv6.src -e ip.dst -e ipv6.dst -e tcp.srcport -e tcp.dstport -e tcp.seq 2>/dev/null >"$TCPF.comp"
    caddr=$(echo "$first_syn" | awk -F'\t' '{ print ($2 != "") ? $2 : $3 }')
    saddr=$(echo "$first_syn" | awk -F'\t' '{ print ($5 != "") ? $5 : $6 }')
    awk -F'\t' -v vant="$VANT" -v ca="$caddr" -v sa="$saddr" -v comp="$TCPF.comp" '
        BEGIN { while ((getline l < comp) > 0) { split(l, c, "\t")
                    src = (c[1] != "") ? c[1] : c[2]; dst = (c[3] != "") ? c[3] : c[4]
                    other[src "|" dst "|" c[5] "|" c[6] "|" c[7]] = 1 } }
        $4 == "1" || $4 == "True" {
            src = ($6 != "") ? $6 : $7; dst = ($8 != "") ? $8 : $9
            key = src "|" dst "|" $10 "|" $11 "|" $12
            who = "middlebox"
            if (ca != "" && src == ca) who = (vant == "client" || (key in other)) ? "client" : "middlebox"
            else if (sa != "" && src == sa) who = (vant == "server" || (key in other)) ? "server" : "middlebox"
            s = s (s != "" ? "," : "") $1 ":" who }
        END { print "rst_origin=" s }' "$TCPF"
    rm -f "$TCPF.comp"
else
    echo "rst_origin="
fi

# rst_ttl: IPv4 TTL / IPv6 hop limit of every RST frame
awk -F'\t' '$4 == "1" || $4 == "True" { s = s (s != "" ? "," : "") $1 ":" (($13 != "") ? $13 : $14) }
            END { print "rst_ttl=" s }' "$TCPF"

echo "keepalive_frames=$(frames "tcp.analysis.keep_alive && $NOERR")"
echo "keepalive_ack_frames=$(frames "tcp.analysis.keep_alive_ack && $NOERR")"
sed -n 's/^@//p' "$TCPF.streams"
rm -f "$TCPF" "$TCPF.streams"
