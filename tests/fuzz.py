#!/usr/bin/python3
"""Fuzz tshark with connlost on mutated copies of the real captures.

Usage: fuzz.py [--batch N] [--agree] [--kinds K,...] TSHARK WORKDIR COUNT SEED CAPTURE...
Makes COUNT mutated captures, round robin over CAPTURE..., each with one kind of
mutation (--kinds picks among them; default all):
  bytes  random byte errors (editcap -E with a seeded probability), optionally
         also a snaplen or a chop;
  split  TCP segments cut in two packets (IP length fixed, the second part's
         sequence number moved on; the TCP checksum is left stale: tshark does
         not check it by default);
  merge  a TCP segment joined with the next one of its direction that follows
         it in sequence (the second packet goes);
  swap   two adjacent packets exchanged (their contents; now and then with
         their time stamps, so that time steps back);
and runs tshark with the plugin on each, in one pass and with -2, building the
full tree (-V). With --batch N, N mutated captures are appended into one file
(mergecap -a) for each tshark run, and only the members of a failing batch are
run alone: a long run's cost is then the frames, not tshark's start-up. With
--agree (implied by --batch), every connlost field but the conversation's final
verdict (connlost.conv.*) must also be the same in one pass and with -2, on
every frame. Fails on a crash, an abort, a sanitizer report, a dissector bug or
a disagreement; keeps failing inputs in WORKDIR/failed/. Ends with a line
'kinds: ...' (captures and operations per kind) and 'N passed, N failed'.
The short run in tests/run uses a fixed seed; a long run: tests/fuzz-long.
SPDX-License-Identifier: GPL-2.0-or-later
"""
import os
import random
import shutil
import struct
import subprocess
import sys

from tshark_version import read_error_exit


BAD_MARKERS = ("AddressSanitizer", "runtime error:", "LeakSanitizer", "assert", "dissector bug", "Segmentation",
               "Aborted", "ERROR:connlost", "CRITICAL", "could not be opened", "isn't a capture file")


KINDS = ("bytes", "split", "merge", "swap")
TWO_PASS_ONLY = ("connlost.conv.cause", "connlost.conv.confidence", "connlost.conv.verdict")  # final verdicts


def mutate_bytes(rng, source, out):
    args = ["editcap", "--seed", str(rng.randrange(1 << 31)), "-E", f"{rng.choice((0.001, 0.005, 0.02, 0.1)):g}"]
    shape = rng.random()
    if shape < 0.2:
        args += ["-s", str(rng.randrange(34, 120))]
    elif shape < 0.3:
        args += ["-C", str(rng.randrange(1, 40))]
    subprocess.run(args + [source, out], capture_output=True, check=True)


# Segmentation and order: classic pcap records, Ethernet (with VLAN tags) or raw IP, IPv4 or IPv6 (no extension
# headers), read and written with struct, so that a large capture takes no time.
def read_pcap(path):
    raw = open(path, "rb").read()
    magic = struct.unpack("<I", raw[:4])[0]
    e = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    link = struct.unpack(e + "I", raw[20:24])[0]
    recs, off = [], 24
    while off + 16 <= len(raw):
        sec, frac, incl, orig = struct.unpack(e + "IIII", raw[off:off + 16])
        recs.append([sec, frac, bytearray(raw[off + 16:off + 16 + incl]), orig])
        off += 16 + incl
    return raw[:24], e, link, recs


def write_pcap(out, head, e, recs):
    with open(out, "wb") as f:
        f.write(head)
        for sec, frac, data, orig in recs:
            f.write(struct.pack(e + "IIII", sec, frac, len(data), max(orig, len(data))) + bytes(data))


