#!/usr/bin/python3
"""connlost MSRPC / EMSMDB (Exchange MAPI over RPC/TCP) test application.

Plain TCP sockets, DCE/RPC connection-oriented (ncacn_ip_tcp), little-endian
NDR, NTLMSSP authentication (tokens built here with struct; nothing is
verified).  Bounded in time.

server: mapiapp.py server ADDR --log FILE [options]
  EPM on TCP --epm-port (135): bind (EPM v3.0 / NDR) -> bind_ack (secondary
  address "135"); ept_map (opnum 3) -> one tower for the EMSMDB or
  AsyncEMSMDB interface (UUID+version, NDR, RPC CO, TCP --port, IP ADDR).
  EMSMDB on TCP --port (6001): bind / alter_context per presentation
  context: EMSMDB a4f1db00-... v0.81 and AsyncEMSMDB 5261574a-... v0.1 with
  NDR are accepted, NDR64 is rejected (provider_rejection, reason 2), other
  abstract syntaxes too (reason 1).  A bind with an NTLMSSP NEGOTIATE gets an
  NTLMSSP CHALLENGE in its bind_ack; rpc_auth3 carries the AUTHENTICATE.
  Opnums: 1 EcDoDisconnect, 10 EcDoConnectEx, 11 EcDoRpcExt2 (others: fault
  nca_s_op_rng_error).  Sessions are counted per user DN: a successful
  EcDoConnectEx creates one (fresh random context handle), EcDoDisconnect
  releases it, and when the connection's socket learns that the peer closed
  or reset it (recv returns 0 or raises), its sessions are released (context
  handle rundown).  With --limit sessions already held, EcDoConnectEx
  returns 0x000004DE (ecMaxObjsExceeded) and a zero handle.  Every connect,
  disconnect and rundown is written to --log as a JSON line.  One thread per
  connection; a connection stays open until the peer ends it (so sessions
  leak when the server never hears of the end).  --max-conns, --lifetime
  bound it.
  With auth level 6 (privacy) the stubs are "sealed": XOR with a keystream
  derived from the AUTHENTICATE's session-key field (a stand-in for NTLM
  sealing, opaque to tshark) and every request/response carries a 16-byte
  NTLMSSP signature verifier.

client: mapiapp.py client ADDR [options]
  EPM lookup (bind, ept_map for EMSMDB, port read from the tower, clean
  close), then per logon: TCP connect, bind (ctx 0 EMSMDB+NDR, ctx 1
  EMSMDB+NDR64) with NTLMSSP NEGOTIATE, rpc_auth3 with AUTHENTICATE
  (CONTOSO\\user1), EcDoConnectEx (--user-dn), 2x EcDoRpcExt2, then
  --mode leak    idle --idle s, EcDoRpcExt2 again (a stateful firewall has
                 forgotten the connection and resets it), reconnect at once;
                 repeated until an EcDoConnectEx is refused, then --retries
                 more refused attempts (--retry-gap s apart; every refused
                 connection is closed cleanly), at most --max-logons logons
  --mode clean   EcDoDisconnect + clean close (FIN), --logons times, --gap s
                 apart
  --auth-level 2 (connect, stubs in clear) or 6 (privacy, sealed stubs)
  --keep-open K  (clean mode) the last K logons are not disconnected: their
                 connections stay open; the client touches --ready-file and
                 holds them for --hold-end s (or until the peer closes)
  A call without a response within --stall s is abandoned with an abortive
  close (RST).

facts: mapiapp.py facts PCAP [--server-log FILE] [--vantage client|server]
  prints the MAPI facts of a truth file, measured from PCAP with plain
  tshark (dcerpc / epm / ntlmssp dissectors, port 6001 decoded as DCE/RPC)
  and the raw TCP payload (NDR stubs, which tshark 4.0 does not decode for
  EcDoConnectEx); with --server-log, a comment line comparing them with the
  server's log.  --by-seq: each direction is put back together by TCP
  sequence number (out-of-order segments held, retransmitted bytes taken
  once; a PDU belongs to the frame that completes it) and tshark reassembles
  out of order (tcp.reassemble_out_of_order), for captures with loss
  (mapi-split); without it, payload is taken in frame order, retransmissions
  skipped.
Logs go to stderr.
"""
import argparse, hashlib, hmac, json, os, select, signal, socket, struct, subprocess, sys, threading, time, uuid

T0 = time.time()
ROLE = "?"


def log(*a):
    print("[mapiapp %s %7.3f]" % (ROLE, time.time() - T0), *a, file=sys.stderr, flush=True)


# ------------------------------------------------------------------ constants
def U(s):
    return uuid.UUID(s).bytes_le


EPM = U("e1af8308-5d1f-11c9-91a4-08002b14a0fa")
EMSMDB = U("a4f1db00-ca47-1067-b31f-00dd010662da")
ASYNC = U("5261574a-4572-206e-b268-6b199213b4e4")
NDR = U("8a885d04-1ceb-11c9-9fe8-08002b104860")
NDR64 = U("71710533-beba-4937-8319-b5dbef9ccc36")
IFACES = {EPM: ("epm", 3, 0), EMSMDB: ("emsmdb", 0, 81), ASYNC: ("asyncemsmdb", 0, 1)}
NDR_VER, NDR64_VER = 2, 1
PT_REQUEST, PT_RESPONSE, PT_FAULT = 0, 2, 3
PT_BIND, PT_BIND_ACK, PT_BIND_NAK, PT_ALTER, PT_ALTER_RESP, PT_AUTH3 = 11, 12, 13, 14, 15, 16
AUTH_WINNT = 10                     # RPC_C_AUTHN_WINNT (NTLMSSP)
OP_DISCONNECT, OP_CONNECTEX, OP_RPCEXT2, OP_EPT_MAP = 1, 10, 11, 3
EC_MAX_OBJS = 0x000004DE            # ecMaxObjsExceeded
NCA_OP_RNG = 0x1C010002
EPT_NOT_REGISTERED = 0x16C9A0D6
USER_DN = "/o=Contoso/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=user1"
MAXFRAG = 5840


class Fail(Exception):
    pass


# ------------------------------------------------------------------ NDR
class W:
    """NDR (little-endian) writer; alignment relative to the stub start"""
    def __init__(self):
        self.b = bytearray()

    def align(self, n):
        self.b += b"\0" * ((-len(self.b)) % n)
        return self

    def u16(self, v):
        self.align(2).b += struct.pack("<H", v)
        return self

    def u32(self, v):
        self.align(4).b += struct.pack("<I", v)
        return self

    def raw(self, d):
        self.b += d
        return self

    def string(self, s):                        # [string] char*: max, offset, actual (incl. NUL), bytes
        d = s.encode() + b"\0"
        self.u32(len(d)).u32(0).u32(len(d)).raw(d)
        return self.align(4)

    def conf(self, d):                          # conformant array: max_count, bytes
        self.u32(len(d)).raw(d)
        return self.align(4)

    def confvar(self, d, maxc=None):            # conformant varying array: max, offset, actual, bytes
        self.u32(len(d) if maxc is None else maxc).u32(0).u32(len(d)).raw(d)
        return self.align(4)

    def bytes(self):
        return bytes(self.b)


