#!/bin/bash
# Scenario 6b: UDP fragment loss over IPv6.  Sender (cl_c) sends 30 x 3000 B
# datagrams 50 ms apart; its kernel fragments them (IPv6 fragment headers;
# the path MTU 1400 is learnt by a ping before the capture, since IPv6
# routers never fragment); r1 drops every 3rd non-first fragment; the
# receiver (cl_s, ip6frag_time=2) sends ICMPv6 time-exceeded/reassembly back.
. "$(dirname "$0")/lib.sh"
N=fragment-loss-udp-v6
trap cl_teardown EXIT
cl_setup 1400
nsx $NS_S sysctl -qw net.ipv6.ip6frag_time=2
# learn the path MTU both ways (r1 / r2 send Packet Too Big) outside the
# capture, before the drop rules; the third ping is fragmented and must pass
nsx $NS_C ping -6 -c1 -W2 -M do -s 1452 $S6 >/dev/null 2>&1 || true
nsx $NS_S ping -6 -c1 -W2 -M do -s 1452 $C6 >/dev/null 2>&1 || true
nsx $NS_C ping -6 -c1 -W2 -s 1452 $S6 >/dev/null
nsx $NS_C ip -6 route get $S6 | grep -q 'mtu 1400' || { echo "path MTU 1400 not learnt" >&2; exit 1; }
# non-first fragments go through chain FRAGS, where every 3rd is dropped
nsx $NS_R1 ip6tables -N FRAGS
nsx $NS_R1 ip6tables -A FORWARD -m frag -j FRAGS
nsx $NS_R1 ip6tables -A FRAGS -m frag --fragfirst -j RETURN
nsx $NS_R1 ip6tables -A FRAGS -m statistic --mode nth --every 3 --packet 0 -j DROP
cl_cap_start $N
cl_bg RCV $NS_S "$GEN_DIR/udpapp.py" recv $S6 9000 30 4
cl_wait_listen $NS_S 9000 udp
nsx $NS_C timeout 20 "$GEN_DIR/udpapp.py" send $S6 9000 30 3000 0.05 40000
cl_wait "$RCV" 10
sleep 1
cl_cap_stop $N
nsx $NS_R1 ip6tables -L FRAGS -v -n -x >&2
for v in client server; do
    cl_truth $N $v "desc=IPv6 UDP fragment loss: 30 x 3000 B datagrams fragmented by the sender (path MTU 1400), r1 drops every 3rd non-first fragment, receiver ip6frag_time=2 sends ICMPv6 3/1" \
        family=6 proto=udp link_mtu=1400 icmp_blocked=no df=no expect_cause=fragment-loss
done
