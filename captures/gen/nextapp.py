#!/usr/bin/python3
"""connlost request/response test application for captures/next (plain
sockets, threads, bounded in time).

Protocol: the client sends 100-byte request lines
  b"GET <size> [close]\\n"  -> the server answers exactly <size> bytes
                              (a header line "RESP <n> <size>" + filler);
                              with "close" it then shuts down its side (FIN)
  b"PING <n>\\n"            -> 32-byte b"PONG <n>\\n" (application heartbeat)

server: nextapp.py server ADDR PORT[,PORT...] [options]
  --idle-close S   close a connection (FIN) after S s without a request
  --abort-stall S  while sending a response, abort (RST, SO_LINGER {1,0})
                   after S s in which the peer accepted no byte
  --marker OFF     put the 8-byte marker b"LOSE1ME!" at offset OFF of every
                   response larger than OFF (for an iptables string match)
  --pace BPS       send responses of 100000 B or more at about BPS bytes/s
  --lifetime S     exit after S s (default 60)
client: nextapp.py client ADDR PORT [options]
  --conns N        connections, one after the other (default 1)
  --parallel P     P such sequences at once (threads, default 1)
  --conn-gap S     pause between connections of a sequence (default 0.2)
  --reqs K         requests per connection (default 1)
  --size B         response size (default 2000)
  --gap S          pause between requests (default 0.1)
  --gaps S,S,...   per-request pauses (the k-th before request k+1; --gap
                   for the rest)
  --heartbeat S    during pauses send PING every S s (waits for PONG)
  --bulk B         one extra final request "GET B close" on the last connection
  --close fin|rst|wait|none
                   after the last response: fin = close() (FIN);
                   rst = SO_LINGER {1,0} + close() at once (browser style);
                   wait = wait (--hold s) for the server to close, then close;
                   none = keep open until the end of the lifetime
  --hold S         max wait for the server's FIN with --close wait (default 10)
  --sport P        bind this source port (SO_REUSEADDR) before connecting
  --rcvbuf B       SO_RCVBUF before connect
  --read-pause A:D stop reading after A bytes of the response for D s
  --attempts       a failed connect is logged and the next connection tried
  --lifetime S     soft bound (default 60); SIGALRM hard exit 5 s later
  --jitter S       random 0..S extra pause between connections (seeded)
Logs go to stderr (one line per connection outcome).
"""
import argparse, fcntl, os, random, select, signal, socket, struct, sys, termios, threading, time

T0 = time.time()
REQ_LEN = 100
MARK = b"LOSE1ME!"


def log(*a):
    print("[nextapp %s %7.3f]" % (sys.argv[1], time.time() - T0), *a, file=sys.stderr, flush=True)


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def outq(s):
    return struct.unpack("i", fcntl.ioctl(s.fileno(), termios.TIOCOUTQ, b"\0\0\0\0"))[0]


def abort(s, why):
    log("abort (RST):", why)
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    s.close()