class R:
    """NDR reader"""
    def __init__(self, b):
        self.b, self.p = b, 0

    def align(self, n):
        self.p += (-self.p) % n

    def u16(self):
        self.align(2)
        self.p += 2
        return struct.unpack_from("<H", self.b, self.p - 2)[0]

    def u32(self):
        self.align(4)
        self.p += 4
        return struct.unpack_from("<I", self.b, self.p - 4)[0]

    def raw(self, n):
        if self.p + n > len(self.b):
            raise ValueError("NDR: short stub")
        self.p += n
        return self.b[self.p - n:self.p]

    def string(self):
        mx, off, act = self.u32(), self.u32(), self.u32()
        if act > mx or off:
            raise ValueError("NDR: bad string header")
        d = self.raw(act)
        self.align(4)
        return d.rstrip(b"\0").decode("latin-1")

    def conf(self):
        n = self.u32()
        d = self.raw(n)
        self.align(4)
        return d

    def confvar(self):
        mx, off, act = self.u32(), self.u32(), self.u32()
        d = self.raw(act)
        self.align(4)
        return d


# ------------------------------------------------------------------ PDUs
def pdu(ptype, call_id, body, auth=None, pad=None, flags=3, padbytes=None):
    """auth = (level, ctx_id, token); pad = auth pad length (default: align
    the sec_trailer to 4 bytes from the PDU start); padbytes = the pad
    itself (default zeros; sealed pad bytes for privacy)"""
    trailer = b""
    alen = 0
    if auth is not None:
        level, ctx, token = auth
        if padbytes is not None:
            pad = len(padbytes)
        elif pad is None:
            pad = (-(16 + len(body))) % 4
        body = body + (padbytes if padbytes is not None else b"\0" * pad)
        trailer = struct.pack("<BBBBI", AUTH_WINNT, level, pad, 0, ctx) + token
        alen = len(token)
    flen = 16 + len(body) + len(trailer)
    return struct.pack("<BBBB4sHHI", 5, 0, ptype, flags, b"\x10\0\0\0", flen, alen, call_id) + body + trailer


def parse_pdu(d):
    """d = one complete PDU -> dict"""
    v, vm, ptype, flags, drep, flen, alen, call_id = struct.unpack_from("<BBBB4sHHI", d, 0)
    if v != 5 or drep[0] != 0x10:
        raise ValueError("not a little-endian DCE/RPC CO PDU")
    p = {"ptype": ptype, "flags": flags, "call_id": call_id, "auth": None, "flen": flen}
    end = flen
    if alen:
        t = flen - alen - 8
        atype, level, pad, _, ctx = struct.unpack_from("<BBBBI", d, t)
        p["auth"] = {"type": atype, "level": level, "pad": pad, "ctx": ctx, "token": d[t + 8:flen]}
        end = t - pad
    p["body"] = d[16:end]
    if ptype == PT_REQUEST:
        p["alloc"], p["ctx"], p["opnum"] = struct.unpack_from("<IHH", d, 16)
        p["stub"] = d[24:end]
    elif ptype in (PT_RESPONSE, PT_FAULT):
        p["alloc"], p["ctx"] = struct.unpack_from("<IH", d, 16)
        p["stub"] = d[24:end]
    return p


def bind_body(ctxs, assoc=0):
    """ctxs = [(ctx_id, abstract_uuid, major, minor, [(transfer_uuid, ver)...])]"""
    b = struct.pack("<HHIBBH", MAXFRAG, MAXFRAG, assoc, len(ctxs), 0, 0)
    for cid, au, ma, mi, tss in ctxs:
        b += struct.pack("<HBB", cid, len(tss), 0) + au + struct.pack("<HH", ma, mi)
        for tu, tv in tss:
            b += tu + struct.pack("<I", tv)
    return b


def parse_bind(body):
    mx, mr, assoc, n = struct.unpack_from("<HHIB", body, 0)
    p, ctxs = 12, []
    for _ in range(n):
        cid, nt = struct.unpack_from("<HB", body, p)
        au = body[p + 4:p + 20]
        ma, mi = struct.unpack_from("<HH", body, p + 20)
        p += 24
        tss = []
        for _ in range(nt):
            tss.append((body[p:p + 16], struct.unpack_from("<I", body, p + 16)[0]))
            p += 20
        ctxs.append((cid, au, ma, mi, tss))
    return assoc, ctxs


def bind_ack_body(results, sec_addr, assoc):
    """results = [(result, reason, transfer_uuid, ver)]"""
    sa = (sec_addr.encode() + b"\0") if sec_addr else b""
    b = struct.pack("<HHIH", MAXFRAG, MAXFRAG, assoc, len(sa)) + sa
    b += b"\0" * ((-(16 + len(b))) % 4)
    b += struct.pack("<BBH", len(results), 0, 0)
    for res, reason, tu, tv in results:
        b += struct.pack("<HH", res, reason) + tu + struct.pack("<I", tv)
    return b


def parse_bind_ack(body):
    sal = struct.unpack_from("<H", body, 8)[0]
    sa = body[10:10 + sal].rstrip(b"\0").decode("latin-1")
    p = 10 + sal
    p += (-(16 + p)) % 4
    n = body[p]
    p += 4
    res = []
    for _ in range(n):
        r, reason = struct.unpack_from("<HH", body, p)
        res.append((r, reason, body[p + 4:p + 20], struct.unpack_from("<I", body, p + 20)[0]))
        p += 24
    return sa, res


# ------------------------------------------------------------------ NTLMSSP
NTLM_SIG = b"NTLMSSP\0"
NF_UNICODE, NF_OEM, NF_REQ_TARGET, NF_SIGN, NF_SEAL = 0x1, 0x2, 0x4, 0x10, 0x20
NF_NTLM, NF_ALWAYS_SIGN, NF_TT_DOMAIN, NF_ESS = 0x200, 0x8000, 0x10000, 0x80000
NF_TARGET_INFO, NF_VERSION, NF_128, NF_KEY_EXCH, NF_56 = 0x800000, 0x2000000, 0x20000000, 0x40000000, 0x80000000
NTLM_FLAGS = (NF_UNICODE | NF_OEM | NF_REQ_TARGET | NF_SIGN | NF_NTLM | NF_ALWAYS_SIGN | NF_ESS
              | NF_VERSION | NF_128 | NF_KEY_EXCH | NF_56)


def u16le(s):
    return s.encode("utf-16-le")


def ntlm_version(build):
    return struct.pack("<BBHBBBB", 10, 0, build, 0, 0, 0, 15)   # 10.0.build, NTLMSSP_REVISION_W2K3


def filetime():
    return struct.pack("<Q", int((time.time() + 11644473600) * 10000000))


def avpair(i, v):
    return struct.pack("<HH", i, len(v)) + v


def ntlm_negotiate(flags):
    return NTLM_SIG + struct.pack("<II", 1, flags) + struct.pack("<HHI", 0, 0, 0) * 2 + ntlm_version(19041)


