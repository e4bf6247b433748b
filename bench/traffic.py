#!/usr/bin/python3
"""Traffic for the connlost benchmark capture: many short, healthy TCP
connections made by the real kernel stacks of two network namespaces, plus
some longer transfers.  Plain sockets, bounded in time, seeded.

server: traffic.py server ADDR[,ADDR...] PORT[,PORT...] LIFETIME
    Each connection: read one request line "GET SIZE CLOSER PAD", answer a
    ~120 B header and SIZE bytes.  CLOSER "s": the server closes first
    (FIN after the body); "c": it waits for the client's FIN.
client: traffic.py client ADDR[,ADDR...] PORT[,PORT...] SHORT BULK BULK_BYTES THREADS SEED LIFETIME
    SHORT short connections (request 80-400 B, answer 150 B - 24 KB, either
    side closing first) and BULK transfers of BULK_BYTES, spread over
    THREADS threads and over every address (IPv4 and IPv6) and port.
    Prints "done N ok, N failed" to stderr.
"""
import random, socket, sys, threading, time

HEADER = b"HTTP/1.1 200 OK\r\nServer: clbench\r\nContent-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n"
BLOCK = bytes(range(256)) * 256  # 64 KiB of payload to slice from
PACING = 100 * 1000 * 1000      # bytes/s per socket, so tcpdump keeps up with bulk transfers


def fam(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def log(*a):
    print("[traffic %s]" % sys.argv[1], *a, file=sys.stderr, flush=True)


def send_body(s, n):
    while n > 0:
        k = min(n, len(BLOCK))
        s.sendall(BLOCK[:k])
        n -= k


def serve_one(c):
    try:
        c.settimeout(20)
        buf = b""
        while b"\n" not in buf and len(buf) < 4096:
            d = c.recv(4096)
            if not d:
                return
            buf += d
        parts = buf.split(b"\n", 1)[0].split()
        size, closer = int(parts[1]), parts[2]
        if size > 65536:
            c.setsockopt(socket.SOL_SOCKET, 47, PACING)  # SO_MAX_PACING_RATE: TCP's own pacing
        c.sendall(HEADER % size)
        send_body(c, size)
        if closer == b"s":
            c.close()
            return
        while c.recv(65536):  # until the client's FIN
            pass
    except (OSError, ValueError, IndexError):
        pass
    finally:
        c.close()


def server(addrs, ports, lifetime):
    end = time.time() + lifetime
    socks = []
    for a in addrs:
        for p in ports:
            ls = socket.socket(fam(a), socket.SOCK_STREAM)
            ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            ls.bind((a, p))
            ls.listen(1024)
            ls.settimeout(0.5)
            socks.append(ls)

    def accept_loop(ls):
        while time.time() < end:
            try:
                c, _ = ls.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            threading.Thread(target=serve_one, args=(c,), daemon=True).start()

    ts = [threading.Thread(target=accept_loop, args=(ls,), daemon=True) for ls in socks]
    for t in ts:
        t.start()
    log("listening on", len(socks), "sockets")
    for t in ts:
        t.join(max(0.1, end - time.time()))


def one(addr, port, size, closer, reqlen, deadline):
    s = socket.socket(fam(addr), socket.SOCK_STREAM)
    try:
        s.settimeout(max(0.5, min(20, deadline - time.time())))
        s.connect((addr, port))
        req = b"GET %d %s " % (size, closer)
        req += b"x" * max(0, reqlen - len(req) - 1) + b"\n"
        s.sendall(req)
        want = len(HEADER % size) + size
        got = 0
        while got < want:
            d = s.recv(262144)
            if not d:
                break
            got += len(d)
        if closer == b"s":
            while s.recv(65536):  # the server's FIN
                pass
        return got == want
    except OSError:
        return False
    finally:
        s.close()


def client(addrs, ports, short, bulk, bulk_bytes, threads, seed, lifetime):
    deadline = time.time() + lifetime
    rnd = random.Random(seed)
    jobs = []
    for i in range(short):
        r = rnd.random()
        size = rnd.randint(150, 1400) if r < 0.6 else rnd.randint(1400, 8000) if r < 0.9 else rnd.randint(8000, 24000)
        jobs.append((size, b"s" if rnd.random() < 0.5 else b"c", rnd.randint(80, 400)))
    for i in range(bulk):
        jobs.insert(rnd.randrange(len(jobs) + 1), (bulk_bytes, b"c", rnd.randint(80, 400)))
    targets = [(a, p) for a in addrs for p in ports]
    ok = [0] * threads
    bad = [0] * threads

    def work(k):
        for j in range(k, len(jobs), threads):
            if time.time() > deadline:
                break
            a, p = targets[j % len(targets)]
            size, closer, reqlen = jobs[j]
            if one(a, p, size, closer, reqlen, deadline):
                ok[k] += 1
            else:
                bad[k] += 1

    ts = [threading.Thread(target=work, args=(k,)) for k in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    log("done %d ok, %d failed" % (sum(ok), sum(bad)))
    return 0 if sum(bad) * 100 <= len(jobs) else 1  # a few failures are tolerated


def main():
    mode = sys.argv[1]
    addrs = sys.argv[2].split(",")
    ports = [int(p) for p in sys.argv[3].split(",")]
    if mode == "server":
        server(addrs, ports, float(sys.argv[4]))
        return 0
    short, bulk, bulk_bytes, threads, seed = (int(x) for x in sys.argv[4:9])
    return client(addrs, ports, short, bulk, bulk_bytes, threads, seed, float(sys.argv[9]))


if __name__ == "__main__":
    sys.exit(main())
