#!/usr/bin/python3
"""Hand-built malformed input: tshark with connlost must neither crash nor abort.

Usage: malformed.py TSHARK WORKDIR CAPTURE...
Builds small pcaps byte by byte (truncated ICMP quotes, overlapping and endless
fragments, RSTs with data, time going backwards, a conversation without a
handshake), and cuts the given real captures with editcap (snaplen, truncation).
Ends with 'N passed, N failed'.
SPDX-License-Identifier: GPL-2.0-or-later
"""
import os
import struct
import subprocess
import sys

from tshark_version import read_error_exit


passed = failed = 0


def check(name, ok, detail=""):
    global passed, failed
    passed, failed = (passed + 1, failed) if ok else (passed, failed + 1)
    print(f"{'PASS' if ok else 'FAIL'} {name}{'' if ok else ': ' + detail}")


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ip4(src, dst, proto, payload, ident=1, df=True, mf=False, offset=0, ttl=64, total=None):
    flags = (0x4000 if df else 0) | (0x2000 if mf else 0) | (offset // 8)
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total or 20 + len(payload), ident, flags, ttl, proto, 0,
                      bytes(src), bytes(dst))
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + payload


def tcp(sport, dport, seq, ack, flags, data=b"", window=64240):
    return struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, window, 0, 0) + data


def icmp(typ, code, rest, quote):
    body = struct.pack("!BBH", typ, code, 0) + rest + quote
    return body[:2] + struct.pack("!H", csum(body)) + body[4:]


def eth(payload, v6=False):
    return b"\x02\0\0\0\0\x01\x02\0\0\0\0\x02" + (b"\x86\xdd" if v6 else b"\x08\x00") + payload


def pcap(path, packets):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for t, data in packets:
            f.write(struct.pack("<IIII", int(t), int((t % 1) * 1e6), len(data), len(data)) + data)


C, S, R = [10, 0, 1, 2], [10, 0, 3, 2], [10, 0, 2, 1]
SYN, ACK, RST, PSH, FIN = 0x02, 0x10, 0x04, 0x08, 0x01


def handshake(t=100.0):
    return [(t, eth(ip4(C, S, 6, tcp(40000, 80, 1000, 0, SYN)))),
            (t + .001, eth(ip4(S, C, 6, tcp(80, 40000, 5000, 1001, SYN | ACK)))),
            (t + .002, eth(ip4(C, S, 6, tcp(40000, 80, 1001, 5001, ACK))))]


def cases():
    big = eth(ip4(S, C, 6, tcp(80, 40000, 5001, 1001, ACK, b"x" * 1448)))
    yield "icmp-quote-truncated", handshake() + [(100.01, big)] + [
        (100.02 + i / 100, eth(ip4(R, S, 1, icmp(3, 4, struct.pack("!HH", 0, 1492),
                                                  ip4(S, C, 6, tcp(80, 40000, 5001, 1001, ACK))[:n]))))
        for i, n in enumerate((0, 1, 10, 19, 20, 22, 24, 28))]
    yield "icmp-quote-lies", handshake() + [
        (100.1, eth(ip4(R, S, 1, icmp(3, 4, struct.pack("!HH", 0, 0), ip4(S, C, 6, b"", total=65535))))),
        (100.2, eth(ip4(R, S, 1, icmp(3, 4, struct.pack("!HH", 0, 70), ip4(S, C, 17, b"\0" * 8))))),
        (100.3, eth(ip4(R, S, 1, icmp(11, 1, b"\0" * 4, ip4(C, S, 17, b"\0" * 8, ident=7, mf=True)))))]
    frags = []
    for i in range(300):  # overlapping, duplicated and endless fragments
        frags.append((200 + i / 1000, eth(ip4(C, S, 17, b"y" * 64, ident=i % 5, df=False, mf=True,
                                              offset=(i * 24) % 65528))))
    frags.append((201, eth(ip4(C, S, 17, b"z" * 8, ident=3, df=False, mf=False, offset=65528))))
    yield "fragments-overlap-endless", frags
    data = b"d" * 100
    yield "rst-with-data-and-no-handshake", [
        (300 + i / 10, eth(ip4(S if i % 2 else C, C if i % 2 else S, 6,
                               tcp(80 if i % 2 else 40000, 40000 if i % 2 else 80, 7000 + i * 100, 9000,
                                   RST | ACK | PSH if i % 3 == 0 else ACK | PSH, data))))
        for i in range(40)]
    yield "time-goes-backwards", [(t, p) for (t, p) in handshake(500)] + [
        (400 - i, eth(ip4(S, C, 6, tcp(80, 40000, 5001, 1001, ACK, b"x" * 1448)))) for i in range(6)] + [
        (390, eth(ip4(C, S, 6, tcp(40000, 80, 1001, 5001, RST | ACK))))]


def run(tshark, path, two):
    cmd = tshark + (["-2"] if two else []) + ["-n", "-r", path, "-V"]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    bad = [l for l in p.stderr.splitlines() if "assert" in l.lower() or "dissector bug" in l.lower()
           or "Segmentation" in l]
    return p.returncode, bad, p.stdout


def main():
    tshark = sys.argv[1].split()
    work = sys.argv[2]
    os.makedirs(work, exist_ok=True)
    paths = []
    for name, packets in cases():
        path = os.path.join(work, name + ".pcap")
        pcap(path, packets)
        paths.append(path)
    for cap in sys.argv[3:]:
        base = os.path.join(work, os.path.basename(cap)[:-5])
        for suffix, args in (("snap60", ["-s", "60", cap]), ("snap90", ["-s", "90", cap]),
                             ("first20", ["-r", cap])):
            out = f"{base}-{suffix}.pcap"
            extra = ["1-20"] if suffix == "first20" else []
            subprocess.run(["editcap"] + args + [out] + extra, capture_output=True, check=True)
            paths.append(out)
        with open(cap, "rb") as f:  # a capture cut off in the middle of a record
            raw = f.read()
        out = f"{base}-cut.pcap"
        with open(out, "wb") as f:
            f.write(raw[:len(raw) * 2 // 3])
        paths.append(out)
    subprocess.run(["chmod", "-R", "a+rX", work], check=True)
    read_error = read_error_exit(tshark)
    for path in paths:
        for two in (False, True):
            code, bad, _ = run(tshark, path, two)
            name = f"{os.path.basename(path)}{' -2' if two else ''}"
            # tshark exits 2 (14 from 4.6) on a file cut mid-record; anything else but 0 means it died
            check(f"malformed {name}: no crash", code in (0, read_error) and not bad, f"exit {code} {bad[:2]}")
    print(f"malformed: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