def ntlm_challenge(flags):
    tn = u16le("CONTOSO")
    ti = (avpair(2, u16le("CONTOSO")) + avpair(1, u16le("EXCH01")) + avpair(4, u16le("contoso.com"))
          + avpair(3, u16le("exch01.contoso.com")) + avpair(5, u16le("contoso.com"))
          + avpair(7, filetime()) + avpair(0, b""))
    flags = (flags & ~NF_OEM) | NF_TT_DOMAIN | NF_TARGET_INFO | NF_UNICODE
    return (NTLM_SIG + struct.pack("<I", 2) + struct.pack("<HHI", len(tn), len(tn), 56) + struct.pack("<I", flags)
            + os.urandom(8) + b"\0" * 8 + struct.pack("<HHI", len(ti), len(ti), 56 + len(tn))
            + ntlm_version(14393) + tn + ti)


def ntlm_target_info(chal):
    ln, _, off = struct.unpack_from("<HHI", chal, 40)
    return chal[off:off + ln]


def ntlm_authenticate(flags, domain, user, ws, target_info, session_key):
    # NTLMv2 response: NTProofStr (random: nothing is verified) + blob with
    # the server's AV pairs, MsvAvFlags=2 (MIC present) inserted before EOL
    ti = target_info[:-4] + avpair(6, struct.pack("<I", 2)) + avpair(0, b"")
    blob = struct.pack("<BBHI", 1, 1, 0, 0) + filetime() + os.urandom(8) + b"\0" * 4 + ti + b"\0" * 4
    nt = os.urandom(16) + blob
    lm = b"\0" * 24
    fields = [u16le(domain), u16le(user), u16le(ws), lm, nt, session_key]
    off = 88
    offs = []
    for f in fields:
        offs.append(off)
        off += len(f)
    d, u, w, l, n, k = [struct.pack("<HHI", len(f), len(f), o) for f, o in zip(fields, offs)]
    hdr = NTLM_SIG + struct.pack("<I", 3) + l + n + d + u + w + k + struct.pack("<I", flags) + ntlm_version(19041)
    hdr += os.urandom(16)                       # MIC (not verified)
    return hdr + b"".join([fields[0], fields[1], fields[2], fields[3], fields[4], fields[5]])


def parse_ntlm_auth(tok):
    """AUTHENTICATE -> (domain, user, workstation, session_key)"""
    if tok[:8] != NTLM_SIG or struct.unpack_from("<I", tok, 8)[0] != 3:
        raise ValueError("not an NTLMSSP AUTHENTICATE")

    def field(o):
        ln, _, off = struct.unpack_from("<HHI", tok, o)
        return tok[off:off + ln]
    flags = struct.unpack_from("<I", tok, 60)[0]
    enc = (lambda b: b.decode("utf-16-le")) if flags & NF_UNICODE else (lambda b: b.decode("latin-1"))
    return enc(field(28)), enc(field(36)), enc(field(44)), field(52)


# "sealing" stand-in for level 6 (privacy): keystream from the session key
def keystream(key, direction, seq, n):
    out = b""
    i = 0
    while len(out) < n:
        out += hashlib.sha256(key + direction + struct.pack("<II", seq, i)).digest()
        i += 1
    return out[:n]


def seal(key, direction, seq, data):
    ks = keystream(key, direction, seq, len(data))
    sealed = bytes(a ^ b for a, b in zip(data, ks))
    chk = hmac.new(key, direction + struct.pack("<I", seq) + data, hashlib.sha256).digest()[:8]
    return sealed, struct.pack("<I", 1) + chk + struct.pack("<I", seq)   # NTLMSSP_MESSAGE_SIGNATURE


unseal = seal


# ------------------------------------------------------------------ EPM towers
def floor(lhs, rhs):
    return struct.pack("<H", len(lhs)) + lhs + struct.pack("<H", len(rhs)) + rhs


def tower(if_uuid, ma, mi, port, ip):
    return (struct.pack("<H", 5)
            + floor(b"\x0d" + if_uuid + struct.pack("<H", ma), struct.pack("<H", mi))
            + floor(b"\x0d" + NDR + struct.pack("<H", NDR_VER), struct.pack("<H", 0))
            + floor(b"\x0b", struct.pack("<H", 0))                  # RPC connection-oriented
            + floor(b"\x07", struct.pack(">H", port))               # TCP port, big-endian
            + floor(b"\x09", socket.inet_aton(ip)))                 # IPv4 address


def parse_tower(t):
    n = struct.unpack_from("<H", t, 0)[0]
    p, floors = 2, []
    for _ in range(n):
        ll = struct.unpack_from("<H", t, p)[0]
        lhs = t[p + 2:p + 2 + ll]
        p += 2 + ll
        rl = struct.unpack_from("<H", t, p)[0]
        rhs = t[p + 2:p + 2 + rl]
        p += 2 + rl
        floors.append((lhs, rhs))
    return floors


def tower_port(t):
    for lhs, rhs in parse_tower(t):
        if lhs[:1] == b"\x07":
            return struct.unpack(">H", rhs)[0]
    return None


def ept_map_req(if_uuid, ma, mi):
    t = tower(if_uuid, ma, mi, 135, "0.0.0.0")
    w = W().u32(1).raw(b"\0" * 16)                  # obj: full pointer to the nil UUID
    w.u32(2).u32(len(t)).u32(len(t)).raw(t).align(4)   # map_tower: pointer, twr_t (conformant)
    w.raw(b"\0" * 20).u32(4)                        # entry_handle, max_towers
    return w.bytes()


def parse_ept_map_req(stub):
    r = R(stub)
    if r.u32():
        r.raw(16)
    t = b""
    if r.u32():
        r.u32()
        n = r.u32()
        t = r.raw(n)
        r.align(4)
    r.raw(20)
    return t, r.u32()


def ept_map_rsp(towers, max_towers):
    w = W().raw(b"\0" * 20).u32(len(towers))        # entry_handle, num_towers
    w.u32(max_towers).u32(0).u32(len(towers))       # ITowers: conformant varying array of pointers
    for i, _ in enumerate(towers):
        w.u32(3 + i)                                # referent ids
    for t in towers:
        w.u32(len(t)).u32(len(t)).raw(t).align(4)   # deferred twr_t
    w.u32(0 if towers else EPT_NOT_REGISTERED)      # status
    return w.bytes()


def parse_ept_map_rsp(stub):
    r = R(stub)
    r.raw(20)
    n = r.u32()
    r.u32(); r.u32(); act = r.u32()
    refs = [r.u32() for _ in range(act)]
    towers = []
    for ref in refs:
        if ref:
            r.u32()
            ln = r.u32()
            towers.append(r.raw(ln))
            r.align(4)
    return n, towers, r.u32()


# ------------------------------------------------------------------ EMSMDB stubs (MS-OXCRPC)
def connectex_req(user_dn):
    w = W().string(user_dn)
    for v in (0, 0, 0, 1252, 1033, 1033, 0xFFFFFFFF):   # ulFlags ulConMod cbLimit ulCpid ulLcidString ulLcidSort ulIcxrLink
        w.u32(v)
    w.u16(1)                                        # usFCanConvertCodePages
    for v in (0x000C, 0x0000, 0x1915):              # rgwClientVersion[3]
        w.u16(v)
    w.u32(0)                                        # pulTimeStamp
    w.conf(b"")                                     # rgbAuxIn
    w.u32(0)                                        # cbAuxIn
    w.u32(0x1008)                                   # pcbAuxOut
    return w.bytes()


