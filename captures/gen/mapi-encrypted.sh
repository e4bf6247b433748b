#!/bin/bash
# MAPI with RPC privacy (MSRPC / EMSMDB over ncacn_ip_tcp, gen/mapiapp.py):
# like mapi-clean, but the binds ask for auth level 6 (packet privacy,
# NTLMSSP with NEGOTIATE_SEAL), so every request / response after rpc_auth3
# carries a 16-byte NTLMSSP signature verifier and sealed stub bytes: only
# the headers, the opnums and the NTLM user (CONTOSO\user1) are readable, not
# the user DN or the return codes.  No firewall, 20 ms delay each way at r1,
# both end hosts TTL 128.  EPM lookup, then 3 logons 1 s apart (EcDoConnectEx,
# 2x EcDoRpcExt2); the first two end with EcDoDisconnect and FIN/FIN, the
# third stays open and idle (no keep-alive, nothing in between) until the
# capture stops about 3 s later.  Nothing to diagnose.
. "$(dirname "$0")/lib.sh"
N=mapi-encrypted
SLOG=$(mktemp /tmp/cl_mapi-log.XXXXXX)
READY=$(mktemp -u /tmp/cl_mapi-ready.XXXXXX)
trap 'cl_teardown; rm -f "$SLOG" "$SLOG.cap" "$READY"' EXIT
cl_setup 1500
cl_ttl 128 128
cl_delay $NS_R1 20 60
cl_cap_start $N
cl_mapi_server_start 10 50
cl_bg CLI_PID $NS_C /usr/bin/python3 "$GEN_DIR/mapiapp.py" client $S4 --mode clean --auth-level 6 \
    --logons 3 --gap 1.0 --keep-open 1 --ready-file "$READY" --hold-end 30 --lifetime 40
for ((i = 0; i < 300; i++)); do
    [ -e "$READY" ] && break
    kill -0 "$CLI_PID" 2>/dev/null || break
    sleep 0.1
done
[ -e "$READY" ] || { echo "$N: client did not reach the hold phase" >&2; exit 1; }
sleep 2                             # the open connection idles; cl_cap_stop waits 1 s more
cl_cap_stop $N
cp "$SLOG" "$SLOG.cap"
kill "$CLI_PID" 2>/dev/null || true
cl_wait "$CLI_PID" 5
cl_mapi_server_stop
DN="/o=Contoso/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=user1"
for v in client server; do
    mapfile -t MF < <(/usr/bin/python3 "$GEN_DIR/mapiapp.py" facts "$CAP_DIR/$N-$v.pcap" --vantage $v \
                      --server-log "$SLOG.cap")
    printf '%s\n' "${MF[@]}" | grep -qx 'mapi_held_at_end=1' &&
    [ "$(printf '%s\n' "${MF[@]}" | sed -n 's/^mapi_disconnect_frames=//p' | tr ',' '\n' | grep -c .)" = 2 ] ||
        { printf '%s\n' "${MF[@]}" >&2; echo "$N: run did not go as planned" >&2; exit 1; }
    cl_truth $N $v "desc=MAPI with RPC privacy (auth level 6, sealed stubs): EPM lookup, then 3 logons 1 s apart, bind+NTLM, rpc_auth3, EcDoConnectEx, 2x EcDoRpcExt2; 2 end with EcDoDisconnect and FIN/FIN, the 3rd stays open until the capture ends; only headers, opnums and the NTLM user are readable; nothing to diagnose" \
        family=4 proto=tcp link_mtu=1500 icmp_blocked=no df=yes \
        client_ttl=128 server_ttl=128 fw=none fw_timeout= keepalive=off push_idle= gaps= \
        expect_causes= expect_experts= \
        rpc_auth_level=6 mapi_limit=32 "mapi_user=$DN" 'ntlm_user=CONTOSO\user1' "${MF[@]}"
done
