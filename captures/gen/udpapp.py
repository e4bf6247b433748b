#!/usr/bin/python3
"""connlost test UDP application (IPv4: DF clear => IP fragmentation;
IPv6 when the address contains ':': the sending kernel fragments to the path MTU).

send: udpapp.py send DST PORT COUNT SIZE INTERVAL SPORT
recv: udpapp.py recv BIND PORT COUNT IDLE
"""
import socket, sys, time

IP_MTU_DISCOVER = getattr(socket, "IP_MTU_DISCOVER", 10)
IP_PMTUDISC_DONT = getattr(socket, "IP_PMTUDISC_DONT", 0)


def send(dst, port, count, size, interval, sport):
    if ":" in dst:
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        s.bind(("::", sport))
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DONT)
        s.bind(("0.0.0.0", sport))
    for i in range(count):
        s.sendto((b"%04d:" % i).ljust(size, b"u"), (dst, port))
        time.sleep(interval)
    s.close()
    print("[udpapp send] sent %d x %d B" % (count, size), file=sys.stderr)


def recv(bind, port, count, idle):
    s = socket.socket(socket.AF_INET6 if ":" in bind else socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((bind, port))
    s.settimeout(idle)
    got = 0
    t_end = time.time() + 30
    try:
        while got < count and time.time() < t_end:
            s.recvfrom(65536)
            got += 1
    except socket.timeout:
        pass
    s.close()
    print("[udpapp recv] received %d of %d datagrams" % (got, count), file=sys.stderr)


if __name__ == "__main__":
    a = sys.argv
    if a[1] == "send":
        send(a[2], int(a[3]), int(a[4]), int(a[5]), float(a[6]), int(a[7]))
    else:
        recv(a[2], int(a[3]), int(a[4]), float(a[5]))