def parse_connectex_req(stub):
    r = R(stub)
    dn = r.string()
    vals = [r.u32() for _ in range(7)]
    r.u16()
    ver = [r.u16() for _ in range(3)]
    r.u32()
    r.conf()
    r.u32(); r.u32()
    if r.p != len(stub):
        raise ValueError("EcDoConnectEx request: %d trailing bytes" % (len(stub) - r.p))
    return dn


def connectex_rsp(handle, rc, dn_prefix, display, icxr):
    ok = rc == 0
    w = W().u32(0).raw(handle if ok else b"\0" * 16)   # CXH
    w.u32(60000 if ok else 0).u32(6 if ok else 0).u32(10000 if ok else 0)  # pcmsPollsMax pcRetry pcmsRetryDelay
    w.u16(icxr if ok else 0)                        # picxr
    if ok:
        w.u32(0x00020000).string(dn_prefix)         # szDNPrefix (unique pointer)
        w.u32(0x00020004).string(display)           # szDisplayName
    else:
        w.u32(0).u32(0)
    for v in (0x000E, 0x8003, 0x007B):              # rgwServerVersion[3]
        w.u16(v)
    for v in (0x000C, 0x0000, 0x1915):              # rgwBestVersion[3]
        w.u16(v)
    w.u32(int(time.time()) & 0xFFFFFFFF)            # pulTimeStamp
    w.confvar(b"")                                  # rgbAuxOut
    w.u32(0)                                        # pcbAuxOut
    w.u32(rc)                                       # return code
    return w.bytes()


def parse_connectex_rsp(stub):
    r = R(stub)
    r.u32()
    h = r.raw(16)
    r.u32(); r.u32(); r.u32(); r.u16()
    if r.u32():
        r.string()
    if r.u32():
        r.string()
    for _ in range(6):
        r.u16()
    r.u32()
    r.confvar()
    r.u32()
    rc = r.u32()
    if r.p != len(stub) or rc != struct.unpack("<I", stub[-4:])[0]:
        raise ValueError("EcDoConnectEx response: bad length")
    return h, rc


def rpc_header_ext(payload):
    return struct.pack("<HHHH", 0, 0x0004, len(payload), len(payload)) + payload   # Version 0, Flags Last


def rpcext2_req(cxh, n):
    # RopGetReceiveFolder-free minimal ROP buffer: RopRelease (0x01) of handle index 0
    rops = struct.pack("<H", 2 + 3) + b"\x01\x00\x00" + struct.pack("<I", 0x00000001 + n)
    rgb = rpc_header_ext(rops)
    w = W().raw(cxh).u32(0x00000003)                # CXH, pulFlags (NoCompression | NoXorMagic)
    w.conf(rgb).u32(len(rgb))                       # rgbIn, cbIn
    w.u32(0x8007)                                   # pcbOut
    w.conf(b"").u32(0)                              # rgbAuxIn, cbAuxIn
    w.u32(0x1008)                                   # pcbAuxOut
    return w.bytes()


def rpcext2_rsp(cxh, rc=0):
    rgb = rpc_header_ext(struct.pack("<H", 2) + struct.pack("<I", 0xFFFFFFFF))
    w = W().raw(cxh).u32(0)                         # CXH, pulFlags
    w.confvar(rgb).u32(len(rgb))                    # rgbOut, pcbOut
    w.confvar(b"").u32(0)                           # rgbAuxOut, pcbAuxOut
    w.u32(15)                                       # pulTransTime (ms)
    w.u32(rc)
    return w.bytes()


def disconnect_req(cxh):
    return bytes(cxh)


def disconnect_rsp():
    return b"\0" * 20 + struct.pack("<I", 0)


# ------------------------------------------------------------------ socket helpers
def recv_exact(s, n, deadline):
    b = b""
    while len(b) < n:
        left = deadline - time.time()
        if left <= 0:
            raise socket.timeout("recv timeout")
        r, _, _ = select.select([s], [], [], min(left, 0.2))
        if not r:
            continue
        d = s.recv(n - len(b))
        if not d:
            if b:
                raise Fail("EOF inside a PDU")
            return None
        b += d
    return b


def read_pdu(s, deadline):
    h = recv_exact(s, 16, deadline)
    if h is None:
        return None
    flen = struct.unpack_from("<H", h, 8)[0]
    rest = recv_exact(s, flen - 16, deadline) if flen > 16 else b""
    if rest is None:
        raise Fail("EOF inside a PDU")
    return h + rest


# ------------------------------------------------------------------ server
class Server:
    def __init__(self, a):
        self.a = a
        self.lock = threading.Lock()
        self.held = {}                      # user -> {handle_hex: peer}
        self.logf = open(a.log, "a", buffering=1)
        self.assoc = 0x00012000
        self.nconn = 0

    def ev(self, **kw):
        kw["t"] = round(time.time() - T0, 6)
        with self.lock:
            self.logf.write(json.dumps(kw, sort_keys=True) + "\n")
        log(kw)

    def connect(self, user, peer):
        with self.lock:
            hs = self.held.setdefault(user, {})
            if len(hs) >= self.a.limit:
                rc, h = EC_MAX_OBJS, None
            else:
                rc, h = 0, uuid.uuid4().bytes
                hs[h.hex()] = peer
            n = len(hs)
        self.ev(event="connect", peer=peer, user=user, result="0x%08x" % rc, held=n,
                handle=h.hex() if h else "0" * 32)
        return rc, h

    def release(self, user, h, peer, why):
        with self.lock:
            hs = self.held.get(user, {})
            found = hs.pop(h.hex(), None) is not None
            n = len(hs)
        if found:
            self.ev(event=why, peer=peer, user=user, held=n, handle=h.hex())
        return found


