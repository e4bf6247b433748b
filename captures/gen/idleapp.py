#!/usr/bin/python3
"""connlost idle-connection test application (plain sockets, bounded in time).

Line protocol: every message is a fixed-size line ending in b"\\n":
  request  100 B  "REQ <n> ..."   client -> server
  response 200 B  "RESP <n> ..."  server -> client (one per request)
  push     150 B  "PUSH <n> ..."  server -> client (notification, ignored by the client)

server: idleapp.py server ADDR PORT [options]
  --conns N         exit once N connections were accepted and have ended (default 1)
  --push-idle S     after S s without received data on a connection, send one
                    150 B push; if it is not acknowledged and no data arrives
                    for --stall s, abort that connection with RST
                    (SO_LINGER {1,0} + close); if the connection is reset, close
  --req-stall S     abort with RST after S s without a request (poll mode)
  --abort-after N   abort with RST right after sending the N-th response
client: idleapp.py client ADDR PORT [options]
  --mode sched      --fail K connections that each run request/response, then
                    sleep gap / request / response over --gaps (repeated until
                    the connection fails), reconnecting at once after a
                    failure; then one final connection: request/response and a
                    clean close (FIN both ways)
  --mode once       one connection: request/response, then for each gap:
                    sleep, request/response; then a clean close.  On failure
                    the client closes (RST if it timed out) and exits 4
  --mode poll       one connection: a request every --interval s (default 0.1)
                    each waiting for its response, for --duration s; then a
                    clean close
  --gaps A,B,...    sleep schedule (default 0.5,1.0,1.5,3.0)
  --keepalive I/N/C SO_KEEPALIVE with TCP_KEEPIDLE=I TCP_KEEPINTVL=N TCP_KEEPCNT=C
  --hold S          after the last response wait up to S s for the peer to
                    close or reset before closing
Both: --stall S (default 3): a request whose response does not arrive within S
s is abandoned with an abortive close (RST via SO_LINGER {1,0}), as Outlook
does.  --lifetime S (default 80, at most 85): soft bound; SIGALRM + os._exit 5 s later
(so no process lives more than 90 s).
A failure = ECONNRESET / EPIPE / EOF / no response within --stall.
Logs go to stderr.
"""
import argparse, fcntl, os, select, signal, socket, struct, sys, termios, threading, time

REQ_LEN, RESP_LEN, PUSH_LEN = 100, 200, 150
T0 = time.time()


def log(*a):
    print("[idleapp %s %6.3f]" % (sys.argv[1], time.time() - T0), *a, file=sys.stderr, flush=True)


def msg(kind, n, size):
    head = b"%s %d connlost-idle-test " % (kind, n)
    return head.ljust(size - 1, b".") + b"\n"


def outq(s):
    return struct.unpack("i", fcntl.ioctl(s.fileno(), termios.TIOCOUTQ, b"\0\0\0\0"))[0]


def abort(s, why):
    log("abort (RST):", why)
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    s.close()


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


# ------------------------------------------------------------------ server
def serve_conn(s, peer, a):
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.setblocking(False)
    buf = b""
    nresp = npush = 0
    last_rx = last_req = time.time()
    push_at = None                      # time of the outstanding push
    try:
        while time.time() < T0 + a.lifetime:
            r, _, _ = select.select([s], [], [], 0.02)
            now = time.time()
            if r:
                d = s.recv(4096)
                if not d:
                    log(peer, "EOF after %d responses, closing (FIN)" % nresp)
                    s.close()
                    return
                buf += d
                last_rx = now
                push_at = None
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    if line.startswith(b"REQ"):
                        nresp += 1
                        last_req = now
                        s.sendall(msg(b"RESP", nresp, RESP_LEN))
                        if a.abort_after and nresp == a.abort_after:
                            abort(s, "%s: after response %d (--abort-after)" % (peer, nresp))
                            return
                continue
            if a.req_stall and now - last_req > a.req_stall:
                abort(s, "%s: no request for %.1f s (unacked %d)" % (peer, a.req_stall, outq(s)))
                return
            if push_at is not None:
                if outq(s) == 0:
                    log(peer, "push %d acknowledged" % npush)
                    push_at = None
                    last_rx = now
                elif now - push_at > a.stall:
                    abort(s, "%s: push %d unacknowledged for %.1f s" % (peer, npush, a.stall))
                    return
            elif a.push_idle and now - last_rx > a.push_idle:
                npush += 1
                log(peer, "idle %.1f s, push %d" % (now - last_rx, npush))
                s.sendall(msg(b"PUSH", npush, PUSH_LEN))
                push_at = now
        abort(s, "%s: lifetime" % (peer,))
    except OSError as e:
        log(peer, "error: %r, closing" % e)
        s.close()


