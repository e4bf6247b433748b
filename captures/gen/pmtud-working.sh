#!/bin/bash
# Scenario 4 (negative control): like pmtud-blackhole-download but r2 sends
# ICMP frag-needed (mtu 1492); the server lowers its segment size, the 200 KB
# transfer completes and both sides close with FIN.
. "$(dirname "$0")/lib.sh"
N=pmtud-working
trap cl_teardown EXIT
cl_setup 1492
cl_cap_start $N
cl_tcp_run 4 download 204800
cl_cap_stop $N
for v in client server; do
    cl_truth $N $v "desc=PMTUD working (negative control): 200 KB download over a 1492-MTU link, r2 sends ICMP frag-needed, transfer completes, FIN close" \
        family=4 proto=tcp link_mtu=1492 icmp_blocked=no df=yes expect_cause=none
done
