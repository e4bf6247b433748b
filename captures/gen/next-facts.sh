#!/bin/bash
# next-facts.sh CAPTURE -> extra key=value facts of the captures/next truth
# files (plain tshark / editcap, no plugin).  Lists ascending, empty = none.
# Used by cl_truth through CL_EXTRA_FACTS (lines placed before the facts
# marker, so refresh-facts keeps them).
set -eu
F=${1:?usage: next-facts.sh CAPTURE}
[ -r "$F" ] || { echo "next-facts.sh: cannot read $F" >&2; exit 2; }
export LC_ALL=C
ts() { tshark -n -r "$F" "$@" 2>/dev/null; }
frames() { ts -Y "$1" -T fields -e frame.number | paste -sd, -; }
count() { ts -Y "$1" -T fields -e frame.number | wc -l; }
NOERR='!icmp && !icmpv6'
echo "# extra facts, measured by gen/next-facts.sh with tshark/editcap:"

# clock: frames whose timestamp is earlier than the previous frame's, and
# frames more than 1 hour after the previous one
echo "time_backward_frames=$(frames 'frame.time_delta < 0')"
echo "time_jump_forward_frames=$(frames 'frame.time_delta > 3600')"

# connections
echo "tcp_streams=$(ts -Y "tcp && $NOERR" -T fields -e tcp.stream | sort -u | wc -l)"
echo "syn_frames=$(frames "tcp.flags.syn==1 && tcp.flags.ack==0 && $NOERR")"
echo "synack_frames=$(frames "tcp.flags.syn==1 && tcp.flags.ack==1 && $NOERR")"
echo "fin_frames_count=$(count "tcp.flags.fin==1 && $NOERR")"
echo "rst_frames_count=$(count "tcp.flags.reset==1 && $NOERR")"
# RST sender address of every RST frame (F:addr)
ts -Y "tcp.flags.reset==1 && $NOERR" -T fields -E occurrence=f -e frame.number -e ip.src -e ipv6.src \
  | awk -F'\t' '{ s = s (s != "" ? "," : "") $1 ":" (($2 != "") ? $2 : $3) } END { print "rst_src=" s }'
echo "retrans_all_count=$(count "(tcp.analysis.retransmission || tcp.analysis.fast_retransmission) && $NOERR")"
echo "lost_segment_frames_count=$(count "tcp.analysis.lost_segment && $NOERR")"
# ICMP errors (outer): F:type/code
ts -Y "(icmp && icmp.type!=0 && icmp.type!=8) || (icmpv6 && icmpv6.type<128)" -T fields -E occurrence=f \
   -e frame.number -e icmp.type -e icmp.code -e icmpv6.type -e icmpv6.code \
  | awk -F'\t' '{ t = ($2 != "") ? $2 "/" $3 : "v6:" $4 "/" $5; s = s (s != "" ? "," : "") $1 ":" t } END { print "icmp_error_frames=" s }'

# zero window: receiver advertises 0; probes and their ACKs; duration from
# the first zero-window frame to the first later frame of the same sender
# (same src addr:port) advertising a nonzero window, or to the capture end
echo "zero_window_frames=$(frames "tcp.analysis.zero_window && $NOERR")"
echo "zero_window_probe_frames=$(frames "(tcp.analysis.zero_window_probe || tcp.analysis.keep_alive) && $NOERR")"
echo "zero_window_probe_count=$(count "(tcp.analysis.zero_window_probe || tcp.analysis.keep_alive) && $NOERR")"
echo "window_update_frames=$(frames "tcp.analysis.window_update && $NOERR")"
ts -Y "tcp && $NOERR" -T fields -E occurrence=f -e frame.number -e frame.time_relative -e ip.src -e ipv6.src \
   -e tcp.srcport -e tcp.window_size -e tcp.analysis.zero_window \
  | awk -F'\t' '
    { src = (($3 != "") ? $3 : $4) ":" $5; last = $2
      if (zf == "" && $7 != "") { zf = $1; zt = $2; zs = src; next }
      if (zf != "" && ef == "" && src == zs && $6 + 0 > 0) { ef = $1; et = $2 } }
    END { if (zf == "") { print "zero_window_start="; print "zero_window_end_frame="; print "zero_window_duration="; exit }
          if (ef == "") et = last
          print "zero_window_start=" zf; print "zero_window_end_frame=" ef
          printf "zero_window_duration=%.6f\n", et - zt }'

