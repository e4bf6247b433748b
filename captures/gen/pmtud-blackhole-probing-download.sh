#!/bin/bash
# captures/next path MTU: black hole with Linux black-hole detection, bulk
# download.  The server has net.ipv4.tcp_mtu_probing=1; r2 drops its own ICMP
# frag-needed (OUTPUT chain) for the 1492-MTU r1-r2 link; 20 ms each way at
# r1.  300 KB download (gen/tcpapp.py download: ~100 B request, 120 B header,
# the body, FIN; the client does not abort, CL_STALL=25): the first
# full-size (1500) segments are lost, the download stalls while the server
# retransmits with back-off, then black-hole detection lowers the MSS, the
# server resends smaller and the download completes with FIN/FIN.
. "$(dirname "$0")/next-lib.sh"
N=pmtud-blackhole-probing-download
CL_EXTRA_FACTS="$GEN_DIR/pmtu-facts.sh 1492"
trap cl_teardown EXIT
cl_setup 1492
nsx $NS_R2 iptables -A OUTPUT -p icmp --icmp-type fragmentation-needed -j DROP
nsx $NS_S sysctl -qw net.ipv4.tcp_mtu_probing=1
[ "$(nsx $NS_S sysctl -n net.ipv4.tcp_mtu_probing)" = 1 ] || { echo "tcp_mtu_probing not set" >&2; exit 1; }
cl_delay $NS_R1 20 70
cl_cap_start $N
CL_STALL=25 cl_tcp_run 4 download 307200
cl_cap_stop $N
cl_delay_stop
nsx $NS_R2 iptables -L OUTPUT -v -n -x >&2
# recovered = the download ended with FIN from both sides and a reduced resend was seen
rec=no
if [ -n "$("$GEN_DIR/pmtu-facts.sh" 1492 "$OUT_DIR/$N-server.pcap" | sed -n 's/^pmtu_reduced_frame=//p')" ] &&
   [ "$(tshark -n -r "$OUT_DIR/$N-client.pcap" -Y 'tcp.flags.fin==1' -T fields -e ip.src 2>/dev/null | sort -u | wc -l)" = 2 ] &&
   [ -z "$(tshark -n -r "$OUT_DIR/$N-client.pcap" -Y 'tcp.flags.reset==1' -T fields -e frame.number 2>/dev/null)" ]; then rec=yes; fi
echo "pmtud_recovered=$rec" >&2
nx_truth $N "desc=PMTUD black hole with black-hole detection: 300 KB bulk download over a 1492-MTU link, ICMP frag-needed dropped at r2, server tcp_mtu_probing=1: stall, retransmissions, smaller resend, the download completes with FIN/FIN" \
    family=4 proto=tcp link_mtu=1492 icmp_blocked=yes df=yes client_ttl=64 server_ttl=64 fw=none fw_timeout= keepalive=off push_idle= gaps= \
    delay_ms=20 server_tcp_mtu_probing=1 icmp_dropped_at=r2-output pmtud_recovered=$rec expect_cause=pmtud-blackhole
