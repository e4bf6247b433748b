# connlost capture generator library -- sourced by captures/gen/*.sh
# Topology (4 network namespaces, real kernel stacks, veth links):
#
#   cl_c [c0] ---- [r1a] cl_r1 [r1b] ==== [r2a] cl_r2 [r2b] ---- [s0] cl_s
#   10.91.1.2   10.91.1.1   10.91.2.1  bottleneck 10.91.2.2  10.91.3.1   10.91.3.2
#   fd91:1::2   fd91:1::1   fd91:2::1             fd91:2::2  fd91:3::1   fd91:3::2
#
# Endpoints and the outer links have MTU 1500; the r1-r2 link (r1b/r2a) has
# the bottleneck MTU given to cl_setup.  Offloads are off on every veth so
# the captures show wire-size packets.
set -eu

GEN_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CAP_DIR=$(cd "$GEN_DIR/.." && pwd)
# OUT_DIR: where cl_cap_stop / cl_truth put the pcaps and truth files
# (captures/ by default; the captures/next scenarios set CL_OUT_DIR=next)
case ${CL_OUT_DIR:-} in
    "") OUT_DIR=$CAP_DIR;;
    /*) OUT_DIR=$CL_OUT_DIR;;
    *)  OUT_DIR=$CAP_DIR/$CL_OUT_DIR;;
esac
mkdir -p "$OUT_DIR"
# CL_SNAPLEN: tcpdump snap length (0 = whole packets, the default)
CL_SNAPLEN=${CL_SNAPLEN:-0}
NS_C=cl_c NS_R1=cl_r1 NS_R2=cl_r2 NS_S=cl_s
ALL_NS="$NS_C $NS_R1 $NS_R2 $NS_S"
C4=10.91.1.2 S4=10.91.3.2 C6=fd91:1::2 S6=fd91:3::2
# capture filter: the scenario's traffic only (no ARP, no ND/RS/MLD)
CAP_FILTER='tcp or udp or icmp or (icmp6 and ip6[40] < 128) or (ip[6:2] & 0x1fff != 0) or (ip6 and ip6[6] == 44)'
CL_PIDS=""          # background processes we started (stopped by PID)
trap cl_teardown EXIT
trap 'exit 130' INT TERM HUP

nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

cl_teardown() {
    local p ns
    for p in $CL_PIDS; do kill "$p" 2>/dev/null || true; done
    for p in $CL_PIDS; do wait "$p" 2>/dev/null || true; done
    CL_PIDS=""
    rm -rf "${CAP_TMP:-/nonexistent}" "${NFQ_BIN:-/nonexistent}" "${NFQ_ERR:-/nonexistent}"
    for ns in $ALL_NS; do
        ip netns pids "$ns" 2>/dev/null | head -n 50 | while read -r p; do kill "$p" 2>/dev/null || true; done
        ip netns del "$ns" 2>/dev/null || true
    done
}

# cl_setup BOTTLENECK_MTU
cl_setup() {
    local mtu=$1 ns dev
    cl_teardown
    for ns in $ALL_NS; do
        ip netns add "$ns"
        nsx "$ns" ip link set lo up
        nsx "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
            net.ipv6.conf.default.router_solicitations=0 net.ipv6.conf.all.router_solicitations=0 \
            net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0 net.ipv4.tcp_mtu_probing=0 \
            net.ipv4.icmp_msgs_per_sec=100000 net.ipv4.icmp_msgs_burst=100000
    done
    ip -n $NS_C  link add c0  type veth peer name r1a netns $NS_R1
    ip -n $NS_R1 link add r1b type veth peer name r2a netns $NS_R2
    ip -n $NS_R2 link add r2b type veth peer name s0  netns $NS_S
    ip -n $NS_R1 link set r1b mtu "$mtu"
    ip -n $NS_R2 link set r2a mtu "$mtu"
    for x in $NS_C:c0 $NS_R1:r1a $NS_R1:r1b $NS_R2:r2a $NS_R2:r2b $NS_S:s0; do
        ns=${x%%:*} dev=${x#*:}
        nsx "$ns" ethtool -K "$dev" tso off gso off gro off tx off rx off >/dev/null 2>&1 || true
        nsx "$ns" ip link set "$dev" up
    done
    ip -n $NS_C  addr add 10.91.1.2/24 dev c0
    ip -n $NS_C  addr add fd91:1::2/64 dev c0 nodad
    ip -n $NS_R1 addr add 10.91.1.1/24 dev r1a
    ip -n $NS_R1 addr add fd91:1::1/64 dev r1a nodad
    ip -n $NS_R1 addr add 10.91.2.1/24 dev r1b
    ip -n $NS_R1 addr add fd91:2::1/64 dev r1b nodad
    ip -n $NS_R2 addr add 10.91.2.2/24 dev r2a
    ip -n $NS_R2 addr add fd91:2::2/64 dev r2a nodad
    ip -n $NS_R2 addr add 10.91.3.1/24 dev r2b
    ip -n $NS_R2 addr add fd91:3::1/64 dev r2b nodad
    ip -n $NS_S  addr add 10.91.3.2/24 dev s0
    ip -n $NS_S  addr add fd91:3::2/64 dev s0 nodad
    ip -n $NS_C  route add default via 10.91.1.1
    ip -n $NS_C  -6 route add default via fd91:1::1
    ip -n $NS_S  route add default via 10.91.3.1
    ip -n $NS_S  -6 route add default via fd91:3::1
    ip -n $NS_R1 route add 10.91.3.0/24 via 10.91.2.2
    ip -n $NS_R1 -6 route add fd91:3::/64 via fd91:2::2
    ip -n $NS_R2 route add 10.91.1.0/24 via 10.91.2.1
    ip -n $NS_R2 -6 route add fd91:1::/64 via fd91:2::1
    for ns in $NS_R1 $NS_R2; do
        nsx "$ns" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
    done
    # warm up neighbour caches so the captures start clean (pings are outside the capture)
    nsx $NS_C ping -c1 -W2 10.91.3.2 >/dev/null
    nsx $NS_C ping -6 -c1 -W2 fd91:3::2 >/dev/null
}

# cl_bg VAR NS CMD...  -- start CMD in background inside NS, store PID in VAR
cl_bg() {
    local var=$1 ns=$2; shift 2
    ip netns exec "$ns" "$@" &
    local pid=$!
    CL_PIDS="$CL_PIDS $pid"
    printf -v "$var" '%s' "$pid"
}

# cl_wait PID SECONDS -- wait for a background process, kill it after SECONDS
cl_wait() {
    local pid=$1 secs=$2 i
    for ((i = 0; i < secs * 10; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "WARN: pid $pid still running after ${secs}s, killing" >&2
        kill "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
    CL_PIDS=$(echo "$CL_PIDS" | tr ' ' '\n' | grep -vx "$pid" | tr '\n' ' ' || true)
}

# cl_cap_start NAME -- tcpdump on c0 (client ns) and s0 (server ns)
cl_cap_start() {
    local name=$1 i
    CAP_TMP=$(mktemp -d /tmp/cl_cap.XXXXXX)
    cl_bg TD_C $NS_C tcpdump --immediate-mode -i c0 -s "$CL_SNAPLEN" -U -Z root -w "$CAP_TMP/$name-client.pcap" "$CAP_FILTER" 2>"$CAP_TMP/c.err"
    cl_bg TD_S $NS_S tcpdump --immediate-mode -i s0 -s "$CL_SNAPLEN" -U -Z root -w "$CAP_TMP/$name-server.pcap" "$CAP_FILTER" 2>"$CAP_TMP/s.err"
    for ((i = 0; i < 100; i++)); do
        grep -q "listening on" "$CAP_TMP/c.err" && grep -q "listening on" "$CAP_TMP/s.err" && break
        sleep 0.1
    done
    grep -q "listening on" "$CAP_TMP/c.err" || { echo "tcpdump (client) did not start" >&2; cat "$CAP_TMP/c.err" >&2; return 1; }
    grep -q "listening on" "$CAP_TMP/s.err" || { echo "tcpdump (server) did not start" >&2; cat "$CAP_TMP/s.err" >&2; return 1; }
    sleep 0.3
}

# cl_cap_stop NAME -- stop both tcpdumps by PID, move the captures into OUT_DIR
cl_cap_stop() {
    local name=$1 p
    sleep 1
    for p in $TD_C $TD_S; do kill -INT "$p" 2>/dev/null || true; done
    cl_wait "$TD_C" 5
    cl_wait "$TD_S" 5
    mv -f "$CAP_TMP/$name-client.pcap" "$CAP_TMP/$name-server.pcap" "$OUT_DIR/"
    rm -rf "$CAP_TMP"
}

# cl_truth NAME VANTAGE key=value... -- write OUT_DIR/NAME-VANTAGE.truth
# header keys given by the scenario (scenario description as "desc=..."),
# client=/server= and the facts are measured from the capture.
cl_truth() {
    local name=$1 vantage=$2; shift 2
    local pcap="$OUT_DIR/$name-$vantage.pcap" out="$OUT_DIR/$name-$vantage.truth"
    local desc="" kv family="" proto=""
    {
        for kv in "$@"; do
            case $kv in desc=*) desc=${kv#desc=};; esac
        done
        echo "# $desc"
        echo "# generated by captures/gen/$name.sh (real kernel stacks in netns cl_c/cl_r1/cl_r2/cl_s); facts measured by captures/gen/facts.sh"
        echo "scenario=$name"
        echo "vantage=$vantage"
        for kv in "$@"; do
            case $kv in
                desc=*) ;;
                family=*) family=${kv#family=}; echo "$kv";;
                proto=*) proto=${kv#proto=}; echo "$kv"
                         "$GEN_DIR/facts.sh" --endpoints "$pcap";;
                *) echo "$kv";;
            esac
        done
        # CL_EXTRA_FACTS: optional command run as CMD PCAP whose key=value
        # lines sit before the facts marker (kept by refresh-facts)
        if [ -n "${CL_EXTRA_FACTS:-}" ]; then $CL_EXTRA_FACTS "$pcap"; fi
        echo "# facts, measured by facts.sh with tshark:"
        "$GEN_DIR/facts.sh" "$pcap"
    } >"$out"
}

# cl_wait_listen NS PORT [tcp|udp]
cl_wait_listen() {
    local ns=$1 port=$2 proto=${3:-tcp} i opt=-ltnH
    [ "$proto" = udp ] && opt=-lunH
    for ((i = 0; i < 50; i++)); do
        nsx "$ns" ss $opt "sport = :$port" | grep -q . && return 0
        sleep 0.1
    done
    echo "nothing listening on $port in $ns" >&2
    return 1
}

# cl_tcp_run FAMILY MODE SIZE -- run one tcpapp.py server/client exchange
# (server in cl_s port 8080, client in cl_c); captures must already run.
cl_tcp_run() {
    local fam=$1 mode=$2 size=$3 saddr=$S4 rc=0
    [ "$fam" = 6 ] && saddr=$S6
    cl_bg SRV_PID $NS_S "$GEN_DIR/tcpapp.py" server "$saddr" 8080 "$mode" "$size"
    cl_wait_listen $NS_S 8080
    nsx $NS_C timeout 40 "$GEN_DIR/tcpapp.py" client "$saddr" 8080 "$mode" "$size" || rc=$?
    echo "client exit status $rc" >&2
    cl_wait "$SRV_PID" 15
}

# cl_delay NS DELAY_MS [MAX_SECONDS] -- delay every forwarded TCP packet in
# router NS by DELAY_MS (each direction) with the NFQUEUE program
# gen/nfq-delay.c (no netem on this kernel); the program exits after
# MAX_SECONDS (default 60).  The NFQUEUE rule is appended to FORWARD, so rules
# added before (cl_fw) see the packets first.  Stopped by PID in cl_teardown /
# cl_delay_stop.
cl_delay() {
    local ns=$1 ms=$2 max=${3:-60} i
    NFQ_BIN=$(mktemp /tmp/cl_nfq-delay.XXXXXX)
    gcc -O2 -Wall -o "$NFQ_BIN" "$GEN_DIR/nfq-delay.c" -lnetfilter_queue
    NFQ_ERR=$(mktemp /tmp/cl_nfq-delay-log.XXXXXX)
    cl_bg NFQ_PID "$ns" "$NFQ_BIN" 91 "$ms" "$max" 2>"$NFQ_ERR"
    for ((i = 0; i < 50; i++)); do grep -q ready "$NFQ_ERR" && break; sleep 0.1; done
    grep -q ready "$NFQ_ERR" || { cat "$NFQ_ERR" >&2; return 1; }
    nsx "$ns" iptables -A FORWARD -p tcp -j NFQUEUE --queue-num 91 --queue-bypass
}
cl_delay_stop() {
    kill "$NFQ_PID" 2>/dev/null || true
    cl_wait "$NFQ_PID" 5
    rm -f "$NFQ_BIN" "$NFQ_ERR"
}

# cl_ttl CLIENT_TTL SERVER_TTL -- default IPv4 TTL of the end hosts (per netns)
cl_ttl() {
    nsx $NS_C sysctl -qw net.ipv4.ip_default_ttl="$1"
    nsx $NS_S sysctl -qw net.ipv4.ip_default_ttl="$2"
    [ "$(nsx $NS_C sysctl -n net.ipv4.ip_default_ttl)" = "$1" ] &&
    [ "$(nsx $NS_S sysctl -n net.ipv4.ip_default_ttl)" = "$2" ] || { echo "cl_ttl: TTL not set" >&2; return 1; }
}

# cl_fw NS reject|drop TIMEOUT -- stateful firewall in router NS: conntrack
# with established timeout TIMEOUT s and tcp_loose=0 (a mid-stream packet of
# an expired connection is INVALID, not NEW); INVALID TCP is answered with a
# forged RST (reject; iptables REJECT --reject-with tcp-reset, sent by the
# router itself, TTL 64) or dropped silently (drop).  Call before cl_delay so
# the rule comes before the NFQUEUE rule.  The sysctls are per netns; the
# conntrack rule loads/enables conntrack in NS first so they exist.
cl_fw() {
    local ns=$1 act=$2 to=$3 tgt
    case $act in
        reject) tgt="REJECT --reject-with tcp-reset";;
        drop)   tgt="DROP";;
        *) echo "cl_fw: reject|drop" >&2; return 1;;
    esac
    nsx "$ns" iptables -A FORWARD -p tcp -m conntrack --ctstate INVALID -j $tgt
    nsx "$ns" sysctl -qw net.netfilter.nf_conntrack_tcp_timeout_established="$to" \
        net.netfilter.nf_conntrack_tcp_loose=0
    [ "$(nsx "$ns" sysctl -n net.netfilter.nf_conntrack_tcp_timeout_established)" = "$to" ] &&
    [ "$(nsx "$ns" sysctl -n net.netfilter.nf_conntrack_tcp_loose)" = 0 ] ||
        { echo "cl_fw: conntrack sysctls not set in $ns" >&2; return 1; }
    echo "cl_fw: $ns established timeout $to s, tcp_loose 0 (host netns: $(sysctl -n net.netfilter.nf_conntrack_tcp_timeout_established 2>/dev/null || echo -) s, loose $(sysctl -n net.netfilter.nf_conntrack_tcp_loose 2>/dev/null || echo -))" >&2
}

# cl_idle_run "SERVER OPTIONS" "CLIENT OPTIONS" -- one gen/idleapp.py
# server (cl_s, port 8080) / client (cl_c) run over IPv4; captures must run.
cl_idle_run() {
    local rc=0
    cl_bg SRV_PID $NS_S /usr/bin/python3 "$GEN_DIR/idleapp.py" server $S4 8080 $1
    cl_wait_listen $NS_S 8080
    nsx $NS_C timeout 90 /usr/bin/python3 "$GEN_DIR/idleapp.py" client $S4 8080 $2 || rc=$?
    echo "client exit status $rc" >&2
    cl_wait "$SRV_PID" 20
}

# cl_mapi_server_start MAX_CONNS LIFETIME -- the MAPI scenarios' server (gen/mapiapp.py: EPM on 135, EMSMDB on
# 6001, Exchange's 32-session limit) in NS_S, logging to $SLOG; returns once both ports listen. SRV_PID is set.
cl_mapi_server_start() {
    cl_bg SRV_PID $NS_S /usr/bin/python3 "$GEN_DIR/mapiapp.py" server $S4 --log "$SLOG" --limit 32 \
        --max-conns "$1" --lifetime "$2"
    cl_wait_listen $NS_S 135
    cl_wait_listen $NS_S 6001
}
# cl_mapi_server_stop -- stop it by PID, and the delay line
cl_mapi_server_stop() {
    kill "$SRV_PID" 2>/dev/null || true
    cl_wait "$SRV_PID" 5
    cl_delay_stop
}
