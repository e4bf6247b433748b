#!/bin/bash
# captures/next path knowledge: a fragmentation black hole (DF clear).
# Download of 100 KB (gen/tcpapp.py download, CL_STALL=12: the client
# aborts with RST, SO_LINGER {1,0}, after 12 s without data).  The server
# has net.ipv4.ip_no_pmtu_disc=1, so its 1500-byte segments carry DF=0; r2
# fragments them into the 1492 link (1492-byte first fragment + 28-byte
# last fragment); r1 drops EVERY non-first fragment (iptables FORWARD -f).
# The client sees only the first fragments of the big segments, never a
# complete one; small segments (handshake, 113 B header) pass.  Client
# ipfrag_time=2: every incomplete datagram expires after 2 s and the client
# sends ICMP time exceeded 11/1 (reassembly), which reaches the server.
. "$(dirname "$0")/next-lib.sh"
N=fragment-blackhole
SIZE=102400
trap cl_teardown EXIT
cl_setup 1492
cl_ttl 64 64
nsx $NS_S sysctl -qw net.ipv4.ip_no_pmtu_disc=1
nsx $NS_C sysctl -qw net.ipv4.ipfrag_time=2
[ "$(nsx $NS_S sysctl -n net.ipv4.ip_no_pmtu_disc)" = 1 ] || { echo "ip_no_pmtu_disc not set" >&2; exit 1; }
[ "$(nsx $NS_C sysctl -n net.ipv4.ipfrag_time)" = 2 ] || { echo "ipfrag_time not set" >&2; exit 1; }
nsx $NS_R1 iptables -A FORWARD -f -j DROP
cl_cap_start $N
CL_STALL=12 cl_tcp_run 4 download $SIZE
sleep 3
cl_cap_stop $N
nsx $NS_R1 iptables -L FORWARD -v -n -x >&2
desc="Fragmentation black hole: 100 KB download, server DF clear (ip_no_pmtu_disc=1), r2 fragments into the 1492 link, r1 drops every non-first fragment, client ipfrag_time=2 sends ICMP 11/1; the client aborts with RST after 12 s without data"
for v in client server; do
    pcap="$OUT_DIR/$N-$v.pcap"
    ff=$("$GEN_DIR/facts.sh" "$pcap" | sed -n 's/^frag_first_frames=//p' | tr ',' '\n' | grep -c . || true)
    # IP IDs quoted by the ICMP 11/1 errors (inner header), in frame order:
    # at the server vantage (no fragments there) they name its lost segments
    qid=$(tshark -n -r "$pcap" -Y 'icmp.type==11 && icmp.code==1' -T fields -E occurrence=l -e ip.id 2>/dev/null | paste -sd, -)
    nf=$(tshark -n -r "$pcap" -Y '!icmp && ip.frag_offset>0' -T fields -e frame.number 2>/dev/null | wc -l)
    cl_truth $N $v "desc=$desc" family=4 proto=tcp link_mtu=1492 icmp_blocked=no df=no client_ttl=64 server_ttl=64 \
        fw=r1-forward-drop-all-non-first-fragments fw_timeout= keepalive=off push_idle= gaps= delay_ms=0 \
        server_ip_no_pmtu_disc=1 client_ipfrag_time=2 fragmented_at=r2 download_size=$SIZE client_stall_s=12 \
        first_fragment_frames_count=$ff non_first_fragment_frames_count=$nf icmp_reasm_quoted_ip_ids=$qid expect_cause=fragment-loss
done
