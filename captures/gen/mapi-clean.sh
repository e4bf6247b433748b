#!/bin/bash
# Negative control for the MAPI scenarios (MSRPC / EMSMDB over ncacn_ip_tcp,
# gen/mapiapp.py): no firewall, 20 ms delay each way at r1, both end hosts TTL
# 128.  EPM lookup (port 135, ept_map -> 6001), then 4 logons 1 s apart, each:
# TCP connect, bind (ctx 0 EMSMDB+NDR accepted, ctx 1 EMSMDB+NDR64 rejected)
# with NTLMSSP, rpc_auth3 (CONTOSO\user1, auth level connect), EcDoConnectEx
# (success), 2x EcDoRpcExt2, EcDoDisconnect, clean close (FIN/FIN).  No session
# is left on the server.
. "$(dirname "$0")/lib.sh"
N=mapi-clean
SLOG=$(mktemp /tmp/cl_mapi-log.XXXXXX)
trap 'cl_teardown; rm -f "$SLOG" "$SLOG.cap"' EXIT
cl_setup 1500
cl_ttl 128 128
cl_delay $NS_R1 20 60
cl_cap_start $N
cl_mapi_server_start 10 50
rc=0
nsx $NS_C timeout 40 /usr/bin/python3 "$GEN_DIR/mapiapp.py" client $S4 --mode clean --logons 4 --gap 1.0 \
    --lifetime 35 || rc=$?
echo "client exit status $rc" >&2
cl_cap_stop $N
cp "$SLOG" "$SLOG.cap"
cl_mapi_server_stop
DN="/o=Contoso/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=user1"
for v in client server; do
    mapfile -t MF < <(/usr/bin/python3 "$GEN_DIR/mapiapp.py" facts "$CAP_DIR/$N-$v.pcap" --vantage $v \
                      --server-log "$SLOG.cap")
    printf '%s\n' "${MF[@]}" | grep -qx 'mapi_held_at_end=0' &&
    [ "$(printf '%s\n' "${MF[@]}" | sed -n 's/^mapi_disconnect_frames=//p' | tr ',' '\n' | grep -c .)" = 4 ] ||
        { printf '%s\n' "${MF[@]}" >&2; echo "$N: run did not go as planned" >&2; exit 1; }
    cl_truth $N $v "desc=MAPI negative control: EPM lookup, then 4 logons 1 s apart, each bind+NTLM, rpc_auth3, EcDoConnectEx (success), 2x EcDoRpcExt2, EcDoDisconnect, FIN/FIN; no firewall, nothing to diagnose" \
        family=4 proto=tcp link_mtu=1500 icmp_blocked=no df=yes \
        client_ttl=128 server_ttl=128 fw=none fw_timeout= keepalive=off push_idle= gaps= \
        expect_causes= expect_experts= \
        rpc_auth_level=2 mapi_limit=32 "mapi_user=$DN" 'ntlm_user=CONTOSO\user1' "${MF[@]}"
done