class SConn:
    """one server-side TCP connection (EPM or EMSMDB)"""
    def __init__(self, srv, s, peer, service):
        self.srv, self.s, self.peer, self.service = srv, s, peer, service
        self.ctx = {}                       # p_cont_id -> abstract uuid (accepted)
        self.level = 0
        self.ntlm_flags = NTLM_FLAGS
        self.user_ntlm = None
        self.key = None
        self.seq_in = self.seq_out = 0
        self.sessions = []                  # (user, handle)
        with srv.lock:
            srv.assoc += 1
            self.assoc = srv.assoc

    def send(self, d):
        self.s.sendall(d)

    def bind(self, p):
        _, ctxs = parse_bind(p["body"])
        results = []
        for cid, au, ma, mi, tss in ctxs:
            known = IFACES.get(au)
            ok_if = known is not None and (ma, mi) == known[1:] and (
                (self.service == "epm") == (au == EPM))
            if not ok_if:
                results.append((2, 1, b"\0" * 16, 0))           # abstract syntax not supported
                continue
            if any(tu == NDR and tv == NDR_VER for tu, tv in tss):
                results.append((0, 0, NDR, NDR_VER))
                self.ctx[cid] = au
            else:
                results.append((2, 2, b"\0" * 16, 0))           # proposed transfer syntaxes not supported
        auth = None
        if p["auth"]:
            a = p["auth"]
            self.level, self.auth_ctx = a["level"], a["ctx"]
            tok = a["token"]
            if tok[:8] == NTLM_SIG and struct.unpack_from("<I", tok, 8)[0] == 1:
                self.ntlm_flags = struct.unpack_from("<I", tok, 12)[0]
                auth = (self.level, self.auth_ctx, ntlm_challenge(self.ntlm_flags))
        if p["ptype"] == PT_BIND:
            body = bind_ack_body(results, str(self.srv.a.epm_port if self.service == "epm" else self.srv.a.port),
                                 self.assoc)
            self.send(pdu(PT_BIND_ACK, p["call_id"], body, auth))
        else:
            self.send(pdu(PT_ALTER_RESP, p["call_id"], bind_ack_body(results, "", self.assoc), auth))

    def auth3(self, p):
        d, u, w, k = parse_ntlm_auth(p["auth"]["token"])
        self.user_ntlm, self.key = "%s\\%s" % (d, u), k
        log(self.peer, "auth3: NTLM user %s workstation %s level %d" % (self.user_ntlm, w, self.level))

    def respond(self, p, stub):
        hdr = struct.pack("<IHBB", len(stub), p["ctx"], 0, 0)
        if self.level == 6 and self.key:
            pad = (-len(stub)) % 16
            sealed, sig = seal(self.key, b"s2c", self.seq_out, stub + b"\0" * pad)
            self.seq_out += 1
            self.send(pdu(PT_RESPONSE, p["call_id"], hdr + sealed[:len(stub)], (6, self.auth_ctx, sig),
                          padbytes=sealed[len(stub):]))
        else:
            self.send(pdu(PT_RESPONSE, p["call_id"], hdr + stub))

    def fault(self, p, status):
        self.send(pdu(PT_FAULT, p["call_id"], struct.pack("<IHBBII", 32, p.get("ctx", 0), 0, 0, status, 0)))

    def request(self, p):
        au = self.ctx.get(p["ctx"])
        stub = p["stub"]
        if self.level == 6 and self.key and p["auth"]:
            padded = stub + b"\0" * p["auth"]["pad"]
            stub = unseal(self.key, b"c2s", self.seq_in, padded)[0][:len(stub)]
            self.seq_in += 1
        op = p["opnum"]
        if au == EPM and op == OP_EPT_MAP:
            t, maxt = parse_ept_map_req(stub)
            towers = []
            fl = parse_tower(t) if t else []
            if fl and fl[0][0][:1] == b"\x0d" and fl[0][0][1:17] in (EMSMDB, ASYNC):
                iu = fl[0][0][1:17]
                _, ma, mi = IFACES[iu]
                towers.append(tower(iu, ma, mi, self.srv.a.port, self.srv.a.addr))
            self.respond(p, ept_map_rsp(towers, maxt))
        elif au == EMSMDB and op == OP_CONNECTEX:
            user = parse_connectex_req(stub)
            rc, h = self.srv.connect(user, self.peer)
            if h:
                self.sessions.append((user, h))
            self.respond(p, connectex_rsp(h, rc, "/o=Contoso/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)",
                                          "user1", 1 + len(self.sessions)))
        elif au == EMSMDB and op == OP_DISCONNECT:
            h = bytes(stub[4:20])
            for us in list(self.sessions):
                if us[1] == h:
                    self.srv.release(us[0], h, self.peer, "disconnect")
                    self.sessions.remove(us)
            self.respond(p, disconnect_rsp())
        elif au == EMSMDB and op == OP_RPCEXT2:
            self.respond(p, rpcext2_rsp(bytes(stub[:20])))
        else:
            self.fault(p, NCA_OP_RNG)

    def run(self):
        a = self.srv.a
        why = "end"
        try:
            self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            while time.time() < T0 + a.lifetime:
                try:
                    d = read_pdu(self.s, T0 + a.lifetime)
                except socket.timeout:
                    why = "lifetime"
                    break
                if d is None:
                    why = "EOF"
                    break
                p = parse_pdu(d)
                if p["ptype"] in (PT_BIND, PT_ALTER):
                    self.bind(p)
                elif p["ptype"] == PT_AUTH3:
                    self.auth3(p)
                elif p["ptype"] == PT_REQUEST:
                    self.request(p)
                else:
                    log(self.peer, "ignored ptype", p["ptype"])
        except (OSError, Fail, ValueError, struct.error) as e:
            why = "error %r" % e
        log(self.peer, "connection ends: %s" % why)
        if why != "lifetime":
            for user, h in self.sessions:       # context handle rundown
                self.srv.release(user, h, self.peer, "rundown")
            self.sessions = []
        try:
            self.s.close()
        except OSError:
            pass


def server(a):
    srv = Server(a)
    ls = []
    for port, svc in ((a.epm_port, "epm"), (a.port, "emsmdb")):
        l = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        l.bind((a.addr, port))
        l.listen(64)
        ls.append((l, svc))
    srv.ev(event="start", limit=a.limit)
    n = 0
    while time.time() < T0 + a.lifetime and n < a.max_conns:
        r, _, _ = select.select([l for l, _ in ls], [], [], 0.2)
        for l, svc in ls:
            if l in r:
                s, peer = l.accept()
                n += 1
                pr = "%s:%d" % peer[:2]
                log("accepted %s on %s" % (pr, svc))
                threading.Thread(target=SConn(srv, s, pr, svc).run, daemon=True).start()
    for l, _ in ls:
        l.close()
    while time.time() < T0 + a.lifetime:        # keep connections (and sessions) until the end
        time.sleep(0.2)
    log("lifetime over, %d connections" % n)