def server(a):
    ls = socket.socket(family(a.addr), socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((a.addr, a.port))
    ls.listen(8)
    ls.settimeout(0.2)
    threads = []
    while time.time() < T0 + a.lifetime and len(threads) < a.conns:
        try:
            s, peer = ls.accept()
        except socket.timeout:
            continue
        log("accepted", peer)
        t = threading.Thread(target=serve_conn, args=(s, "%s:%d" % peer[:2], a), daemon=True)
        t.start()
        threads.append(t)
    ls.close()
    for t in threads:
        t.join(max(0.1, T0 + a.lifetime - time.time()))
    log("done, %d connections" % len(threads))


# ------------------------------------------------------------------ client
class Fail(Exception):
    pass


class Conn:
    def __init__(self, a):
        self.a = a
        self.n = 0
        self.buf = b""
        self.s = socket.socket(family(a.addr), socket.SOCK_STREAM)
        self.s.settimeout(5)
        self.s.connect((a.addr, a.port))
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if a.keepalive:
            i, n, c = (int(x) for x in a.keepalive.split("/"))
            self.s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
            self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, i)
            self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, n)
            self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, c)
        self.s.setblocking(False)
        log("connected from port %d" % self.s.getsockname()[1])

    def request(self):
        """send one request, wait for its response; Fail on reset/EOF/stall"""
        self.n += 1
        try:
            self.s.sendall(msg(b"REQ", self.n, REQ_LEN))
        except OSError as e:
            self.s.close()
            raise Fail("send %d: %r" % (self.n, e))
        deadline = time.time() + self.a.stall
        while True:
            while b"\n" in self.buf:
                line, self.buf = self.buf.split(b"\n", 1)
                if line.startswith(b"RESP"):
                    return
                log("ignored", line[:12])
            left = deadline - time.time()
            if left <= 0:
                abort(self.s, "no response to request %d for %.1f s" % (self.n, self.a.stall))
                raise Fail("stall")
            r, _, _ = select.select([self.s], [], [], min(left, 0.1))
            if r:
                try:
                    d = self.s.recv(4096)
                except OSError as e:
                    self.s.close()
                    raise Fail("recv %d: %r" % (self.n, e))
                if not d:
                    self.s.close()
                    raise Fail("EOF")
                self.buf += d

    def hold(self, secs):
        """wait up to secs for the peer to close/reset; Fail if it does"""
        end = time.time() + secs
        while time.time() < end:
            r, _, _ = select.select([self.s], [], [], 0.05)
            if r:
                try:
                    d = self.s.recv(4096)
                except OSError as e:
                    self.s.close()
                    raise Fail("peer reset while holding: %r" % e)
                if not d:
                    self.s.close()
                    raise Fail("peer closed while holding")
                self.buf += d

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


def sleep(t):
    time.sleep(max(0.0, min(t, T0 + ARGS.lifetime - time.time())))


def client(a):
    gaps = [float(x) for x in a.gaps.split(",")] if a.gaps else []
    if a.mode == "sched":
        for k in range(a.fail):
            try:
                c = Conn(a)
                c.request()
                while time.time() < T0 + a.lifetime - 10:   # schedule repeated until failure
                    for g in gaps:
                        sleep(g)
                        c.request()
                c.close()
                log("connection %d did not fail" % (k + 1))
            except Fail as e:
                log("connection %d failed: %s, reconnecting" % (k + 1, e))
        c = Conn(a)
        c.request()
        c.hold(a.hold)
        c.close()
        return 0
    c = Conn(a)
    try:
        c.request()
        if a.mode == "once":
            for g in gaps:
                sleep(g)
                c.request()
        else:                                   # poll
            end = time.time() + a.duration
            nxt = time.time()
            while time.time() < end:
                nxt += a.interval
                sleep(nxt - time.time())
                c.request()
        c.hold(a.hold)
    except Fail as e:
        log("failed: %s" % e)
        return 4
    c.close()
    return 0


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("role", choices=["server", "client"])
    p.add_argument("addr")
    p.add_argument("port", type=int)
    p.add_argument("--conns", type=int, default=1)
    p.add_argument("--push-idle", type=float, default=0)
    p.add_argument("--req-stall", type=float, default=0)
    p.add_argument("--abort-after", type=int, default=0)
    p.add_argument("--mode", choices=["sched", "once", "poll"], default="sched")
    p.add_argument("--fail", type=int, default=4)
    p.add_argument("--gaps", default="0.5,1.0,1.5,3.0")
    p.add_argument("--keepalive", default="")
    p.add_argument("--hold", type=float, default=0)
    p.add_argument("--interval", type=float, default=0.1)
    p.add_argument("--duration", type=float, default=10)
    p.add_argument("--stall", type=float, default=3)
    p.add_argument("--lifetime", type=float, default=80)
    a = ARGS = p.parse_args()
    a.lifetime = min(a.lifetime, 85)

    def hard_stop(sig, frm):
        log("hard lifetime bound reached, exiting")
        os._exit(5)
    signal.signal(signal.SIGALRM, hard_stop)
    signal.alarm(int(a.lifetime) + 5)           # hard bound: at most 90 s
    if a.role == "server":
        server(a)
        return 0
    return client(a)


if __name__ == "__main__":
    sys.exit(main())