def body(n, size, marker):
    head = b"RESP %d %d connlost-next\n" % (n, size)
    pat = b"0123456789abcdefghijklmnopqrstuvwxyz-connlost-next-filler\n"
    b = bytearray((head + pat * (size // len(pat) + 2))[:size])
    if marker is not None and size > marker + len(MARK):
        b[marker:marker + len(MARK)] = MARK
    return bytes(b)


# ------------------------------------------------------------------ server
def send_all(s, data, a, deadline):
    """non-blocking send with the --abort-stall watchdog; True when sent"""
    sent, last, q = 0, time.time(), None
    t_start = time.time()
    pace = a.pace if a.pace and len(data) >= 100000 else 0
    while sent < len(data):
        if pace and sent > pace * (time.time() - t_start):
            time.sleep(0.02)
            continue
        if time.time() > deadline:
            return False
        _, w, _ = select.select([], [s], [], 0.1)
        if w:
            try:
                n = s.send(data[sent:sent + (8192 if pace else 65536)])
            except BlockingIOError:
                n = 0
            if n:
                sent += n
                last = time.time()
        nq = outq(s)
        if q is not None and nq < q:
            last = time.time()
        q = nq
        if a.abort_stall and time.time() - last > a.abort_stall:
            abort(s, "peer accepted nothing for %.0fs (sent %d of %d, unacked %d)" % (a.abort_stall, sent, len(data), nq))
            return None
    return True


def serve_conn(s, peer, a, deadline):
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.setblocking(False)
    buf, nresp, last_rx = b"", 0, time.time()
    try:
        while time.time() < deadline:
            r, _, _ = select.select([s], [], [], 0.1)
            if r:
                d = s.recv(65536)
                if not d:
                    log(peer, "EOF after %d responses, close" % nresp)
                    s.close()
                    return
                buf += d
                last_rx = time.time()
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                w = line.split()
                if not w:
                    continue
                if w[0] == b"PING":
                    ok = send_all(s, (b"PONG " + w[1]).ljust(31, b".") + b"\n", a, deadline)
                elif w[0] == b"GET":
                    nresp += 1
                    ok = send_all(s, body(nresp, int(w[1]), a.marker), a, deadline)
                    if ok and b"close" in w[2:]:
                        log(peer, "response %d (%s B) sent, close requested: FIN" % (nresp, w[1].decode()))
                        s.shutdown(socket.SHUT_WR)
                else:
                    ok = True
                if ok is None:
                    return
                if not ok:
                    break
            if a.idle_close and time.time() - last_rx > a.idle_close:
                log(peer, "idle %.1fs: close (FIN)" % a.idle_close)
                s.close()
                return
        log(peer, "lifetime: close")
        s.close()
    except (ConnectionResetError, BrokenPipeError) as e:
        log(peer, "reset:", e)
        s.close()
    except OSError as e:
        log(peer, "error:", e)
        s.close()


def server(a):
    deadline = T0 + a.lifetime
    lss = []
    for p in a.port.split(","):
        ls = socket.socket(family(a.addr), socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind((a.addr, int(p)))
        ls.listen(128)
        ls.setblocking(False)
        lss.append(ls)
    while time.time() < deadline:
        r, _, _ = select.select(lss, [], [], 0.2)
        for ls in r:
            try:
                s, peer = ls.accept()
            except BlockingIOError:
                continue
            peer = "%s:%d" % peer[:2]
            threading.Thread(target=serve_conn, args=(s, peer, a, deadline), daemon=True).start()
    log("lifetime over")


# ------------------------------------------------------------------ client
def recv_n(s, n, deadline, pause=None):
    got = 0
    while got < n and time.time() < deadline:
        if pause and got >= pause[0] and not pause[2]:
            log("read pause %.1fs after %d bytes" % (pause[1], got))
            time.sleep(max(0, min(pause[1], deadline - time.time())))
            pause[2] = True
            log("reading again")
        r, _, _ = select.select([s], [], [], 0.1)
        if r:
            want = n - got
            if pause and not pause[2]:
                want = min(want, max(1, pause[0] - got))
            d = s.recv(min(65536, want))
            if not d:
                return got, True
            got += len(d)
    return got, False


def one_conn(a, i, deadline, rnd):
    s = socket.socket(family(a.addr), socket.SOCK_STREAM)
    if a.sport:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("::" if ":" in a.addr else "0.0.0.0", a.sport))
    if a.rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, a.rcvbuf)
    s.settimeout(max(1.0, deadline - time.time()))
    try:
        s.connect((a.addr, a.port))
    except OSError as e:
        log("conn %d: connect failed: %s" % (i, e))
        s.close()
        return False
    me = "conn %d %s:%d" % (i, s.getsockname()[0], s.getsockname()[1])
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.setblocking(False)
    pause = None
    if a.read_pause:
        x, y = a.read_pause.split(":")
        pause = [int(x), float(y), False]
    hb = 0
    try:
        reqs = [(a.size, False)] * a.reqs
        if a.bulk and i == a.conns * a.parallel - 1:
            reqs.append((a.bulk, True))
        for k, (size, close) in enumerate(reqs):
            if k:
                g = a.gap
                if a.gaps:
                    gl = a.gaps.split(",")
                    if k - 1 < len(gl):
                        g = float(gl[k - 1])
                t_end = time.time() + g
                while time.time() < t_end:
                    if a.heartbeat:
                        time.sleep(min(a.heartbeat, max(0, t_end - time.time())))
                        if time.time() < t_end - 0.05:
                            hb += 1
                            s.sendall((b"PING %d" % hb).ljust(REQ_LEN - 1, b" ") + b"\n")
                            recv_n(s, 32, deadline)
                    else:
                        time.sleep(max(0, t_end - time.time()))
            req = (b"GET %d" % size) + (b" close" if close else b"")
            s.sendall(req.ljust(REQ_LEN - 1, b" ") + b"\n")
            got, eof = recv_n(s, size, deadline, pause if k == len(reqs) - 1 else None)
            if got < size:
                log(me, "short response %d of %d (eof %s)" % (got, size, eof))
                abort(s, "short response")
                return False
            if close:
                got, eof = recv_n(s, 1, deadline)
                log(me, "bulk %d B done, server FIN %s; close (FIN)" % (size, eof))
                s.close()
                return True
        mode = a.close
        if mode == "fin":
            log(me, "%d responses, close (FIN)" % len(reqs))
            s.close()
        elif mode == "rst":
            abort(s, "%s: %d responses complete, SO_LINGER {1,0} close" % (me, len(reqs)))
        elif mode in ("wait", "none"):
            t_end = deadline if mode == "none" else time.time() + a.hold
            while time.time() < t_end:
                r, _, _ = select.select([s], [], [], 0.1)
                if r and not s.recv(4096):
                    log(me, "server closed, close (FIN)")
                    break
            s.close()
        return True
    except (ConnectionResetError, BrokenPipeError) as e:
        log(me, "reset:", e)
        s.close()
        return False
    except OSError as e:
        log(me, "error:", e)
        s.close()
        return False


def seq(a, t, results):
    rnd = random.Random(1000 + t)
    deadline = T0 + a.lifetime
    for j in range(a.conns):
        if time.time() > deadline:
            break
        if j:
            time.sleep(a.conn_gap + (rnd.random() * a.jitter if a.jitter else 0))
        ok = one_conn(a, t * a.conns + j if a.parallel > 1 else j, deadline, rnd)
        results.append(ok)
        if not ok and not a.attempts:
            break


def client(a):
    results, th = [], []
    for t in range(a.parallel):
        x = threading.Thread(target=seq, args=(a, t, results), daemon=True)
        x.start()
        th.append(x)
        time.sleep(0.05)
    for x in th:
        x.join(max(0.1, T0 + a.lifetime + 1 - time.time()))
    n_ok = sum(1 for r in results if r)
    log("%d connections, %d ok" % (len(results), n_ok))
    sys.exit(0 if n_ok == len(results) else 4)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("role", choices=["server", "client"])
    ap.add_argument("addr")
    ap.add_argument("port")
    ap.add_argument("--idle-close", type=float, default=0)
    ap.add_argument("--abort-stall", type=float, default=0)
    ap.add_argument("--marker", type=int, default=None)
    ap.add_argument("--pace", type=float, default=0)
    ap.add_argument("--lifetime", type=float, default=60)
    ap.add_argument("--conns", type=int, default=1)
    ap.add_argument("--parallel", type=int, default=1)
    ap.add_argument("--conn-gap", type=float, default=0.2)
    ap.add_argument("--jitter", type=float, default=0)
    ap.add_argument("--reqs", type=int, default=1)
    ap.add_argument("--size", type=int, default=2000)
    ap.add_argument("--gap", type=float, default=0.1)
    ap.add_argument("--gaps", default="")
    ap.add_argument("--heartbeat", type=float, default=0)
    ap.add_argument("--bulk", type=int, default=0)
    ap.add_argument("--close", default="fin", choices=["fin", "rst", "wait", "none"])
    ap.add_argument("--hold", type=float, default=10)
    ap.add_argument("--sport", type=int, default=0)
    ap.add_argument("--rcvbuf", type=int, default=0)
    ap.add_argument("--read-pause", default="")
    ap.add_argument("--attempts", action="store_true")
    a = ap.parse_args()
    a.lifetime = min(a.lifetime, 120)
    signal.signal(signal.SIGALRM, lambda *x: os._exit(5))
    signal.alarm(int(a.lifetime) + 5)
    if a.role == "server":
        server(a)
    else:
        a.port = int(a.port)
        client(a)