def ip_csum(hdr):
    s = sum(struct.unpack(f"!{len(hdr) // 2}H", bytes(hdr)))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def tcp_of(link, data):
    """The TCP segment of a whole (not cut, not fragmented) IP packet: dict of offsets and fields, else None."""
    if link == 1:
        off, etype = 14, struct.unpack("!H", data[12:14])[0] if len(data) >= 14 else 0
        while etype in (0x8100, 0x88A8) and len(data) >= off + 4:
            etype, off = struct.unpack("!H", data[off + 2:off + 4])[0], off + 4
    elif link in (101, 228, 229):
        off, etype = 0, 0x0800 if data and data[0] >> 4 == 4 else 0x86DD
    else:
        return None
    if etype == 0x0800 and len(data) >= off + 20:
        ihl = (data[off] & 15) * 4
        total = struct.unpack("!H", data[off + 2:off + 4])[0]
        if data[off + 9] != 6 or struct.unpack("!H", data[off + 6:off + 8])[0] & 0x3FFF or ihl < 20:
            return None
        v6, tcp, end = False, off + ihl, off + total
    elif etype == 0x86DD and len(data) >= off + 40:
        if data[off + 6] != 6:
            return None
        v6, tcp, end = True, off + 40, off + 40 + struct.unpack("!H", data[off + 4:off + 6])[0]
    else:
        return None
    if end > len(data) or tcp + 20 > end:
        return None
    thl = (data[tcp + 12] >> 4) * 4
    if thl < 20 or tcp + thl > end:
        return None
    return {"ip": off, "v6": v6, "tcp": tcp, "pay": tcp + thl, "end": end, "flags": data[tcp + 13],
            "seq": struct.unpack("!I", data[tcp + 4:tcp + 8])[0], "len": end - tcp - thl,
            "dir": (bytes(data[off + 8:off + 40]) if v6 else bytes(data[off + 12:off + 20])) + bytes(data[tcp:tcp + 4])}


def rebuild(t, data, payload, seq=None, flags=None, ack_from=None):
    """The packet `data` (TCP at t) with another payload, sequence number or flags; the IP length fixed."""
    out = bytearray(data[:t["pay"]]) + payload
    ip, tcp = t["ip"], t["tcp"]
    if t["v6"]:
        out[ip + 4:ip + 6] = struct.pack("!H", len(out) - ip - 40)
    else:
        out[ip + 2:ip + 4] = struct.pack("!H", len(out) - ip)
        out[ip + 10:ip + 12] = b"\0\0"
        out[ip + 10:ip + 12] = struct.pack("!H", ip_csum(out[ip:tcp]))
    if seq is not None:
        out[tcp + 4:tcp + 8] = struct.pack("!I", seq & 0xFFFFFFFF)
    if flags is not None:
        out[tcp + 13] = flags
    if ack_from is not None:  # ACK number and window of a later packet of the direction
        out[tcp + 8:tcp + 12] = ack_from[0]
        out[tcp + 14:tcp + 16] = ack_from[1]
    return out


FIN, SYN, RST, PSH = 1, 2, 4, 8


def split_one(rng, link, recs):
    cands = [i for i, r in enumerate(recs) if (t := tcp_of(link, r[2])) and t["len"] >= 2 and not t["flags"] & SYN]
    if not cands:
        return False
    i = rng.choice(cands)
    sec, frac, data, _ = recs[i]
    t = tcp_of(link, data)
    payload = data[t["pay"]:t["end"]]
    k = rng.randrange(1, len(payload))
    first = rebuild(t, data, payload[:k], flags=t["flags"] & ~(FIN | PSH))
    second = rebuild(t, data, payload[k:], seq=t["seq"] + k)
    if not t["v6"] and rng.random() < 0.5:  # a sender numbers its packets: the second part its own IP ID
        ip = t["ip"]
        ident = struct.unpack("!H", second[ip + 4:ip + 6])[0]
        second[ip + 4:ip + 6] = struct.pack("!H", (ident + 1) & 0xFFFF)
        second[ip + 10:ip + 12] = b"\0\0"
        second[ip + 10:ip + 12] = struct.pack("!H", ip_csum(second[ip:t["tcp"]]))
    recs[i:i + 1] = [[sec, frac, first, len(first)], [sec, frac, second, len(second)]]
    return True