# ------------------------------------------------------------------ client
class CConn:
    def __init__(self, a, port):
        self.a = a
        self.call_id = 0
        self.seq_out = self.seq_in = 0
        self.key = None
        self.level = 0
        self.s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.s.settimeout(5)
        self.s.connect((a.addr, port))
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.s.setblocking(False)
        self.lport = self.s.getsockname()[1]
        log("connected to %d from %d" % (port, self.lport))

    def next_id(self):
        self.call_id += 1
        return self.call_id

    def send(self, d):
        try:
            self.s.sendall(d)
        except OSError as e:
            self.s.close()
            raise Fail("send: %r" % e)

    def recv(self):
        try:
            d = read_pdu(self.s, time.time() + self.a.stall)
        except socket.timeout:
            log("abort (RST): no response for %.1f s" % self.a.stall)
            self.s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.s.close()
            raise Fail("stall")
        except OSError as e:
            self.s.close()
            raise Fail("recv: %r" % e)
        if d is None:
            self.s.close()
            raise Fail("EOF")
        return parse_pdu(d)

    def bind(self, ctxs, level=0):
        cid = self.next_id()
        auth = (level, 0, ntlm_negotiate(NTLM_FLAGS | (NF_SEAL if level == 6 else 0))) if level else None
        self.level = level
        self.send(pdu(PT_BIND, cid, bind_body(ctxs), auth))
        p = self.recv()
        if p["ptype"] != PT_BIND_ACK or p["call_id"] != cid:
            raise Fail("bind: ptype %d" % p["ptype"])
        sa, res = parse_bind_ack(p["body"])
        log("bind_ack: secondary address %s, results %s" % (sa, [(r, why) for r, why, _, _ in res]))
        if level:
            chal = p["auth"]["token"]
            self.key = os.urandom(16)
            flags = struct.unpack_from("<I", chal, 20)[0]
            tok = ntlm_authenticate(flags & ~NF_OEM | NF_UNICODE, "CONTOSO", "user1", "WS01",
                                    ntlm_target_info(chal), self.key)
            # rpc_auth_3: 4 pad bytes, then the sec_trailer with the AUTHENTICATE
            self.send(pdu(PT_AUTH3, cid, b"\0" * 4, (level, 0, tok)))
        return res

    def call(self, opnum, stub, ctx=0):
        cid = self.next_id()
        hdr = struct.pack("<IHH", len(stub), ctx, opnum)
        if self.level == 6:
            pad = (-len(stub)) % 16
            sealed, sig = seal(self.key, b"c2s", self.seq_out, stub + b"\0" * pad)
            self.seq_out += 1
            self.send(pdu(PT_REQUEST, cid, hdr + sealed[:len(stub)], (6, 0, sig), padbytes=sealed[len(stub):]))
        else:
            self.send(pdu(PT_REQUEST, cid, hdr + stub))
        p = self.recv()
        if p["call_id"] != cid:
            raise Fail("call id %d != %d" % (p["call_id"], cid))
        if p["ptype"] == PT_FAULT:
            raise Fail("fault 0x%08x" % struct.unpack_from("<I", p["stub"], 0)[0])
        out = p["stub"]
        if self.level == 6:
            out = unseal(self.key, b"s2c", self.seq_in, out + b"\0" * p["auth"]["pad"])[0][:len(out)]
            self.seq_in += 1
        return out

    def close(self):
        """clean close: FIN, read to EOF (bounded), close"""
        try:
            self.s.shutdown(socket.SHUT_WR)
            end = time.time() + self.a.stall
            while time.time() < end:
                r, _, _ = select.select([self.s], [], [], 0.05)
                if r and not self.s.recv(4096):
                    break
        except OSError as e:
            log("close: %r" % e)
        self.s.close()
        log("closed (FIN)")


def epm_lookup(a):
    c = CConn(a, a.epm_port)
    c.bind([(0, EPM, 3, 0, [(NDR, NDR_VER)])])
    n, towers, st = parse_ept_map_rsp(c.call(OP_EPT_MAP, ept_map_req(EMSMDB, 0, 81)))
    if st or not towers:
        raise Fail("ept_map: status 0x%08x, %d towers" % (st, n))
    port = tower_port(towers[0])
    log("ept_map: EMSMDB at tcp port %d" % port)
    c.close()
    return port


def logon(a, port):
    c = CConn(a, port)
    res = c.bind([(0, EMSMDB, 0, 81, [(NDR, NDR_VER)]), (1, EMSMDB, 0, 81, [(NDR64, NDR64_VER)])], a.auth_level)
    if res[0][0] != 0:
        raise Fail("EMSMDB context rejected")
    h, rc = parse_connectex_rsp(c.call(OP_CONNECTEX, connectex_req(a.user_dn)))
    log("EcDoConnectEx: 0x%08x handle %s" % (rc, h.hex()))
    return c, rc, b"\0\0\0\0" + h


def sleep(t):
    time.sleep(max(0.0, min(t, T0 + ARGS.lifetime - time.time())))


def client(a):
    port = epm_lookup(a)
    if a.mode == "leak":
        refused = logons = 0
        while logons < a.max_logons and time.time() < T0 + a.lifetime - 5:
            logons += 1
            try:
                c, rc, cxh = logon(a, port)
            except Fail as e:
                log("logon %d failed: %s" % (logons, e))
                sleep(a.retry_gap)
                continue
            if rc:
                refused += 1
                log("logon %d refused (0x%08x), refusal %d" % (logons, rc, refused))
                c.close()
                if refused > a.retries:
                    break
                sleep(a.retry_gap)
                continue
            try:
                for i in range(2):
                    c.call(OP_RPCEXT2, rpcext2_req(cxh, i))
                for i in range(3):              # idle, then work: the firewall has forgotten us
                    sleep(a.idle)
                    c.call(OP_RPCEXT2, rpcext2_req(cxh, 2 + i))
                log("logon %d: connection survived 3 idles, disconnecting" % logons)
                c.call(OP_DISCONNECT, disconnect_req(cxh))
                c.close()
            except Fail as e:
                log("logon %d: connection lost (%s), reconnecting" % (logons, e))
        log("done: %d logons, %d refused" % (logons, refused))
        return 0 if refused > a.retries else 3
    kept = []
    for k in range(a.logons):
        c, rc, cxh = logon(a, port)
        if rc:
            raise Fail("EcDoConnectEx refused 0x%08x" % rc)
        for i in range(2):
            c.call(OP_RPCEXT2, rpcext2_req(cxh, i))
        if k >= a.logons - a.keep_open:
            log("logon %d left open" % (k + 1))
            kept.append(c)
        else:
            c.call(OP_DISCONNECT, disconnect_req(cxh))
            c.close()
        if k + 1 < a.logons:
            sleep(a.gap)
    if kept:
        if a.ready_file:
            open(a.ready_file, "w").close()
        end = min(time.time() + a.hold_end, T0 + a.lifetime)
        log("holding %d connection(s) for up to %.0f s" % (len(kept), end - time.time()))
        while time.time() < end and kept:
            r, _, _ = select.select([c.s for c in kept], [], [], 0.2)
            for c in list(kept):
                if c.s in r:
                    try:
                        d = c.s.recv(4096)
                    except OSError:
                        d = b""
                    if not d:
                        log("peer ended a held connection")
                        kept.remove(c)
    return 0


# ------------------------------------------------------------------ facts
TS_FIELDS = ["frame.number", "tcp.stream", "tcp.srcport", "tcp.dstport", "tcp.flags.syn", "tcp.flags.ack",
             "tcp.flags.reset", "tcp.flags.fin", "tcp.analysis.retransmission", "tcp.payload",
             "dcerpc.pkt_type", "dcerpc.cn_call_id", "dcerpc.opnum", "dcerpc.cn_ack_result",
             "epm.proto.tcp_port", "ntlmssp.auth.domain", "ntlmssp.auth.username", "dcerpc.auth_level", "tcp.seq"]


def truthy(v):
    return v in ("1", "True")


