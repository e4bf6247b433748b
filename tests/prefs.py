#!/usr/bin/python3
"""Every preference at the two ends of its documented range, and just beyond them, on captures of every cause.

Usage: prefs.py TSHARK README WORKDIR CAPTURE...
The captures are joined one after the other into one (WORKDIR/every-cause.pcap, each shifted to begin 10 s
after the previous one ends), so that one run holds every cause. For each preference of the README's table and each extreme, tshark (with -2) must run cleanly, and every
conversation's final verdict (connlost.conv.cause) may differ from the default run only where the preference
explains it: a threshold changes only the causes it feeds (or what a vanished cause had hidden on the same
conversation); a bound may make any verdict change (it forgets). A value beyond the range is clamped: the same
results as at the end it is beyond. Ends with 'N passed, N failed'.
SPDX-License-Identifier: GPL-2.0-or-later
"""
import os
import re
import subprocess
import sys

passed = failed = 0

IDLE = {"idle-reset", "idle-drop", "middlebox-reset", "retransmission-timeout", "peer-reset"}
RST = IDLE | {"connect-refused", "connect-blocked"}
ANY = None  # a bound: forgetting may change anything
EXPLAINS = {
    "pmtud_min_sends": {"pmtud-blackhole"}, "pmtud_stall_ms": {"pmtud-blackhole"},
    "dupack_chain": {"pmtud-blackhole"}, "max_segments": {"pmtud-blackhole"},
    "frag_min_lost": {"fragment-loss"}, "frag_grace_ms": {"fragment-loss"}, "frag_timeout_s": {"fragment-loss"},
    "max_fragments": {"fragment-loss"},
    "idle_min_ms": IDLE, "drop_min_retrans": IDLE, "rto_min_retrans": IDLE, "rst_ttl_tolerance": RST,
    "period_min_count": set(), "period_jitter_pct": set(),
    "mapi_limit": {"mapi-session-limit"}, "mapi_near_pct": set(), "mapi_burst_count": set(), "mapi_burst_s": set(),
    "max_mapi_sessions": {"mapi-session-limit"}, "max_rpc_endpoints": {"mapi-session-limit"},
    "connect_syn_min": {"connect-timeout"}, "zero_window_min_ms": {"zero-window-stall"},
    "max_conversations": ANY, "max_pairs": ANY, "max_state_mb": ANY, "max_results_mb": ANY, "reset_linger_s": ANY,
}


def check(name, ok, detail=""):
    global passed, failed
    passed, failed = (passed + 1, failed) if ok else (passed, failed + 1)
    print(f"{'PASS' if ok else 'FAIL'} {name}{'' if ok else ': ' + detail}")


def ranges(readme):
    """(name, low, high) of every preference in the README's table."""
    rows = re.findall(r"^\| `connlost\.(\w+)` \| \d+ \| (\d+)–(\d+) \|", open(readme).read(), re.M)
    return [(name, int(lo), int(hi)) for name, lo, hi in rows]


def verdicts(tshark, capture, prefs):
    """Each conversation's final verdict, keyed by Wireshark's TCP stream, else by its addresses and ports
    (connlost's conversation numbers shift when a setting makes or forgets one)."""
    args = tshark + ["-n", "-2", "-r", capture, "-T", "fields", "-e", "tcp.stream", "-e", "ip.src", "-e", "ip.dst",
                     "-e", "udp.srcport", "-e", "udp.dstport", "-e", "connlost.conv.cause"]
    for name, value in prefs:
        args += ["-o", f"connlost.{name}:{value}"]
    out = subprocess.run(args, capture_output=True, text=True, timeout=300)
    final = {}
    for line in out.stdout.splitlines():
        stream, src, dst, sport, dport, cause = (line.split("\t") + [""] * 6)[:6]
        key = f"stream {stream}" if stream else f"flow {'/'.join(sorted([src + ':' + sport, dst + ':' + dport]))}"
        if cause or key not in final:
            final[key] = cause
    return out.returncode, out.stderr.strip(), final


def explained(name, before, after):
    """The conversations whose verdict changed in a way the preference does not explain."""
    allowed = EXPLAINS[name]
    if allowed is None:
        return []
    bad = []
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key, ""), after.get(key, "")
        if old == new:
            continue
        vanished = old in allowed  # a cause it feeds went, and may reveal what it had outranked
        if not vanished and not ((not old or old in allowed) and (not new or new in allowed)):
            bad.append(f"{key}: {old or 'none'} -> {new or 'none'}")
    return bad


def epoch(tshark, capture, last):
    out = subprocess.run(tshark + ["-n", "-r", capture, "-T", "fields", "-e", "frame.time_epoch"],
                         capture_output=True, text=True, timeout=300).stdout.split()
    return float(out[-1] if last else out[0])


def joined(tshark, workdir, captures):
    """The captures one after the other in one file, in time order."""
    parts, start = [], None
    for i, capture in enumerate(captures):
        first, last = epoch(tshark, capture, False), epoch(tshark, capture, True)
        start = first if start is None else start
        part = os.path.join(workdir, f"part{i}.pcap")
        subprocess.run(["editcap", "-F", "pcap", "-t", f"{start - first:.6f}", capture, part], check=True)
        parts.append(part)
        start += last - first + 10
    out = os.path.join(workdir, "every-cause.pcap")
    subprocess.run(["mergecap", "-F", "pcap", "-a", "-w", out] + parts, check=True)
    for part in parts:
        os.remove(part)
    os.chmod(out, 0o644)
    return out


def main():
    tshark, readme, workdir = sys.argv[1].split(), sys.argv[2], sys.argv[3]
    captures = [joined(tshark, workdir, sys.argv[4:])]
    table = ranges(readme)
    check(f"the README documents the range of {len(table)} preferences", len(table) == len(EXPLAINS),
          f"{sorted(set(EXPLAINS) ^ {n for n, _, _ in table})}")
    for capture in captures:
        name = os.path.basename(capture)
        rc, err, default = verdicts(tshark, capture, [])
        check(f"{name}: default run", rc == 0, err[:200])
        for pref, lo, hi in table:
            if pref not in EXPLAINS:
                continue
            results = {}
            for value in (lo, hi):
                rc, err, got = verdicts(tshark, capture, [(pref, value)])
                results[value] = got
                bad = explained(pref, default, got)
                check(f"{name}: {pref}={value} runs and changes only what it explains", rc == 0 and not err and not bad,
                      f"rc {rc} {err[:200]} {bad[:3]}")
            for beyond, end in ((lo - 1, lo), (hi + 1, hi)):
                if 0 <= beyond <= 4294967295:
                    rc, err, got = verdicts(tshark, capture, [(pref, beyond)])
                    check(f"{name}: {pref}={beyond} is clamped to {end}", rc == 0 and got == results[end],
                          f"rc {rc} {err[:200]}")
    print(f"prefs: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