def merge_one(rng, link, recs):
    last, cands = {}, []  # per direction: the last segment with data, and whether the next continues it
    for i, r in enumerate(recs):
        t = tcp_of(link, r[2])
        if not t:
            continue
        if t["flags"] & (SYN | RST):
            last.pop(t["dir"], None)
            continue
        prev = last.get(t["dir"])
        if prev is not None and prev[1]["seq"] + prev[1]["len"] == t["seq"] and t["len"] > 0 and \
                prev[1]["end"] - prev[1]["ip"] + t["len"] <= 65535:
            cands.append((prev[0], i))
        last[t["dir"]] = (i, t) if t["len"] > 0 and not t["flags"] & FIN else None
    if not cands:
        return False
    i, j = rng.choice(cands)
    a, b = recs[i][2], recs[j][2]
    ta, tb = tcp_of(link, a), tcp_of(link, b)
    joined = rebuild(ta, a, a[ta["pay"]:ta["end"]] + b[tb["pay"]:tb["end"]], flags=ta["flags"] | tb["flags"],
                     ack_from=(b[tb["tcp"] + 8:tb["tcp"] + 12], b[tb["tcp"] + 14:tb["tcp"] + 16]))
    recs[i][2], recs[i][3] = joined, len(joined)
    del recs[j]
    return True


def swap_one(rng, link, recs):
    if len(recs) < 2:
        return False
    i = rng.randrange(len(recs) - 1)
    if rng.random() < 0.25:  # whole records: the clock steps back
        recs[i], recs[i + 1] = recs[i + 1], recs[i]
    else:
        recs[i][2:], recs[i + 1][2:] = recs[i + 1][2:], recs[i][2:]
    return True


SEG_OPS = {"split": split_one, "merge": merge_one, "swap": swap_one}