# duplicates: exact (editcap -D, identical bytes within 100 frames) and
# SPAN-like (same IP src/dst/id/proto, ports, raw seq/ack, flags, payload
# length and IP payload length seen again within 5 ms: a second copy of the
# same packet taken at another point, whatever its TTL / MACs)
tot=$(ts -T fields -e frame.number | wc -l)
tmpd=$(mktemp /tmp/nextfacts.XXXXXX.pcap)
editcap -D 100 "$F" "$tmpd" >/dev/null 2>&1 || true
left=$(tshark -n -r "$tmpd" -T fields -e frame.number 2>/dev/null | wc -l)
rm -f "$tmpd"
echo "exact_dup_frames_count=$((tot - left))"
ts -o tcp.relative_sequence_numbers:FALSE -Y "ip" -T fields -E occurrence=f -e frame.number -e frame.time_epoch \
   -e ip.src -e ip.dst -e ip.id -e ip.proto -e ip.len -e tcp.srcport -e tcp.dstport -e tcp.seq -e tcp.ack \
   -e tcp.flags -e tcp.len -e ip.ttl \
  | awk -F'\t' '
    { k = $3 "|" $4 "|" $5 "|" $6 "|" $7 "|" $8 "|" $9 "|" $10 "|" $11 "|" $12 "|" $13
      if ((k in t) && $2 - t[k] <= 0.005) { n++; l = l (l != "" ? "," : "") $1
                                          d = ttl[k] - $14; if (d != 1) odd++; delete t[k] }
      else { t[k] = $2; ttl[k] = $14 } }
    END { print "span_dup_frames_count=" n + 0; print "span_dup_frames=" l
          print "span_dup_ttl_not_minus1=" odd + 0 }'

# port reuse: SYNs tshark flags as reused ports; challenge ACK = the next
# frame of the same address/port pair after such a SYN when it comes from
# the SYN's destination and is a pure ACK (flags 0x010)
echo "reused_port_syn_frames=$(frames "tcp.analysis.reused_ports && tcp.flags.syn==1 && tcp.flags.ack==0 && $NOERR")"
ts -Y "tcp && $NOERR" -T fields -E occurrence=f -e frame.number -e ip.src -e ipv6.src -e tcp.srcport -e ip.dst -e ipv6.dst \
   -e tcp.dstport -e tcp.flags -e tcp.analysis.reused_ports \
  | awk -F'\t' '
    { src = (($2 != "") ? $2 : $3) "|" $4; dst = (($5 != "") ? $5 : $6) "|" $7
      k = (src < dst) ? src "-" dst : dst "-" src
      if (k in want) { if (src == want[k] && ($8 == "0x0010" || $8 == "0x00000010")) l = l (l != "" ? "," : "") $1; delete want[k] }
      if ($9 != "" && ($8 == "0x0002" || $8 == "0x00000002")) want[k] = dst }
    END { print "challenge_ack_frames=" l }'

# TTL / hop limit seen per source address (distinct values)
ts -Y "tcp && $NOERR" -T fields -E occurrence=f -e ip.src -e ip.ttl -e ipv6.src -e ipv6.hlim \
  | awk -F'\t' '{ a = ($1 != "") ? $1 : $3; v = ($1 != "") ? $2 : $4; if (!((a, v) in seen)) { seen[a, v] = 1; L[a] = L[a] (L[a] != "" ? "/" : "") v } }
      END { n = 0; for (a in L) o[++n] = a; for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (o[j] < o[i]) { x = o[i]; o[i] = o[j]; o[j] = x }
            s = ""; for (i = 1; i <= n; i++) s = s (s != "" ? "," : "") o[i] "=" L[o[i]]; print "ttl_by_src=" s }'

# stream end kinds
ts -Y "tcp && $NOERR" -T fields -E occurrence=f -e tcp.stream -e tcp.flags.reset -e tcp.flags.fin \
  | awk -F'\t' '{ S[$1] = 1; if ($2 == "1" || $2 == "True") R[$1] = 1; if ($3 == "1" || $3 == "True") F[$1] = 1 }
      END { for (s in S) { if (s in R) r++; else if (s in F) f++; else o++ }
            print "streams_end_rst=" r + 0; print "streams_end_fin=" f + 0; print "streams_end_none=" o + 0 }'
