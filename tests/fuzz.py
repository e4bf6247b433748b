#!/usr/bin/python3
"""Fuzz tshark with connlost on mutated copies of the real captures.

Usage: fuzz.py TSHARK WORKDIR COUNT SEED CAPTURE...
Makes COUNT mutated captures, round robin over CAPTURE...: random byte errors
(editcap -E with a seeded probability), optionally also a snaplen or a chop,
and runs tshark with the plugin on each, in one pass and with -2, building the
full tree (-V). Fails on a crash, an abort, a sanitizer report or a dissector
bug; keeps failing inputs in WORKDIR/failed/. Ends with 'N passed, N failed'.
The short run in tests/run uses a fixed seed; a long run: tests/fuzz-long.
SPDX-License-Identifier: GPL-2.0-or-later
"""
import os
import random
import shutil
import subprocess
import sys

BAD_MARKERS = ("AddressSanitizer", "runtime error:", "LeakSanitizer", "assert", "dissector bug", "Segmentation",
               "Aborted", "ERROR:connlost", "CRITICAL")


def mutate(rng, source, out):
    args = ["editcap", "--seed", str(rng.randrange(1 << 31)), "-E", f"{rng.choice((0.001, 0.005, 0.02, 0.1)):g}"]
    shape = rng.random()
    if shape < 0.2:
        args += ["-s", str(rng.randrange(34, 120))]
    elif shape < 0.3:
        args += ["-C", str(rng.randrange(1, 40))]
    subprocess.run(args + [source, out], capture_output=True, check=True)


def run(tshark, path, two):
    cmd = tshark + (["-2"] if two else []) + ["-n", "-r", path, "-V"]
    try:
        p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, errors="replace",
                           timeout=120)
    except subprocess.TimeoutExpired:
        return "timeout after 120 s"
    bad = [line for line in p.stderr.splitlines() if any(m.lower() in line.lower() for m in BAD_MARKERS)]
    # tshark exits 2 on a file cut mid-record; a signal or anything else means it died
    if p.returncode not in (0, 2) or bad:
        return f"exit {p.returncode} {bad[:3]}"
    return None


def main():
    tshark = sys.argv[1].split()
    work, count, seed = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    captures = sys.argv[5:]
    rng = random.Random(seed)
    os.makedirs(os.path.join(work, "failed"), exist_ok=True)
    os.chmod(work, 0o777)
    passed = failed = 0
    for i in range(count):
        source = captures[i % len(captures)]
        path = os.path.join(work, f"fuzz-{i}.pcap")
        mutate(rng, source, path)
        os.chmod(path, 0o644)
        problems = [f"{'-2' if two else '1 pass'}: {why}" for two in (False, True) if (why := run(tshark, path, two))]
        if problems:
            failed += 1
            kept = os.path.join(work, "failed", f"fuzz-{seed}-{i}-{os.path.basename(source)}")
            shutil.copy(path, kept)
            print(f"FAIL fuzz {i} from {os.path.basename(source)}: {problems} (kept {kept})")
        else:
            passed += 1
        os.remove(path)
    print(f"fuzz: {count} mutated captures, seed {seed}: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