def mutate(rng, kinds, source, out, ops):
    """One mutated copy of `source` in `out`; counts the operations done in ops; returns the kind."""
    kind = rng.choice(kinds)
    if kind == "bytes":
        mutate_bytes(rng, source, out)
        ops[kind] += 1
        return kind
    head, e, link, recs = read_pcap(source)
    for _ in range(rng.randint(1, max(1, min(50, len(recs) // 20)))):
        ops[kind] += SEG_OPS[kind](rng, link, recs)
    write_pcap(out, head, e, recs)
    return kind


def run(tshark, path, two, filtered=False):
    # -Y connlost still builds and draws every frame's tree but prints only connlost's frames: batches stay fast
    cmd = tshark + (["-2"] if two else []) + ["-n", "-r", path, "-V"] + (["-Y", "connlost"] if filtered else [])
    try:
        p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, errors="replace",
                           timeout=120)
    except subprocess.TimeoutExpired:
        return "timeout after 120 s"
    bad = [line for line in p.stderr.splitlines() if any(m.lower() in line.lower() for m in BAD_MARKERS)]
    # tshark exits 2 (14 from 4.6) on a file cut mid-record; a signal or anything else means it died
    if p.returncode not in (0, read_error_exit(tshark)) or bad:
        return f"exit {p.returncode} {bad[:3]}"
    return None


def problems_of(tshark, path, filtered, fields=None):
    found = [f"{'-2' if two else '1 pass'}: {why}" for two in (False, True) if (why := run(tshark, path, two, filtered))]
    if fields and not found:
        why = disagreement(tshark, path, fields)
        if why:
            found.append(why)
    return found


def connlost_fields(tshark):
    """Every registered connlost field but those only the later passes know."""
    listed = subprocess.run(tshark + ["-G", "fields"], capture_output=True, text=True, timeout=120).stdout
    rows = [c for c in (line.split("\t") for line in listed.splitlines()) if len(c) > 4 and c[0] == "F"]
    return [c[2] for c in rows if c[4] == "connlost" and c[2] not in TWO_PASS_ONLY]


def disagreement(tshark, path, fields):
    """One pass and -2 must show the same connlost fields on every frame: a frame's result never changes."""
    outs = []
    for two in (False, True):
        cmd = tshark + (["-2"] if two else []) + ["-n", "-r", path, "-T", "fields", "-E", "separator=\t",
                                                  "-e", "frame.number"]
        for f in fields:
            cmd += ["-e", f]
        try:
            p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, errors="replace",
                               timeout=300)
        except subprocess.TimeoutExpired:
            return "fields: timeout after 300 s"
        outs.append(p.stdout.splitlines())
    one, two = outs
    diffs = [a.split("\t", 1)[0] for a, b in zip(one, two) if a != b]
    if diffs or len(one) != len(two):
        return f"one pass and -2 disagree on frames {diffs[:5]} ({len(one)} vs {len(two)} rows)"
    return None


def main():
    args = sys.argv[1:]
    batch, agree, kinds = 1, False, list(KINDS)
    while args[0].startswith("--"):
        if args[0] == "--batch":
            batch, args = max(1, int(args[1])), args[2:]
        elif args[0] == "--agree":
            agree, args = True, args[1:]
        elif args[0] == "--kinds":
            kinds, args = [k for k in args[1].split(",") if k], args[2:]
            if not kinds or any(k not in KINDS for k in kinds):
                sys.exit(f"fuzz.py: --kinds takes some of {','.join(KINDS)}")
        else:
            sys.exit(f"fuzz.py: unknown option {args[0]}")
    tshark = args[0].split()
    fields = connlost_fields(tshark) if agree or batch > 1 else None
    if fields is not None:
        print(f"agree: {len(fields)} connlost fields compared between one pass and -2", flush=True)
        if not fields:
            sys.exit("fuzz.py: tshark lists no connlost field: is the plugin loaded?")
    made = {k: 0 for k in KINDS}
    ops = {k: 0 for k in KINDS}
    work, count, seed = args[1], int(args[2]), int(args[3])
    captures = args[4:]
    rng = random.Random(seed)
    os.makedirs(os.path.join(work, "failed"), exist_ok=True)
    os.chmod(work, 0o777)
    passed = failed = 0
    for start in range(0, count, batch):
        members = []
        for i in range(start, min(start + batch, count)):
            source = captures[i % len(captures)]
            path = os.path.join(work, f"fuzz-{i}.pcap")
            made[mutate(rng, kinds, source, path, ops)] += 1
            os.chmod(path, 0o644)
            members.append((i, source, path))
        suspects = members
        if batch > 1:  # one tshark run over the batch appended end to end; alone only the members of a failing one
            merged = os.path.join(work, "batch.pcapng")
            subprocess.run(["mergecap", "-a", "-F", "pcapng", "-w", merged] + [m[2] for m in members],
                           capture_output=True, check=True)
            os.chmod(merged, 0o644)
            whole = problems_of(tshark, merged, True, fields)
            suspects = members if whole else []
            if whole:
                kept = os.path.join(work, "failed", f"batch-{seed}-{start}.pcapng")
                shutil.copy(merged, kept)
                print(f"batch {start}-{members[-1][0]} failed as a whole: {whole} (kept {kept}); its captures alone:")
            os.remove(merged)
        failing = 0
        for i, source, path in suspects:
            problems = problems_of(tshark, path, False, fields)
            if problems:
                failing += 1
                kept = os.path.join(work, "failed", f"fuzz-{seed}-{i}-{os.path.basename(source)}")
                shutil.copy(path, kept)
                print(f"FAIL fuzz {i} from {os.path.basename(source)}: {problems} (kept {kept})")
        if suspects and batch > 1 and not failing:
            failing = 1  # no member fails alone: the state carried from one capture into the next did it
            print(f"FAIL batch {start}: its captures fail only together")
        failed += failing
        passed += len(members) - failing
        if batch > 1:  # progress, for a long run stopped early
            print(f"progress: {passed + failed} done, {failed} failed", flush=True)
        for m in members:
            os.remove(m[2])
    print("kinds: " + " ".join(f"{k}={made[k]}/{ops[k]}" for k in KINDS) + " (captures/operations)")
    print(f"fuzz: {count} mutated captures, {batch} per tshark run, seed {seed}: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