def facts(a):
    plugins = subprocess.run(["tshark", "-G", "plugins"], capture_output=True, text=True).stdout
    if "connlost" in plugins.lower():
        sys.exit("facts: the connlost plugin is loaded by tshark; run as root / without it")
    cmd = ["tshark", "-n", "-r", a.pcap, "-d", "tcp.port==%d,dcerpc" % a.port, "-T", "fields",
           "-E", "separator=/t", "-E", "occurrence=a", "-E", "aggregator=|"]
    if a.by_seq:
        cmd[1:1] = ["-o", "tcp.reassemble_out_of_order:TRUE"]
    for f in TS_FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rows = []
    for line in out.splitlines():
        v = line.split("\t")
        v += [""] * (len(TS_FIELDS) - len(v))
        rows.append(dict(zip(TS_FIELDS, v)))
    warn = []
    # --- reassemble each stream direction from the raw payload, split into PDUs
    server_port = {}                    # stream -> server port (SYN destination)
    bufs = {}
    pdus = []                           # (frame, stream, to_server, pdu dict)
    ends = {}                           # stream -> (first rst frame, last fin frame)
    ts_ptypes = {}
    seqs = {}                           # --by-seq: (stream, to_server) -> [next relative seq, {seq: bytes} held]
    for r in rows:
        fr, st = int(r["frame.number"]), r["tcp.stream"]
        if st == "":
            continue
        sp, dp = int(r["tcp.srcport"]), int(r["tcp.dstport"])
        if truthy(r["tcp.flags.syn"]) and not truthy(r["tcp.flags.ack"]):
            server_port.setdefault(st, dp)
        e = ends.setdefault(st, [None, None])
        if truthy(r["tcp.flags.reset"]) and e[0] is None:
            e[0] = fr
        if truthy(r["tcp.flags.fin"]):
            e[1] = fr
        if r["dcerpc.pkt_type"]:
            ts_ptypes[fr] = [int(x) for x in r["dcerpc.pkt_type"].split("|")]
        pl = r["tcp.payload"].replace(":", "")
        if not pl or (truthy(r["tcp.analysis.retransmission"]) and not a.by_seq):
            continue
        srvp = server_port.get(st, min(sp, dp))
        to_srv = dp == srvp
        k = (st, to_srv)
        if a.by_seq:                    # relative seq: the first data byte after the SYN is 1
            q = seqs.setdefault(k, [1, {}])
            d = bytes.fromhex(pl)
            s0 = int(r["tcp.seq"])
            if len(d) > len(q[1].get(s0, b"")):
                q[1][s0] = d
            new = b""
            while True:
                for s1 in [s1 for s1 in q[1] if s1 + len(q[1][s1]) <= q[0]]:
                    del q[1][s1]        # bytes already taken
                nxt = [s1 for s1 in q[1] if s1 <= q[0]]
                if not nxt:
                    break
                s1 = min(nxt)
                new += q[1][s1][q[0] - s1:]
                q[0] = s1 + len(q[1].pop(s1))
            if not new:
                continue
            b = bufs.get(k, b"") + new
        else:
            b = bufs.get(k, b"") + bytes.fromhex(pl)
        while len(b) >= 16:
            flen = struct.unpack_from("<H", b, 8)[0]
            if b[0] != 5 or flen < 16:
                warn.append("frame %d: not a DCE/RPC PDU boundary" % fr)
                b = b""
                break
            if len(b) < flen:
                break
            pdus.append((fr, st, to_srv, parse_pdu(b[:flen])))
            b = b[flen:]
        bufs[k] = b
    # cross-check packet types with tshark's dcerpc dissector
    raw_pt = {}
    for fr, st, to_srv, p in pdus:
        raw_pt.setdefault(fr, []).append(p["ptype"])
    if raw_pt != ts_ptypes:
        diff = sorted(f for f in set(raw_pt) | set(ts_ptypes) if raw_pt.get(f) != ts_ptypes.get(f))
        warn.append("dcerpc.pkt_type differs from the raw PDUs in frames %s" % diff[:10])
    byframe = {int(r["frame.number"]): r for r in rows}
    # --- walk the PDUs
    epm_req = epm_rsp = None
    epm_port = ""
    binds, acks, auth3s, conns, results, sessions, discs = [], [], [], [], [], [], []
    refused_first = ""
    held = {}                           # user -> count
    st_ctx = {}                         # stream -> {ctx: uuid} proposed
    st_acc = {}                         # stream -> {ctx: uuid} accepted
    st_level = {}
    st_ntlm = {}
    pending = {}                        # (stream, call_id) -> (opnum, frame, user)
    st_sess = {}                        # stream -> [open sessions (user, handle)]
    ntlm_users, dn_users = set(), set()
    for fr, st, to_srv, p in pdus:
        pt = p["ptype"]
        if pt in (PT_BIND, PT_ALTER) and to_srv:
            _, ctxs = parse_bind(p["body"])
            st_ctx[st] = {c[0]: c[1] for c in ctxs}
            st_ctx[st]["order"] = [c[0] for c in ctxs]
            if p["auth"]:
                st_level[st] = p["auth"]["level"]
            if pt == PT_BIND:
                binds.append(fr)
        elif pt in (PT_BIND_ACK, PT_ALTER_RESP) and not to_srv:
            _, res = parse_bind_ack(p["body"])
            prop = st_ctx.get(st, {})
            acc = st_acc.setdefault(st, {})
            for cid, (r_, _, _, _) in zip(prop.get("order", []), res):
                if r_ == 0:
                    acc[cid] = prop[cid]
            if pt == PT_BIND_ACK:
                codes = "/".join(str(x[0]) for x in res)
                tsc = byframe[fr]["dcerpc.cn_ack_result"].replace("|", "/")
                if tsc != codes:
                    warn.append("frame %d: dcerpc.cn_ack_result %s != raw %s" % (fr, tsc, codes))
                acks.append("%d:%s" % (fr, codes))
        elif pt == PT_AUTH3 and to_srv:
            auth3s.append(fr)
            d, u, _, _ = parse_ntlm_auth(p["auth"]["token"])
            st_ntlm[st] = "%s\\%s" % (d, u)
            ntlm_users.add(st_ntlm[st])
            tsu = "%s\\%s" % (byframe[fr]["ntlmssp.auth.domain"], byframe[fr]["ntlmssp.auth.username"])
            if tsu != st_ntlm[st]:
                warn.append("frame %d: tshark NTLM user %s != raw %s" % (fr, tsu, st_ntlm[st]))
        elif pt == PT_REQUEST and to_srv:
            iface = st_acc.get(st, {}).get(p["ctx"])
            ops = byframe[fr]["dcerpc.opnum"].split("|")
            if str(p["opnum"]) not in ops:
                warn.append("frame %d: dcerpc.opnum %s, raw %d" % (fr, ops, p["opnum"]))
            sealed = st_level.get(st, 0) >= 5
            user = None
            if iface == EPM and p["opnum"] == OP_EPT_MAP:
                epm_req = epm_req or fr
            elif iface == EMSMDB and p["opnum"] == OP_CONNECTEX:
                conns.append(fr)
                if sealed:
                    user = "ntlm:" + st_ntlm.get(st, "?")
                else:
                    user = parse_connectex_req(p["stub"])
                    dn_users.add(user)
            elif iface == EMSMDB and p["opnum"] == OP_DISCONNECT:
                discs.append(fr)
                ss = st_sess.get(st, [])
                h = None if sealed else bytes(p["stub"][:20])
                for us in ss:
                    if h is None or us[1] == h:
                        ss.remove(us)
                        held[us[0]] -= 1
                        break
            pending[(st, p["call_id"])] = (iface, p["opnum"], fr, user)
        elif pt in (PT_RESPONSE, PT_FAULT) and not to_srv:
            iface, op, rq, user = pending.pop((st, p["call_id"]), (None, None, None, None))
            sealed = st_level.get(st, 0) >= 5
            if iface == EPM and op == OP_EPT_MAP and epm_rsp is None:
                epm_rsp = fr
                _, towers, stt = parse_ept_map_rsp(p["stub"])
                rawport = tower_port(towers[0]) if towers else None
                tsp = byframe[fr]["epm.proto.tcp_port"].split("|")
                epm_port = tsp[-1] if tsp and tsp[-1] else ""
                if str(rawport) != epm_port:
                    warn.append("frame %d: epm.proto.tcp_port %s != raw tower port %s" % (fr, tsp, rawport))
            elif iface == EMSMDB and op == OP_CONNECTEX:
                if pt == PT_FAULT:
                    rc, ok = "fault", False
                elif sealed:
                    rc, ok = "sealed", True
                else:
                    h, rcv = parse_connectex_rsp(p["stub"])
                    if rcv != struct.unpack("<I", p["stub"][-4:])[0]:
                        warn.append("frame %d: return code parse" % fr)
                    rc, ok = "0x%08x" % rcv, rcv == 0
                    if not ok and not refused_first:
                        refused_first = str(fr)
                if ok:
                    held[user] = held.get(user, 0) + 1
                    st_sess.setdefault(st, []).append((user, None if sealed else bytes(p["stub"][:20])))
                results.append("%d:%s" % (fr, rc))
                sessions.append("%d:%d" % (fr, held.get(user, 0)))
    leaks = []
    if a.vantage == "client":
        for st, ss in st_sess.items():
            if ss:
                rst, fin = ends.get(st, (None, None))
                e = rst or fin
                if e:
                    leaks.append(e)
    lines = ["epm_map_frames=%s" % ",".join(str(x) for x in (epm_req, epm_rsp) if x),
             "epm_port=%s" % epm_port,
             "rpc_bind_frames=%s" % ",".join(map(str, binds)),
             "rpc_bind_ack_frames=%s" % ",".join(acks),
             "rpc_auth3_frames=%s" % ",".join(map(str, auth3s)),
             "mapi_connect_frames=%s" % ",".join(map(str, conns)),
             "mapi_connect_results=%s" % ",".join(results),
             "mapi_sessions=%s" % ",".join(sessions),
             "mapi_refused_first=%s" % refused_first,
             "mapi_disconnect_frames=%s" % ",".join(map(str, discs)),
             "mapi_leak_frames=%s" % ",".join(map(str, sorted(leaks))),
             "mapi_held_at_end=%d" % sum(held.values())]
    cmt = ["# MAPI facts, measured by gen/mapiapp.py facts: tshark dcerpc/epm/ntlmssp dissectors "
           "(-d tcp.port==%d,dcerpc) + raw TCP payload for the NDR stubs" % a.port,
           "# measured: NTLM users %s; EcDoConnectEx user DNs %s; sealed streams %d" % (
               ",".join(sorted(ntlm_users)) or "-", ",".join(sorted(dn_users)) or "-",
               sum(1 for v in st_level.values() if v >= 5))]
    if a.server_log:
        cmt.append(check_log(a.server_log, results, sessions))
    for w_ in warn:
        cmt.append("# WARNING: " + w_)
        log("WARNING:", w_)
    print("\n".join(cmt + lines))


