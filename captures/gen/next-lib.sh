# captures/next generator helpers -- sourced by the captures/next scenario
# scripts (gen/NAME.sh listed in gen/make-next) instead of lib.sh directly.
# Output goes to captures/next/ (CL_OUT_DIR), every truth file gets the extra
# facts of gen/next-facts.sh (CL_EXTRA_FACTS) before the facts marker.
CL_OUT_DIR=${CL_OUT_DIR:-next}
CL_EXTRA_FACTS=${CL_EXTRA_FACTS:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/next-facts.sh}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
NEXTAPP="/usr/bin/python3 $GEN_DIR/nextapp.py"

# nx_srv ADDR PORTS OPTIONS... -- gen/nextapp.py server in cl_s (background, SRV_PID)
nx_srv() {
    local addr=$1 ports=$2; shift 2
    cl_bg SRV_PID $NS_S $NEXTAPP server "$addr" "$ports" "$@"
    cl_wait_listen $NS_S "${ports%%,*}"
}
# nx_cli TIMEOUT ADDR PORT OPTIONS... -- gen/nextapp.py client in cl_c (foreground)
nx_cli() {
    local to=$1 rc=0; shift
    nsx $NS_C timeout "$to" $NEXTAPP client "$@" || rc=$?
    echo "client exit status $rc" >&2
}
# nx_cli_bg VAR TIMEOUT ADDR PORT OPTIONS... -- the same in the background
nx_cli_bg() {
    local var=$1 to=$2; shift 2
    cl_bg "$var" $NS_C timeout "$to" $NEXTAPP client "$@"
}
# nx_truth NAME key=value... -- truth files of both vantages
nx_truth() {
    local name=$1 v; shift
    for v in client server; do cl_truth "$name" "$v" "$@"; done
}

# nx_connect NAME FAMILY LISTEN(yes|no) "R1 RULE" FW EXPECT DESC [CLIENT OPTIONS]
# set-up scenarios: 20 ms each way at r1; RULE (iptables / ip6tables
# arguments after "-A FORWARD", empty = none) goes before the NFQUEUE rule;
# the client makes 3 connection attempts 1 s apart (each: 1 request/response,
# FIN), unless CLIENT OPTIONS replace that.  NX_SYN_RETRIES: client
# net.ipv4.tcp_syn_retries; NX_TAIL: seconds captured after the client
# exits (default 1); NX_HDR: extra header key=value words.
nx_connect() {
    local name=$1 fam=$2 listen=$3 rule=$4 fw=$5 expect=$6 desc=$7; shift 7
    local addr=$S4 ipt=iptables opts="--conns 3 --conn-gap 1 --attempts --reqs 1 --size 2000 --close fin --lifetime 50"
    [ "$fam" = 6 ] && addr=$S6 ipt=ip6tables
    [ $# -gt 0 ] && opts="$*"
    trap cl_teardown EXIT
    cl_setup 1500
    cl_ttl 64 64
    if [ -n "${NX_SYN_RETRIES:-}" ]; then
        nsx $NS_C sysctl -qw net.ipv4.tcp_syn_retries="$NX_SYN_RETRIES"
        [ "$(nsx $NS_C sysctl -n net.ipv4.tcp_syn_retries)" = "$NX_SYN_RETRIES" ] || { echo "tcp_syn_retries not set" >&2; return 1; }
    fi
    [ -n "$rule" ] && nsx $NS_R1 $ipt -A FORWARD $rule
    cl_delay $NS_R1 20 70
    [ "$fam" = 6 ] && nsx $NS_R1 ip6tables -A FORWARD -p tcp -j NFQUEUE --queue-num 91 --queue-bypass
    [ "$listen" = yes ] && nx_srv $addr 8080 --lifetime 60
    cl_cap_start $name
    nx_cli 60 $addr 8080 $opts
    sleep ${NX_TAIL:-1}
    cl_cap_stop $name
    cl_delay_stop
    nsx $NS_R1 $ipt -L FORWARD -v -n -x >&2
    # with a rule at r1 no SYN reaches the server: its capture is empty and
    # that vantage has nothing to diagnose (expect_cause=none there)
    local v ex
    for v in client server; do
        ex=$expect
        [ "$v" = server ] && [ -n "$rule" ] && ex=none
        cl_truth $name $v "desc=$desc" family=$fam proto=tcp link_mtu=1500 icmp_blocked=no df=yes client_ttl=64 server_ttl=64 \
            fw="$fw" fw_timeout= keepalive=off push_idle= gaps= server_listening=$listen attempts=$(echo "$opts" | sed -n 's/.*--conns \([0-9]*\).*/\1/p') \
            delay_ms=20 ${NX_HDR:-} expect_cause=$ex
    done
}

# nx_zero_window NAME FAMILY PAUSE SIZE EXPECT DESC -- zero-window scenarios:
# 20 ms each way at r1; the client (receiver, SO_RCVBUF 16384) asks for SIZE
# bytes and stops reading after 60000 bytes for PAUSE s; the server (sender)
# aborts with RST (SO_LINGER {1,0}) after 10 s in which the client accepted
# no byte (gen/nextapp.py --abort-stall 10).
nx_zero_window() {
    local name=$1 fam=$2 pause=$3 size=$4 expect=$5 desc=$6 addr=$S4
    [ "$fam" = 6 ] && addr=$S6
    trap cl_teardown EXIT
    cl_setup 1500
    cl_ttl 64 64
    cl_delay $NS_R1 20 70
    [ "$fam" = 6 ] && nsx $NS_R1 ip6tables -A FORWARD -p tcp -j NFQUEUE --queue-num 91 --queue-bypass
    nx_srv $addr 8080 --abort-stall 10 --lifetime 50
    cl_cap_start $name
    nx_cli 50 $addr 8080 --reqs 1 --size "$size" --rcvbuf 16384 --read-pause "60000:$pause" --close fin --lifetime 40
    sleep 1
    cl_cap_stop $name
    cl_delay_stop
    nx_truth $name "desc=$desc" family=$fam proto=tcp link_mtu=1500 icmp_blocked=no df=yes client_ttl=64 server_ttl=64 \
        fw=none fw_timeout= keepalive=off push_idle= gaps= delay_ms=20 response_size=$size client_rcvbuf=16384 \
        receiver_stops_after=60000 receiver_pause_s=$pause sender_abort_stall_s=10 expect_cause=$expect
}
