#!/bin/bash
# pmtu-facts.sh LINK_MTU CAPTURE -> next-facts.sh output plus path-MTU facts
# (plain tshark), used by the captures/next pmtud scenarios:
#   data_sender           address with the most TCP payload
#   sender_max_ip_len     largest IP packet of its data segments (wire size)
#   pmtu_big_frames       its data frames with IP length > LINK_MTU (they
#                         cannot pass the bottleneck; empty at the far side)
#   pmtu_reduced_frame    first data frame of the sender with IP length <=
#                         LINK_MTU and tcp.len >= 500 whose raw tcp.seq
#                         equals that of a pmtu_big_frame (the smaller resend
#                         of a black-holed segment); at a vantage without big
#                         frames: the frame with the same raw seq and length
#                         as that resend in the companion capture
#                         (NAME-client.pcap <-> NAME-server.pcap)
#   pmtu_stall_s          time from the first pmtu_big_frame to
#                         pmtu_reduced_frame (same capture; empty otherwise)
#   sender_data_gap       longest interval between consecutive data frames
#                         of the sender, and the frame ending it (S,FRAME)
#   marker_frames         frames whose TCP payload contains "LOSE1ME!"
set -eu
MTU=${1:?usage: pmtu-facts.sh LINK_MTU CAPTURE}
F=${2:?usage: pmtu-facts.sh LINK_MTU CAPTURE}
GEN=$(cd "$(dirname "$0")" && pwd)
export LC_ALL=C
"$GEN/next-facts.sh" "$F"
echo "# path MTU facts, measured by gen/pmtu-facts.sh (link_mtu $MTU):"
rows() {  # frame time src len seq iplen
    tshark -n -r "$1" -o tcp.relative_sequence_numbers:FALSE -Y 'tcp.len>0 && !icmp && !icmpv6' -T fields -E occurrence=f \
        -e frame.number -e frame.time_relative -e ip.src -e ipv6.src -e tcp.len -e tcp.seq -e ip.len -e ipv6.plen 2>/dev/null \
      | awk -F'\t' '{ s = ($3 != "") ? $3 : $4; l = ($7 != "") ? $7 : $8 + 40; print $1 "\t" $2 "\t" s "\t" $5 "\t" $6 "\t" l }'
}
sender() { awk -F'\t' '{ b[$3] += $4 } END { for (s in b) if (best == "" || b[s] > b[best]) best = s; print best }'; }
reduced() {  # rows on stdin, sender, mtu -> "frame seq len stall"
    awk -F'\t' -v snd="$1" -v mtu="$2" '$3 == snd {
        if ($6 > mtu) { big[$5] = 1; if (t0 == "") t0 = $2; next }
        if (r == "" && ($5 in big) && $4 >= 500) { r = $1; rs = $5; rl = $4; rt = $2 } }
        END { if (r != "") printf "%s %s %s %.6f\n", r, rs, rl, rt - t0 }'
}
R=$(rows "$F")
S=$(echo "$R" | sender)
echo "data_sender=$S"
echo "sender_max_ip_len=$(echo "$R" | awk -F'\t' -v s="$S" '$3 == s && $6 > m { m = $6 } END { print m }')"
echo "pmtu_big_frames=$(echo "$R" | awk -F'\t' -v s="$S" -v m="$MTU" '$3 == s && $6 > m { print $1 }' | paste -sd, -)"
red=$(echo "$R" | reduced "$S" "$MTU")
stall=""
if [ -n "$red" ]; then
    set -- $red; rf=$1 stall=$4
else
    rf=""
    case $F in
        *-client.pcap) C=${F%-client.pcap}-server.pcap;;
        *-server.pcap) C=${F%-server.pcap}-client.pcap;;
        *) C="";;
    esac
    if [ -n "$C" ] && [ -r "$C" ]; then
        RC=$(rows "$C")
        cred=$(echo "$RC" | reduced "$(echo "$RC" | sender)" "$MTU")
        if [ -n "$cred" ]; then
            set -- $cred
            rf=$(echo "$R" | awk -F'\t' -v s="$S" -v q="$2" -v l="$3" '$3 == s && $5 == q && $4 == l { print $1; exit }')
        fi
    fi
fi
echo "pmtu_reduced_frame=$rf"
echo "pmtu_stall_s=$stall"
echo "$R" | awk -F'\t' -v s="$S" '$3 == s { if (p != "" && $2 - p > g) { g = $2 - p; gf = $1 }; p = $2 }
    END { if (gf != "") printf "sender_data_gap=%.6f,%s\n", g, gf; else print "sender_data_gap=" }'
echo "marker_frames=$(tshark -n -r "$F" -Y 'tcp contains "LOSE1ME!"' -T fields -e frame.number 2>/dev/null | paste -sd, -)"
