#!/usr/bin/python3
"""Fuzz tshark with connlost on mutated copies of the real captures.

Usage: fuzz.py [--batch N] TSHARK WORKDIR COUNT SEED CAPTURE...
Makes COUNT mutated captures, round robin over CAPTURE...: random byte errors
(editcap -E with a seeded probability), optionally also a snaplen or a chop,
and runs tshark with the plugin on each, in one pass and with -2, building the
full tree (-V). With --batch N, N mutated captures are appended into one file
(mergecap -a) for each tshark run, and only the members of a failing batch are
run alone: a long run's cost is then the frames, not tshark's start-up. Fails
on a crash, an abort, a sanitizer report or a dissector bug; keeps failing
inputs in WORKDIR/failed/. Ends with 'N passed, N failed'.
The short run in tests/run uses a fixed seed; a long run: tests/fuzz-long.
SPDX-License-Identifier: GPL-2.0-or-later
"""
import os
import random
import shutil
import subprocess
import sys

from tshark_version import read_error_exit


BAD_MARKERS = ("AddressSanitizer", "runtime error:", "LeakSanitizer", "assert", "dissector bug", "Segmentation",
               "Aborted", "ERROR:connlost", "CRITICAL", "could not be opened", "isn't a capture file")


def mutate(rng, source, out):
    args = ["editcap", "--seed", str(rng.randrange(1 << 31)), "-E", f"{rng.choice((0.001, 0.005, 0.02, 0.1)):g}"]
    shape = rng.random()
    if shape < 0.2:
        args += ["-s", str(rng.randrange(34, 120))]
    elif shape < 0.3:
        args += ["-C", str(rng.randrange(1, 40))]
    subprocess.run(args + [source, out], capture_output=True, check=True)


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


def problems_of(tshark, path, filtered):
    return [f"{'-2' if two else '1 pass'}: {why}" for two in (False, True) if (why := run(tshark, path, two, filtered))]


def main():
    args = sys.argv[1:]
    batch = 1
    if args[0] == "--batch":
        batch, args = max(1, int(args[1])), args[2:]
    tshark = args[0].split()
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
            mutate(rng, source, path)
            os.chmod(path, 0o644)
            members.append((i, source, path))
        suspects = members
        if batch > 1:  # one tshark run over the batch appended end to end; alone only the members of a failing one
            merged = os.path.join(work, "batch.pcapng")
            subprocess.run(["mergecap", "-a", "-F", "pcapng", "-w", merged] + [m[2] for m in members],
                           capture_output=True, check=True)
            os.chmod(merged, 0o644)
            whole = problems_of(tshark, merged, True)
            suspects = members if whole else []
            if whole:
                kept = os.path.join(work, "failed", f"batch-{seed}-{start}.pcapng")
                shutil.copy(merged, kept)
                print(f"batch {start}-{members[-1][0]} failed as a whole: {whole} (kept {kept}); its captures alone:")
            os.remove(merged)
        failing = 0
        for i, source, path in suspects:
            problems = problems_of(tshark, path, False)
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
    print(f"fuzz: {count} mutated captures, {batch} per tshark run, seed {seed}: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
