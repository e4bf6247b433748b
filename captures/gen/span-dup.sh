#!/bin/bash
# captures/next negative control: SPAN-like duplicates.  Plain forwarding, no
# delay.  Besides the usual c0 / s0 captures, two tcpdumps in r1 capture r1a
# (client side) and r1b (server side) at once; mergecap merges them into
# span-dup-span.pcap, so every forwarded packet appears twice, microseconds
# apart, normally the later copy one hop lower in TTL (and with other MACs;
# copies with equal microsecond timestamps may come in either order).
# Traffic: 5 connections x 3 request/responses (2000 B, 0.2 s apart, client
# closes with FIN), the last connection ends with a 600 KB bulk response the
# server closes with FIN.  Healthy: expect_cause=none.
. "$(dirname "$0")/next-lib.sh"
N=span-dup
trap cl_teardown EXIT
cl_setup 1500
cl_ttl 64 64
nx_srv $S4 8080 --lifetime 40
cl_cap_start $N
cl_bg TD_A $NS_R1 tcpdump --immediate-mode -i r1a -s 0 -U -Z root -w "$CAP_TMP/r1a.pcap" "$CAP_FILTER" 2>"$CAP_TMP/a.err"
cl_bg TD_B $NS_R1 tcpdump --immediate-mode -i r1b -s 0 -U -Z root -w "$CAP_TMP/r1b.pcap" "$CAP_FILTER" 2>"$CAP_TMP/b.err"
for ((i = 0; i < 50; i++)); do grep -q "listening on" "$CAP_TMP/a.err" && grep -q "listening on" "$CAP_TMP/b.err" && break; sleep 0.1; done
sleep 0.3
nx_cli 40 $S4 8080 --conns 5 --reqs 3 --size 2000 --gap 0.2 --conn-gap 0.3 --close fin --bulk 600000
sleep 1
for p in $TD_A $TD_B; do kill -INT "$p" 2>/dev/null || true; done
cl_wait "$TD_A" 5
cl_wait "$TD_B" 5
mergecap -F pcap -w "$OUT_DIR/$N-span.pcap" "$CAP_TMP/r1a.pcap" "$CAP_TMP/r1b.pcap"
cl_cap_stop $N
H="family=4 proto=tcp link_mtu=1500 icmp_blocked=no df=yes client_ttl=64 server_ttl=64 fw=none fw_timeout= keepalive=off push_idle= gaps=0.2"
D="SPAN-like duplicates (negative control): 5 connections x 3 request/responses + 600 KB bulk, FIN/FIN everywhere"
nx_truth $N "desc=$D; endpoint capture" $H span=no expect_cause=none
cl_truth $N span "desc=$D; r1a and r1b captured at once and merged with mergecap (every packet twice, second copy TTL-1)" \
    $H span=r1a+r1b expect_cause=none
