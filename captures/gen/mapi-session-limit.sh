#!/bin/bash
# Exchange MAPI session limit reached through a stateful firewall (MSRPC /
# EMSMDB over ncacn_ip_tcp, gen/mapiapp.py).  r1 tracks connections
# (conntrack, established timeout 1 s, tcp_loose=0) and REJECTs INVALID TCP
# with a forged RST (TTL 64); 20 ms delay each way at r1 (RTT ~40 ms).  Both
# end hosts TTL 128 (Windows-like).  The client (Outlook-like) does one EPM
# lookup (port 135, ept_map -> 6001), then per logon: TCP connect, bind (ctx 0
# EMSMDB+NDR accepted, ctx 1 EMSMDB+NDR64 rejected) with NTLMSSP NEGOTIATE /
# CHALLENGE, rpc_auth3 with AUTHENTICATE (CONTOSO\user1, auth level connect),
# EcDoConnectEx, 2x EcDoRpcExt2, 2 s idle, EcDoRpcExt2: the firewall has
# forgotten the connection and answers with a forged RST; the server hears
# nothing, its socket stays ESTABLISHED and the session leaks.  The client
# reconnects at once.  The server (limit 32 sessions per user DN, like
# Exchange, event 9646) refuses the 33rd EcDoConnectEx with 0x000004DE
# (ecMaxObjsExceeded); the client retries twice (0.5 s apart, refused, each
# closed with FIN) and stops.  The server keeps the 32 connections until the
# capture has stopped.
. "$(dirname "$0")/lib.sh"
N=mapi-session-limit
SLOG=$(mktemp /tmp/cl_mapi-log.XXXXXX)
trap 'cl_teardown; rm -f "$SLOG" "$SLOG.cap"' EXIT
cl_setup 1500
cl_ttl 128 128
cl_fw $NS_R1 reject 1
cl_delay $NS_R1 20 175
cl_cap_start $N
cl_mapi_server_start 60 170
rc=0
nsx $NS_C timeout 160 /usr/bin/python3 "$GEN_DIR/mapiapp.py" client $S4 --mode leak --idle 2.0 \
    --retries 2 --retry-gap 0.5 --max-logons 40 --lifetime 150 || rc=$?
echo "client exit status $rc" >&2
cl_cap_stop $N
cp "$SLOG" "$SLOG.cap"              # the server's log as of the end of the capture
cl_mapi_server_stop
DN="/o=Contoso/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=user1"
for v in client server; do
    case $v in
        client) causes=idle-reset,mapi-session-limit
                ex=keepalive_missing,periodic_disconnect,middlebox_reset,mapi_session_leak,mapi_sessions_near_limit,mapi_reconnect_burst;;
        server) causes=mapi-session-limit
                ex=mapi_sessions_near_limit,mapi_reconnect_burst;;
    esac
    mapfile -t MF < <(/usr/bin/python3 "$GEN_DIR/mapiapp.py" facts "$CAP_DIR/$N-$v.pcap" --vantage $v \
                      --server-log "$SLOG.cap")
    printf '%s\n' "${MF[@]}" | grep -qx 'mapi_held_at_end=32' &&
    printf '%s\n' "${MF[@]}" | grep -q '^mapi_connect_results=.*0x000004de.*0x000004de.*0x000004de' ||
        { printf '%s\n' "${MF[@]}" >&2; echo "$N: run did not reach the session limit as planned" >&2; exit 1; }
    cl_truth $N $v "desc=MAPI session limit through a stateful firewall: conntrack established timeout 1 s at r1, INVALID answered with a forged RST; EPM lookup, then logons (bind+NTLM, rpc_auth3, EcDoConnectEx, EcDoRpcExt2) each idle 2 s and reset by r1 on the next EcDoRpcExt2 without the server hearing of it, so every session leaks; the 33rd EcDoConnectEx and 2 retries are refused with ecMaxObjsExceeded (0x4DE)" \
        family=4 proto=tcp link_mtu=1500 icmp_blocked=no df=yes \
        client_ttl=128 server_ttl=128 fw=reject fw_timeout=1 keepalive=off push_idle= gaps=2.0 \
        expect_causes=$causes expect_experts=$ex \
        rpc_auth_level=2 mapi_limit=32 "mapi_user=$DN" 'ntlm_user=CONTOSO\user1' "${MF[@]}"
done
