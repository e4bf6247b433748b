#!/usr/bin/python3
"""Summarise two callgrind profiles of tshark (plugin on / off) for bench/run.

cgreport.py ON.out OFF.out FRAMES
Prints where the extra instructions of the "on" run go: the plugin's own
functions (inclusive) and the functions whose self cost grew the most.
"""
import re, subprocess, sys

LINE = re.compile(r"\s*([\d,]+) \(\s*[\d.]+%\)\s+(.*\S)\s*$")


def annotate(path, inclusive):
    args = ["callgrind_annotate", "--threshold=100"] + (["--inclusive=yes"] if inclusive else []) + [path]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    total, funcs = 0, {}
    for line in out.splitlines():
        m = LINE.match(line)
        if not m:
            continue
        n = int(m.group(1).replace(",", ""))
        name = m.group(2)
        if "PROGRAM TOTALS" in name:
            total = n
            continue
        name = re.sub(r"'\d+", "", name)  # recursion levels
        if inclusive:
            funcs[name] = max(funcs.get(name, 0), n)  # a cycle's levels are nested: keep the outer
        else:
            funcs[name] = funcs.get(name, 0) + n
    return total, funcs


def dissection(inclusive):
    """Instructions in dissection: epan_dissect_run_with_taps and epan_dissect_run (tshark -2's first pass uses the
    latter), which never call each other."""
    return sum(max([v for k, v in inclusive.items() if k.split(" [")[0].endswith(":" + f)] or [0])
               for f in ("epan_dissect_run_with_taps", "epan_dissect_run"))


def short(name):
    """'file:function [object]' -> 'function (object basename)'"""
    m = re.match(r"(.*?):([^:\s]+)(?: \[(.*)\])?$", name)
    if not m:
        return name
    obj = (m.group(3) or "").rsplit("/", 1)[-1]
    return "%s (%s)" % (m.group(2), obj) if obj else m.group(2)


def main():
    on_path, off_path, frames = sys.argv[1], sys.argv[2], int(sys.argv[3])
    budget = float(sys.argv[4]) if len(sys.argv) > 4 else None
    tot_on, inc_on = annotate(on_path, True)
    tot_off, inc_off = annotate(off_path, True)
    _, self_on = annotate(on_path, False)
    _, self_off = annotate(off_path, False)
    extra = tot_on - tot_off
    d_on, d_off = dissection(inc_on), dissection(inc_off)
    print("  all of tshark: off %d  on %d  on/off %.3f  (+%d per frame)"
          % (tot_off, tot_on, tot_on / tot_off, extra / frames))
    if d_on and d_off:
        ratio = d_on / d_off
        verdict = "" if budget is None else "  budget <= %.2f  %s" % (budget, "PASS" if ratio <= budget else "MISS")
        print("  dissection only (epan_dissect_run*, no start-up): off %d  on %d  on/off %.3f%s"
              % (d_off, d_on, ratio, verdict))
    print("  the plugin's own functions, inclusive (share of the extra instructions):")
    own = sorted(((v, k) for k, v in inc_on.items() if "connlost.so" in k), reverse=True)
    for v, k in own[:8]:
        print("    %5.1f%%  %6d/frame  %s" % (100.0 * v / extra, v / frames, short(k)))
    print("  self cost that grew most with the plugin on (share of the extra instructions):")
    grew = sorted(((self_on.get(k, 0) - self_off.get(k, 0), k) for k in set(self_on) | set(self_off)), reverse=True)
    for v, k in grew[:10]:
        print("    %5.1f%%  %6d/frame  %s" % (100.0 * v / extra, v / frames, short(k)))


if __name__ == "__main__":
    main()
