#!/bin/bash
# Scenario 5b (negative control): IPv6 download over a 1400-MTU link, r2 sends
# ICMPv6 Packet Too Big (mtu 1400), transfer completes, FIN close.
. "$(dirname "$0")/lib.sh"
N=pmtud-working-v6
trap cl_teardown EXIT
cl_setup 1400
cl_cap_start $N
cl_tcp_run 6 download 204800
cl_cap_stop $N
for v in client server; do
    cl_truth $N $v "desc=IPv6 PMTUD working (negative control): 200 KB download over a 1400-MTU link, r2 sends ICMPv6 Packet Too Big, transfer completes, FIN close" \
        family=6 proto=tcp link_mtu=1400 icmp_blocked=no df=yes expect_cause=none
done
