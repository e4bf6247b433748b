#!/usr/bin/python3
"""connlost test TCP application (plain sockets, bounded in time).

server: tcpapp.py server ADDR PORT MODE SIZE
client: tcpapp.py client ADDR PORT MODE SIZE
MODE: download  client sends ~100 B request, server answers a 120 B header,
                then SIZE bytes, then FIN; client reads to EOF, closes (FIN).
      upload    client sends a hello, server answers small, client uploads
                SIZE bytes + FIN, server answers "done" + FIN.
      stream    server streams small chunks (200-400 B every 20 ms) and every
                ~0.5 s a large write (4-8 KB) for SIZE seconds.
The client aborts with RST (SO_LINGER {1,0} + close) after STALL seconds
without progress (no bytes read by the application, no bytes accepted or
acknowledged by the kernel for upload).
"""
import errno, fcntl, os, random, select, socket, struct, sys, termios, time

STALL = float(os.environ.get("CL_STALL", "5"))
LIFETIME = 30.0                          # hard bound on every process
SIOCOUTQ = termios.TIOCOUTQ


def log(*a):
    print("[tcpapp %s]" % sys.argv[1], *a, file=sys.stderr, flush=True)


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def outq(s):
    return struct.unpack("i", fcntl.ioctl(s.fileno(), SIOCOUTQ, b"\0\0\0\0"))[0]


def abort(s, why):
    log("abort (RST):", why)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
    sys.exit(3)


def recv_exact(s, n, deadline):
    buf = b""
    while len(buf) < n and time.time() < deadline:
        s.settimeout(max(0.01, deadline - time.time()))
        d = s.recv(n - len(buf))
        if not d:
            break
        buf += d
    return buf


def server(addr, port, mode, size):
    t0 = time.time()
    end = t0 + LIFETIME
    ls = socket.socket(family(addr), socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((addr, port))
    ls.listen(1)
    ls.settimeout(15)
    s, peer = ls.accept()
    ls.close()
    log("accepted", peer)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        if mode == "download":
            req = recv_exact(s, 100, end)
            if not os.environ.get("CL_NO_HEADER"):  # CL_NO_HEADER=1: the answer is the bulk alone, full-size segments
                s.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                          b"Content-Length: %07d\r\nX-Pad: connlost-test-header\r\n\r\n" % size)
                time.sleep(0.05)
            s.settimeout(max(0.1, end - time.time()))
            s.sendall(random.Random(1).randbytes(size))
            s.shutdown(socket.SHUT_WR)
            while time.time() < end and s.recv(4096):
                pass
        elif mode == "upload":
            hello = recv_exact(s, 100, end)
            s.sendall(b"220 connlost-test ready, send your data\r\n")
            got = 0
            s.settimeout(max(0.1, end - time.time()))
            while time.time() < end:
                d = s.recv(65536)
                if not d:
                    break
                got += len(d)
            log("received", got)
            s.sendall(b"250 done %d bytes\r\n" % got)
            s.shutdown(socket.SHUT_WR)
        elif mode == "stream":
            req = recv_exact(s, 100, end)
            rnd = random.Random(2)
            stop = time.time() + size
            i = 0
            s.settimeout(max(0.1, end - time.time()))
            while time.time() < min(stop, end):
                i += 1
                n = rnd.randint(4096, 8192) if i % 25 == 0 else rnd.randint(200, 400)
                s.sendall(b"%05d:" % i + b"x" * (n - 6))
                time.sleep(0.02)
            s.shutdown(socket.SHUT_WR)
            while time.time() < end and s.recv(4096):
                pass
    except (OSError, socket.timeout) as e:
        log("error:", e)
    s.close()
    log("done after %.1fs" % (time.time() - t0))


def client(addr, port, mode, size):
    t0 = time.time()
    end = t0 + LIFETIME
    s = socket.socket(family(addr), socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect((addr, port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    req = (b"GET /data HTTP/1.1\r\nHost: connlost-test\r\nUser-Agent: connlost\r\n"
           if mode != "upload" else b"HELO connlost-test client, upload follows\r\n")
    s.sendall(req.ljust(98, b"x") + b"\r\n")
    s.setblocking(False)
    last = time.time()
    got = 0
    if mode in ("download", "stream"):
        while time.time() < end:
            r, _, _ = select.select([s], [], [], 0.1)
            if r:
                try:
                    d = s.recv(65536)
                except ConnectionResetError as e:
                    log("reset", e); s.close(); sys.exit(4)
                if not d:
                    log("EOF after %d bytes, %.1fs" % (got, time.time() - t0))
                    s.close()
                    return
                got += len(d)
                last = time.time()
            if time.time() - last > STALL:
                abort(s, "no data for %.0fs (got %d bytes)" % (STALL, got))
        abort(s, "lifetime")
    # upload
    banner = b""
    while b"\r\n" not in banner:
        r, _, _ = select.select([s], [], [], 0.1)
        if r:
            d = s.recv(4096)
            if not d:
                log("EOF before banner"); s.close(); sys.exit(4)
            banner += d
            last = time.time()
        if time.time() - last > STALL or time.time() > end:
            abort(s, "no banner")
    data = random.Random(3).randbytes(size)
    sent = 0
    q = None
    shut = False
    resp = b""
    while time.time() < end:
        want_w = [s] if sent < size else []
        r, w, _ = select.select([s], want_w, [], 0.1)
        if w:
            try:
                n = s.send(data[sent:sent + 65536])
            except BlockingIOError:
                n = 0
            if n:
                sent += n
                last = time.time()
        if sent >= size and not shut:
            s.shutdown(socket.SHUT_WR)
            shut = True
        nq = outq(s)
        if q is not None and nq < q:
            last = time.time()
        q = nq
        if r:
            try:
                d = s.recv(4096)
            except ConnectionResetError as e:
                log("reset", e); s.close(); sys.exit(4)
            if not d:
                log("EOF, response %r, %.1fs" % (resp, time.time() - t0))
                s.close()
                return
            resp += d
            last = time.time()
        if time.time() - last > STALL:
            abort(s, "no progress for %.0fs (sent %d, unacked %d)" % (STALL, sent, q))
    abort(s, "lifetime")


if __name__ == "__main__":
    role, addr, port, mode, size = sys.argv[1:6]
    (server if role == "server" else client)(addr, int(port), mode, int(size))