def check_log(path, results, sessions):
    evs = [json.loads(l) for l in open(path) if l.strip()]
    lc = [e for e in evs if e["event"] == "connect"]
    cap = [(r.split(":")[1], int(s.split(":")[1])) for r, s in zip(results, sessions)]
    logv = [(e["result"], e["held"]) for e in lc]
    nrd = sum(1 for e in evs if e["event"] == "rundown")
    nds = sum(1 for e in evs if e["event"] == "disconnect")
    if len(cap) == len(logv) and all(c[0] in (l[0], "sealed") and c[1] == l[1] for c, l in zip(cap, logv)):
        return ("# server log cross-check: %d EcDoConnectEx in the capture and in the server log, results and "
                "held counts agree (server log: %d connects ok, %d refused, %d disconnects, %d rundowns during the run)"
                % (len(cap), sum(1 for l in logv if l[0] == "0x00000000"), sum(1 for l in logv if l[0] != "0x00000000"),
                   nds, nrd))
    bad = [i for i, (c, l) in enumerate(zip(cap, logv)) if not (c[0] in (l[0], "sealed") and c[1] == l[1])]
    return ("# server log cross-check: DIFFERS: capture %d connects, log %d; first differing index %s "
            "(capture %s, log %s)" % (len(cap), len(logv), bad[:1],
                                      cap[bad[0]] if bad else "-", logv[bad[0]] if bad else "-"))


# ------------------------------------------------------------------ main
def main():
    global ARGS, ROLE
    p = argparse.ArgumentParser()
    p.add_argument("role", choices=["server", "client", "facts"])
    p.add_argument("addr", help="server address (facts: the pcap)")
    p.add_argument("--epm-port", type=int, default=135)
    p.add_argument("--port", type=int, default=6001)
    p.add_argument("--log", default="")
    p.add_argument("--limit", type=int, default=32)
    p.add_argument("--max-conns", type=int, default=64)
    p.add_argument("--mode", choices=["leak", "clean"], default="clean")
    p.add_argument("--auth-level", type=int, choices=[2, 6], default=2)
    p.add_argument("--user-dn", default=USER_DN)
    p.add_argument("--logons", type=int, default=4)
    p.add_argument("--max-logons", type=int, default=40)
    p.add_argument("--keep-open", type=int, default=0)
    p.add_argument("--ready-file", default="")
    p.add_argument("--hold-end", type=float, default=30)
    p.add_argument("--gap", type=float, default=1.0)
    p.add_argument("--idle", type=float, default=2.0)
    p.add_argument("--retries", type=int, default=2)
    p.add_argument("--retry-gap", type=float, default=0.5)
    p.add_argument("--stall", type=float, default=5)
    p.add_argument("--lifetime", type=float, default=150)
    p.add_argument("--vantage", choices=["client", "server"], default="client")
    p.add_argument("--server-log", default="")
    p.add_argument("--by-seq", action="store_true")
    a = ARGS = p.parse_args()
    ROLE = a.role
    if a.role == "facts":
        a.pcap = a.addr
        facts(a)
        return 0
    a.lifetime = min(a.lifetime, 200)

    def hard_stop(sig, frm):
        log("hard lifetime bound reached, exiting")
        os._exit(5)
    signal.signal(signal.SIGALRM, hard_stop)
    signal.alarm(int(a.lifetime) + 5)           # hard bound: at most 205 s
    if a.role == "server":
        if not a.log:
            p.error("server needs --log")
        server(a)
        return 0
    try:
        return client(a)
    except Fail as e:
        log("failed: %s" % e)
        return 4


if __name__ == "__main__":
    sys.exit(main())
