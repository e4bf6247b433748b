#!/usr/bin/python3
"""Run tshark with the built plugin on every capture and check the truth files.

Usage: integration.py TSHARK CAPTURE_DIR
TSHARK is a command that runs tshark with the plugin loaded. Prints one line per
check and ends with 'N passed, N failed'.
SPDX-License-Identifier: GPL-2.0-or-later
"""
import os
import re
import subprocess
import sys

from tshark_version import tshark_version

FIELDS = ["frame.number", "ip.len", "tcp.stream", "tcp.srcport", "tcp.flags.reset", "tcp.flags.syn", "tcp.flags.ack", "connlost.withdrawn", "connlost.rst.origin",
          "connlost.rst.ttl",
          "connlost.rst.ttl_expected", "connlost.conv", "connlost.cause", "connlost.confidence",
          "connlost.pmtu", "connlost.pmtu.largest_acked", "connlost.pmtu.smallest_lost", "connlost.pmtu.icmp",
          "connlost.evidence", "connlost.dupack.count", "connlost.dupack.first", "connlost.frag.incomplete",
          "connlost.frag.lost_ids", "connlost.note", "connlost.summary", "connlost.idle", "connlost.keepalive",
          "connlost.keepalive.interval", "connlost.idle_timeout.min", "connlost.idle_timeout.max",
          "connlost.keepalive.recommended", "connlost.period", "connlost.period.count",
          "connlost.retrans.unanswered", "connlost.keepalive_missing", "connlost.keepalive_too_sparse",
          "connlost.periodic_disconnect", "connlost.middlebox_reset", "connlost.rpc.ptype", "connlost.rpc.interface",
          "connlost.rpc.interface_source", "connlost.rpc.bind_result", "connlost.rpc.opnum", "connlost.rpc.auth_user",
          "connlost.mapi.op", "connlost.mapi.user", "connlost.mapi.sessions", "connlost.mapi.error",
          "connlost.mapi.leaked", "connlost.mapi.lower_bound", "connlost.rpc_bind_rejected",
          "connlost.mapi_session_leak", "connlost.mapi_sessions_near_limit", "connlost.mapi_reconnect_burst",
          "connlost.mapi_session_limit", "connlost.conv.cause", "connlost.conv.verdict"]
TWO_PASS_ONLY = ("connlost.conv.cause", "connlost.conv.confidence", "connlost.conv.verdict")  # the final verdict on each frame
REPORT_ROW = re.compile(r"^\s+(\d+)\s+[\d.]+\s+[\d.]+\s+\S+ -> \S+\s+(\S+)\s+(\d+)%\s+(\d+)\s")
MAPI_EXPERTS = ("rpc_bind_rejected", "mapi_session_leak", "mapi_sessions_near_limit", "mapi_reconnect_burst",
                "mapi_session_limit")
IDLE_CAUSES = {"idle-reset", "idle-drop"}
SETUP_CAUSES = {"connect-timeout", "connect-refused", "connect-blocked"}  # of connections never established
PLATEAUS = {65535, 32000, 17914, 8166, 4352, 2002, 1500, 1492, 1280, 1006, 576, 508, 296, 68}

passed = failed = 0
# Wireshark 4.4 and later escape \ and " in -T fields strings (CONTOSO\\user1; -E escape=n keeps it): undone here,
# so the values compare as they are, as 4.0 prints them
ESCAPES_FIELDS = False
FIELD_ESCAPE = re.compile(r'\\([\\"])')
# and print FT_BOOLEAN fields as True/False, not 1/0: mapped back for the fields in BOOLEANS
BOOLEANS = set()
BOOLEAN_AS_DIGIT = {"True": "1", "False": "0"}


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"PASS {name}")
    else:
        failed += 1
        print(f"FAIL {name}: {detail}")


def read_truth(path):
    truth = {}
    for line in open(path):
        line = line.split("#", 1)[0].strip()
        if "=" in line:
            k, v = line.split("=", 1)
            truth[k.strip()] = v.strip()
    return truth


def ints(value):
    return [int(x) for x in value.split(",") if x.strip()] if value else []


def run(tshark, capture, two_pass):
    cmd = tshark + ["-n", "-r", capture, "-T", "fields", "-E", "separator=\t", "-E", "occurrence=a",
                    "-E", "aggregator=,"]
    if two_pass:
        cmd.insert(len(tshark), "-2")
    for f in FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    if out.returncode != 0:
        raise RuntimeError(f"tshark exit {out.returncode}: {out.stderr.strip()[:400]}")
    rows = []
    for line in out.stdout.splitlines():
        cols = line.split("\t")
        if ESCAPES_FIELDS:
            cols = [FIELD_ESCAPE.sub(r"\1", c) for c in cols]
            cols = [",".join(BOOLEAN_AS_DIGIT.get(v, v) for v in c.split(",")) if f in BOOLEANS else c
                    for f, c in zip(FIELDS, cols)]
        cols += [""] * (len(FIELDS) - len(cols))
        rows.append(dict(zip(FIELDS, cols)))
    return rows


def pairs(value):
    """'F:x,G:y' -> {F: 'x', G: 'y'}"""
    out = {}
    for item in (value or "").split(","):
        if ":" in item:
            k, v = item.split(":", 1)
            out[int(k)] = v
    return out


def streams(t):
    """stream.N=first_frame,end_kind,end_frame,end_time,longest_gap,gap_frame"""
    out = {}
    for k, v in t.items():
        if k.startswith("stream.") and v:
            f = v.split(",")
            out[int(k[7:])] = {"first": int(f[0]), "end_kind": f[1], "end": int(f[2]), "end_time": float(f[3]),
                               "gap": float(f[4]), "gap_frame": int(f[5])}
    return out


def close(a, b, pct=5):
    return abs(a - b) <= b * pct / 100


def verdict_rows(rows):
    """The rows with a connlost.cause that held: no later connlost.withdrawn of that cause on its conversation
    (in one pass, a conversation's verdict is its last cause that no later withdrawal of the same cause follows)."""
    held = []
    for r in rows:
        if r.get("connlost.withdrawn") and r["connlost.conv"]:
            held = [h for h in held if not (h["connlost.conv"] == r["connlost.conv"] and
                                            h["connlost.cause"] == r["connlost.withdrawn"])]
        if r["connlost.cause"]:
            held.append(r)
    return held


def check_capture(tshark, truth_path):
    name = os.path.basename(truth_path)[:-len(".truth")]
    capture = truth_path[:-len(".truth")] + ".pcap"
    t = read_truth(truth_path)
    try:
        one = run(tshark, capture, False)
        two = run(tshark, capture, True)
    except Exception as e:  # noqa: BLE001 - report and go on with the other captures
        check(f"{name}: tshark runs", False, str(e))
        return
    check(f"{name}: tshark runs", True)
    frames = int(t.get("frames") or 0)
    check(f"{name}: frame count", len(one) == frames, f"{len(one)} != {frames}")

    def same(r, s):
        return all(r[k] == s[k] for k in FIELDS if k not in TWO_PASS_ONLY)
    diffs = [r["frame.number"] for r, s in zip(one, two) if not same(r, s)]
    check(f"{name}: single pass and -2 agree on every connlost field", not diffs and len(one) == len(two),
          f"frames {diffs[:10]}, {len(one)} vs {len(two)} rows")
    check_conv_verdicts(name, one, two)
    check_report(tshark, name, capture, one, t)
    check_readers(tshark, name, capture, one)

    # a packet after an idle gap, retransmitted and answered after all (answer_frame): a loss that recovered; what
    # was raised on its retransmissions is withdrawn on the answer, and nothing else is
    answer = int(t.get("answer_frame") or 0)
    if answer:
        withdrawn = [(int(r["frame.number"]), r["connlost.withdrawn"], int(r["connlost.withdrawn.frame"] or 0))
                     for r in one if r["connlost.withdrawn"]]
        retrans = ints(t.get("retrans_frames"))
        check(f"{name}: what its {len(retrans)} retransmission(s) raised is withdrawn on the answer (frame {answer})",
              all(f == answer and of in retrans for f, _, of in withdrawn), str(withdrawn))
        # 2 unanswered retransmissions after an idle gap make an idle-drop (the default): it was raised, and went
        if len(retrans) >= 2:
            check(f"{name}: the idle-drop raised on its retransmissions is withdrawn",
                  [c for _, c, _ in withdrawn] == ["idle-drop"], str(withdrawn))

    # who sent every RST: the truth measured it by looking for the RST in the claimed sender's own capture
    rsts = [r for r in one if r["tcp.flags.reset"] in ("1", "True")]
    client_port = t.get("client", "").rsplit(":", 1)[-1]
    syn_port = {}  # each connection's client is the sender of its SYN; the truth's client= names the first one
    for r in one:
        if r["tcp.flags.syn"] in ("1", "True") and r["tcp.flags.ack"] in ("0", "False") and r["tcp.stream"]:
            syn_port.setdefault(r["tcp.stream"], r["tcp.srcport"])
    origins, ttls = pairs(t.get("rst_origin")), pairs(t.get("rst_ttl"))
    # a RST whose claimed sender sent nothing to compare it with (captures/gen/rst-judgeable.py) must be "unknown"
    unjudgeable = set(ints(t.get("rst_unjudgeable")))
    wrong = []
    for r in rsts:
        f = int(r["frame.number"])
        claimed = "client" if r["tcp.srcport"] == syn_port.get(r["tcp.stream"], client_port) else "server"
        truth = "unknown" if f in unjudgeable else origins.get(f, claimed)
        if r["connlost.rst.origin"] != truth or (truth not in ("middlebox", "unknown") and r["connlost.rst.ttl"] !=
                                                 r["connlost.rst.ttl_expected"]):
            wrong.append((f, r["connlost.rst.origin"], truth))
        elif f in ttls and r["connlost.rst.ttl"] != ttls[f]:
            wrong.append((f, "ttl", r["connlost.rst.ttl"], ttls[f]))
    if rsts:
        forged = sum(1 for v in origins.values() if v == "middlebox")
        check(f"{name}: origin of {len(rsts)} RST(s) ({forged} forged) as the truth measured", not wrong,
              str(wrong[:5]))

    # capture duplicates (the same packet taken at two points and merged): exactly the copies the truth found,
    # none in a capture taken at one point
    copies = {int(r["frame.number"]) for r in one if r["connlost.copy_of"]}
    truth_copies = set(ints(t.get("span_dup_frames")))
    check(f"{name}: {len(truth_copies)} capture duplicate(s) found, as the truth counts them", copies == truth_copies,
          f"extra {sorted(copies - truth_copies)[:5]} missing {sorted(truth_copies - copies)[:5]}")

    if "expect_causes" in t:  # the MAPI scenarios: several causes, one per conversation
        check_mapi(name, t, one)
        return
    expect = t.get("expect_cause", "none")
    verdicts = verdict_rows(one)
    causes = {r["connlost.cause"] for r in verdicts}
    if expect == "none":
        check(f"{name}: negative control stays silent", not causes, f"causes {causes} on frames "
              f"{[r['frame.number'] for r in verdicts][:10]}")
    else:
        check(f"{name}: cause is {expect}", causes == {expect}, f"causes {causes}")
        if not verdicts:
            return
        last = verdicts[-1]
        end = t.get("end_frame")
        if end and int(verdicts[0]["frame.number"]) <= int(end) <= len(one):  # evidence may come after the end (ICMP)
            row = one[int(end) - 1]
            check(f"{name}: end frame {end} carries the verdict", row["connlost.cause"] == expect,
                  f"frame {end}: {row['connlost.cause']!r}")
        conf = int(last["connlost.confidence"] or 0)
        check(f"{name}: confidence in 1..100", 0 < conf <= 100, str(conf))
        evidence = ints(last["connlost.evidence"])
        check(f"{name}: evidence frames exist", evidence and all(0 < e <= frames for e in evidence), str(evidence))

    if expect in SETUP_CAUSES:
        check_setup(name, t, one, expect)
    if t.get("zero_window_duration"):
        check_zero_window(name, t, one, expect)

    if t.get("fw") and expect not in SETUP_CAUSES:  # the reset/idle scenarios: each connection judged on its own
        check_streams(name, t, one, expect)

    if expect == "pmtud-blackhole":
        last = verdicts[-1]
        mtu = int(t.get("link_mtu") or 0)
        pmtu = int(last["connlost.pmtu"] or 0)
        largest = int(last["connlost.pmtu.largest_acked"] or 0)
        smallest = int(last["connlost.pmtu.smallest_lost"] or 0)
        check(f"{name}: bracket {largest} <= link MTU {mtu} < {smallest}", 0 < largest <= mtu < smallest,
              f"largest {largest} smallest {smallest}")
        check(f"{name}: smallest lost is the endpoints' full size 1500", smallest == 1500, str(smallest))
        if t.get("family") == "4" and mtu in PLATEAUS:
            check(f"{name}: path MTU estimate {pmtu} == {mtu}", pmtu == mtu, str(pmtu))
        else:
            check(f"{name}: path MTU estimate {pmtu} is safe (<= {mtu})", 0 < pmtu <= mtu, str(pmtu))
        retrans = set(ints(t.get("retrans_frames")))
        evidence = set(ints(last["connlost.evidence"]))
        reduced = int(t.get("pmtu_reduced_frame") or 0)
        if t.get("pmtud_recovered") == "yes" and reduced:  # black-hole detection resent smaller: where, what size, when
            got = int(last["connlost.pmtud.recovered"] or 0)
            fallback = int(last["connlost.pmtud.fallback"] or 0)
            check(f"{name}: recovered from frame {reduced} on ({got}), fallback {fallback} = that packet's size",
                  reduced <= got and fallback == int(one[reduced - 1]["ip.len"] or 0), one[reduced - 1]["ip.len"])
            if t.get("pmtu_stall_s"):
                stall = float(last["connlost.pmtud.stall"] or 0)
                check(f"{name}: stall {stall:.3f} s within 5 % of {t['pmtu_stall_s']} s",
                      close(stall, float(t["pmtu_stall_s"])))
        if t.get(f"proof_stream_{t.get('vantage')}"):  # two connections on one path: checked per stream below
            check_shared_path(name, t, one)
        elif int(t.get("big_ip_len") or 0) >= 1500:  # the big segments are in this capture
            hit = evidence & retrans
            check(f"{name}: evidence names the retransmissions of the lost segment", len(hit) >= 2,
                  f"evidence {sorted(evidence)} retrans {sorted(retrans)}")
            check(f"{name}: largest size that got through is below the lost size",
                  largest < int(t.get("big_ip_len") or 0), f"{largest}")
        else:  # receiving side: the sizes that arrived
            check(f"{name}: largest size that arrived ({largest}) is the largest data packet here",
                  largest == int(t.get("big_ip_len") or 0), f"truth big_ip_len {t.get('big_ip_len')}")
        dupacks = set(ints(t.get("dupack_frames")))
        counted = {int(r["frame.number"]) for r in one if r["connlost.dupack.count"]}
        if len(dupacks) >= 3 and counted:
            # connlost ignores window changes, so it counts at least what Wireshark flags
            check(f"{name}: every duplicate ACK Wireshark flags is counted ({len(counted)} counted)",
                  dupacks <= counted, f"not counted {sorted(dupacks - counted)[:10]}")
            check(f"{name}: a chain of at least 3 duplicate ACKs",
                  max(int(r["connlost.dupack.count"]) for r in one if r["connlost.dupack.count"]) >= 3)
        check(f"{name}: no ICMP too-big in a black hole", not any(r["connlost.pmtu.icmp"] for r in one))

    ptb = ints(t.get("icmp_ptb_frames"))
    if ptb:
        mtu = int(t.get("icmp_ptb_mtu") or 0)
        rows = [one[f - 1] for f in ptb if f <= len(one)]
        check(f"{name}: every ICMP too-big is tied to the conversation",
              all(r["connlost.pmtu.icmp"] == r["frame.number"] and int(r["connlost.pmtu"] or 0) == mtu
                  for r in rows), str([(r["frame.number"], r["connlost.pmtu"]) for r in rows][:5]))
        working = [r for r in one if "discovery works" in r["connlost.note"]]
        check(f"{name}: PMTUD-works note after the last ICMP", len(working) == 1 and
              int(working[0]["frame.number"]) > ptb[0] and int(working[0]["connlost.pmtu"]) == mtu,
              str([r["frame.number"] for r in working]))

    if expect == "fragment-loss" or t.get("incomplete_ip_ids"):
        reported = set()
        for r in one:
            for x in r["connlost.frag.lost_ids"].split(","):
                if x:
                    reported.add(int(x, 16))
        truth_ids = {int(x, 16) for x in t.get("incomplete_ip_ids", "").split(",") if x}
        reasm = ints(t.get("icmp_reasm_frames"))
        if truth_ids:
            check(f"{name}: lost datagram IDs match the truth ({len(truth_ids)})", reported == truth_ids,
                  f"extra {sorted(map(hex, reported - truth_ids))} missing {sorted(map(hex, truth_ids - reported))}")
        else:  # the sender's side: every fragment left; the receiver's ICMP reassembly timeouts name the losses
            check(f"{name}: one lost datagram per ICMP reassembly timeout ({len(reasm)})",
                  reasm and len(reported) == len(reasm), f"reported {len(reported)}")
        if reasm:
            tied = [f <= len(one) and (one[f - 1]["connlost.frag.lost_ids"] or one[f - 1]["connlost.conv"])
                    for f in reasm]
            check(f"{name}: every ICMP reassembly timeout is tied to the conversation", all(tied))
    if expect == "none" and t.get("proto") == "udp":
        check(f"{name}: no datagram declared lost", not any(r["connlost.frag.lost_ids"] for r in one))


def rows_by_stream(one):
    """The rows of each TCP stream, in frame order."""
    by_stream = {}
    for r in one:
        if r["tcp.stream"]:
            by_stream.setdefault(int(r["tcp.stream"]), []).append(r)
    return by_stream


def check_shared_path(name, t, one):
    """Two connections on one black-holed path: the one whose proof this vantage shows, and the one that only
    went silent here, named at a low confidence on the other's proof; the healthy one silent."""
    v = t["vantage"]
    proof, silent = int(t[f"proof_stream_{v}"]), int(t[f"silent_stream_{v}"])
    by_stream = rows_by_stream(one)
    held = {n: verdict_rows(rows) for n, rows in by_stream.items()}
    proved = held.get(proof) or [{}]
    check(f"{name}: stream {proof} shows the black hole itself",
          proved[-1].get("connlost.cause") == "pmtud-blackhole" and "resting on" not in proved[-1]["connlost.summary"])
    quiet = held.get(silent) or [{}]
    last = quiet[-1]
    check(f"{name}: the silent stream {silent} is pmtud-blackhole too", last.get("connlost.cause") == "pmtud-blackhole",
          str([(r["frame.number"], r["connlost.cause"]) for r in quiet]))
    if v == "client":  # here nothing of the silent stream's big packets shows: the proof is borrowed
        check(f"{name}: stream {silent}'s verdict on its last frame {t['silent_last_frame_client']} rests on another's",
              last.get("frame.number") == t["silent_last_frame_client"] and "resting on" in last["connlost.summary"])
        proof_conv = next(r["connlost.conv"] for r in by_stream[proof] if r["connlost.conv"])
        check(f"{name}: stream {silent} rests on conversation {proof_conv}'s proof at a low confidence, MTU 1492",
              f"conversation {proof_conv} proved it" in last["connlost.summary"] and
              int(last["connlost.confidence"]) < 60 and last["connlost.low_confidence"] and
              last["connlost.pmtu"] == "1492", last["connlost.summary"][:300])
    for n, rows in held.items():
        if n not in (proof, silent):
            check(f"{name}: stream {n}, healthy on the same path, has no cause", not rows)


def check_silent_giveup(name, t, rows, verdicts):
    """The dead stream's verdict: raised on the third back-off of the retransmission timer, last updated on the
    last retransmission, numbering them all, and nothing withdrawn."""
    retrans = ints(t.get("retrans_frames"))
    last = int(t["giveup_last_retrans_frame"])
    frames = [int(r["frame.number"]) for r in verdicts]
    check(f"{name}: silent give-up: retransmission-timeout on frames {retrans[2:]}",
          frames == retrans[2:] and all(r["connlost.cause"] == "retransmission-timeout" for r in verdicts),
          str([(r["frame.number"], r["connlost.cause"]) for r in verdicts]))
    final = verdicts[-1] if verdicts else {}
    check(f"{name}: silent give-up: the verdict counts {len(retrans)} retransmissions, last frame {last}",
          final and int(final["frame.number"]) == last and final["connlost.retrans.unanswered"] == str(len(retrans)),
          final and final["connlost.retrans.unanswered"])
    check(f"{name}: silent give-up: no RST, nothing withdrawn",
          not any(r["connlost.withdrawn"] or r["tcp.flags.reset"] in ("1", "True") for r in rows))


def check_streams(name, t, one, expect):
    by_stream = rows_by_stream(one)
    wanted = set(filter(None, t.get("expect_experts", "").split(",")))
    for n, st in sorted(streams(t).items()):
        rows = by_stream.get(n, [])
        verdicts = verdict_rows(rows)
        # a sender that retransmitted into silence and gave up without a RST died too (the silent give-up)
        silent = t.get("giveup_last_retrans_frame") and n == int(t.get("dead_stream", -1))
        if silent and expect != "none":
            check_silent_giveup(name, t, rows, verdicts)
        elif (st["end_kind"] != "rst" and t.get("pmtud_recovered") != "yes") or expect == "none":
            check(f"{name}: stream {n} (ends {st['end_kind']}) has no cause", not verdicts,
                  str([(r["frame.number"], r["connlost.cause"]) for r in verdicts][:3]))
            continue
        last = verdicts[-1] if verdicts else None
        check(f"{name}: stream {n} verdict is {expect}", last and last["connlost.cause"] == expect,
              last and last["connlost.cause"])
        if not last or expect not in IDLE_CAUSES:
            continue
        idle = float(last["connlost.idle"] or 0)
        check(f"{name}: stream {n} idle gap {idle:.3f} s within 5 % of {st['gap']:.3f} s", close(idle, st["gap"]))
        gap_row = one[st["gap_frame"] - 1]
        check(f"{name}: stream {n} frame {st['gap_frame']} after the gap carries it",
              close(float(gap_row["connlost.idle"] or 0), st["gap"]), gap_row["connlost.idle"])
        fw_timeout = float(t.get("fw_timeout") or 0)
        lo, hi = float(last["connlost.idle_timeout.min"] or 0), float(last["connlost.idle_timeout.max"] or 0)
        rec = float(last["connlost.keepalive.recommended"] or 0)
        if fw_timeout:
            check(f"{name}: stream {n} idle-timeout bracket ({lo:.3f}, {hi:.3f}] holds the firewall's {fw_timeout} s",
                  lo < fw_timeout <= hi * 1.05)
        # half the shortest fatal gap (no device default fits gaps of seconds); safe for sure when a survived
        # gap is at least that long
        check(f"{name}: stream {n} recommended keep-alive {rec:.3f} s is half the fatal gap {hi:.3f} s",
              close(rec, hi / 2, 1))
        if lo >= rec and fw_timeout:
            check(f"{name}: stream {n} recommended keep-alive {rec:.3f} s <= survived {lo:.3f} s < {fw_timeout} s",
                  rec < fw_timeout)
    period = t.get("period")
    if period and expect != "none" and expect not in SETUP_CAUSES:  # lost connections only
        shown = [r for r in one if r["connlost.period"]]
        got = float(shown[-1]["connlost.period"]) if shown else 0
        count = int(shown[-1]["connlost.period.count"]) if shown else 0
        times = [x for x in t.get("disconnect_times", "").split(",") if x]
        check(f"{name}: period {got:.3f} s within 5 % of {float(period):.3f} s over {count} disconnects",
              close(got, float(period)) and count == len(times), f"count {count} vs {len(times)}")
    for expert in sorted(wanted):
        check(f"{name}: expert connlost.{expert} raised", any(r[f"connlost.{expert}"] for r in one))
    # the experts of a verdict later withdrawn went with it
    disproved = {r["connlost.withdrawn.frame"] for r in one if r["connlost.withdrawn"]}
    for expert in ("keepalive_missing", "keepalive_too_sparse", "periodic_disconnect", "middlebox_reset"):
        if expert not in wanted:
            check(f"{name}: no connlost.{expert}",
                  not any(r[f"connlost.{expert}"] for r in one if r["frame.number"] not in disproved))
    # Wireshark calls Linux's zero-window probes keep-alives; connlost does not
    probes = set(ints(t.get("keepalive_frames"))) - set(ints(t.get("zero_window_probe_frames")))
    acks = set(ints(t.get("keepalive_ack_frames")))
    seen_probes = {int(r["frame.number"]) for r in one if r["connlost.keepalive"] == "probe"}
    seen_acks = {int(r["frame.number"]) for r in one if r["connlost.keepalive"] == "ack"}
    check(f"{name}: keep-alive probes as Wireshark marks them ({len(probes)})", seen_probes == probes,
          f"extra {sorted(seen_probes - probes)} missing {sorted(probes - seen_probes)}")
    check(f"{name}: keep-alive answers as Wireshark marks them ({len(acks)})", seen_acks == acks,
          f"extra {sorted(seen_acks - acks)} missing {sorted(acks - seen_acks)}")


def check_zero_window(name, t, one, expect):
    """A receiver's closed window: how long and how many probes, on the verdict or on the frame that reopens it."""
    want, probes = float(t["zero_window_duration"]), int(t.get("zero_window_probe_count") or 0)
    rows = [r for r in (verdict_rows(one) if expect == "zero-window-stall" else one) if r["connlost.zero_window.duration"]]
    got = rows[-1] if rows else None
    check(f"{name}: window closed {want:.3f} s (within 5 %) with {probes} probe(s)", got is not None and
          close(float(got["connlost.zero_window.duration"]), want) and int(got["connlost.zero_window.probes"]) == probes,
          got and (got["connlost.zero_window.duration"], got["connlost.zero_window.probes"]))


def check_setup(name, t, one, expect):
    """Failed connection attempts: each attempt's SYNs, and the frame that refused it (ICMP, RST) or none."""
    syns = set(ints(t.get("syn_frames")))
    icmp = {int(k) for k in pairs(t.get("icmp_error_frames"))}
    by_stream = {}
    for r in verdict_rows(one):
        by_stream[r["tcp.stream"] or r["connlost.conv"]] = r
    wrong = []
    for key, r in by_stream.items():
        n = int(r["connlost.connect.syns"] or 0)
        refusal = int(r["connlost.connect.refusal"] or 0)
        if not 0 < n <= len(syns) or (expect == "connect-timeout") != (refusal == 0):
            wrong.append((key, n, refusal))
        elif expect == "connect-blocked" and icmp and refusal not in icmp:
            wrong.append((key, "icmp", refusal))
    check(f"{name}: each of {len(by_stream)} failed attempt(s) names its SYNs and what refused it", by_stream and not wrong,
          str(wrong[:5]))
    if expect == "connect-timeout":
        last = verdict_rows(one)[-1]
        check(f"{name}: connect-timeout counts all {len(syns)} SYNs", int(last["connlost.connect.syns"]) == len(syns),
              last["connlost.connect.syns"])


def final_verdicts(rows):
    """connlost.conv -> (cause, confidence, frame) of its last verdict"""
    out = {}
    for r in verdict_rows(rows):
        out[int(r["connlost.conv"])] = (r["connlost.cause"], int(r["connlost.confidence"]), int(r["frame.number"]))
    return out


def check_conv_verdicts(name, one, two):
    check(f"{name}: a single pass cannot know the conversation's final verdict on earlier frames",
          not any(r["connlost.conv.cause"] for r in one))
    finals = final_verdicts(two)
    streams_of = {}  # tcp.stream -> connlost.conv of its verdict rows
    for r in verdict_rows(two):
        if r["tcp.stream"]:
            streams_of[int(r["tcp.stream"])] = int(r["connlost.conv"])
    first = {}
    for r in two:
        if r["connlost.conv"] and r["tcp.stream"] and int(r["tcp.stream"]) in streams_of:
            first.setdefault(int(r["tcp.stream"]), int(r["frame.number"]))
    wrong, covered = [], 0
    for r in two:
        if not r["tcp.stream"] or int(r["tcp.stream"]) not in streams_of:
            continue
        stream = int(r["tcp.stream"])
        cause, _, frame = finals[streams_of[stream]]
        if int(r["frame.number"]) < first.get(stream, 0):
            continue
        covered += 1
        if r["connlost.conv.cause"] != cause or r["connlost.conv.verdict"] != str(frame):
            wrong.append((r["frame.number"], r["connlost.conv.cause"], cause, r["connlost.conv.verdict"], frame))
    if streams_of:
        check(f"{name}: with -2 all {covered} frames of the {len(streams_of)} diagnosed conversations carry its cause "
              f"and verdict frame", not wrong, str(wrong[:5]))


def check_report(tshark, name, capture, one, T):
    out = subprocess.run(tshark + ["-n", "-q", "-r", capture, "-z", "connlost,report"], capture_output=True, text=True,
                         timeout=300)
    rows = {}
    for line in out.stdout.splitlines():
        m = REPORT_ROW.match(line)
        if m:
            rows[int(m.group(1))] = (m.group(2), int(m.group(3)), int(m.group(4)))
    finals = final_verdicts(one)
    check(f"{name}: -z connlost,report lists exactly the {len(finals)} diagnosed conversations with cause, "
          f"confidence and verdict frame", out.returncode == 0 and rows == finals and
          f"connlost report: {len(finals)} conversation(s)" in out.stdout,
          f"report {sorted(rows.items())[:3]} fields {sorted(finals.items())[:3]} rc {out.returncode}")
    # Statistics > connlost > Diagnoses (-z connlost,diagnoses): the report's table, row by row; a verdict withdrawn
    # in this single pass stays as a row that says so
    shown = subprocess.run(tshark + ["-n", "-q", "-r", capture, "-z", "connlost,diagnoses"], capture_output=True,
                           text=True, timeout=300)
    table = {}
    for line in shown.stdout.splitlines():
        cells = [c.strip() for c in line.split("|")]
        if len(cells) >= 7 and cells[0].isdigit() and not cells[4].startswith("("):
            table[int(cells[0])] = (cells[4], int(cells[5]), int(cells[6]))
    check(f"{name}: -z connlost,diagnoses shows the report's {len(finals)} diagnosed conversation(s)",
          shown.returncode == 0 and table == finals and "(null)" not in shown.stdout,
          f"table {sorted(table.items())[:3]} rc {shown.returncode}")
    if T.get("proto") == "udp" and T.get("client") and finals:  # the client sent first, whoever's fragments came first
        roles = f"{T['client']} -> {T['server']}"
        check(f"{name}: the report names the UDP flow {roles}", roles in out.stdout,
              [line for line in out.stdout.splitlines() if "->" in line][:2])
    out = subprocess.run(tshark + ["-n", "-q", "-r", capture, "-z", "connlost,tree"], capture_output=True, text=True,
                         timeout=300)
    counted = {}
    for line in out.stdout.splitlines():
        m = re.match(r"^(\S.*?|\s\S+)\s{2,}(\d+)\s", line)
        if m:
            counted[m.group(1)] = int(m.group(2))
    rsts = sum(1 for r in one if r["connlost.rst.origin"])
    by_cause = {}
    for cause, _, _ in finals.values():
        by_cause[" " + cause] = by_cause.get(" " + cause, 0) + 1
    shown = {k: v for k, v in counted.items() if k.startswith(" ") and k.strip() in {c for c, _, _ in finals.values()}}
    check(f"{name}: -z connlost,tree counts {len(finals)} diagnosed conversation(s) by cause and {rsts} RST(s)",
          counted.get("Diagnosed conversations by cause") == len(finals) and counted.get("RSTs by origin") == rsts
          and shown == by_cause, f"{counted}")
    if finals:  # a filter limits the report to the conversations of the frames that match it
        conv = max(finals)
        out = subprocess.run(tshark + ["-n", "-q", "-r", capture, "-z", f"connlost,report,connlost.conv == {conv}"],
                             capture_output=True, text=True, timeout=300)
        listed = {int(m.group(1)) for m in map(REPORT_ROW.match, out.stdout.splitlines()) if m}
        check(f"{name}: -z connlost,report,FILTER lists only conversation {conv}", listed == {conv}, str(listed))


def check_readers(tshark, name, capture, one):
    """Without a connlost field in the run the post-dissector draws no tree and formats no sentence; what reads
    its words must still get them: the Info column on a plain read, -z expert, and a filter on _ws.expert."""
    verdicts = {int(r["frame.number"]): (r["connlost.cause"], r["connlost.confidence"], r["connlost.summary"])
                for r in one if r["connlost.cause"]}
    if not verdicts:
        return
    plain = subprocess.run(tshark + ["-n", "-r", capture], capture_output=True, text=True, timeout=300).stdout
    info = {int(line.split()[0]): line for line in plain.splitlines() if line.split() and line.split()[0].isdigit()}
    missing = [f for f, (cause, conf, _) in verdicts.items()
               if f"[connlost: {cause.split(',')[-1]}, {conf.split(',')[-1]}%]" not in info.get(f, "")]
    check(f"{name}: a plain tshark -r shows the {len(verdicts)} verdict(s) in the Info column", not missing,
          f"frames {missing[:5]}")
    # expert messages are cut at Wireshark's item label length (240): compared on their first 200 characters
    heads = {summary.split(",")[0][:200] for _, _, summary in verdicts.values() if summary}
    expert = subprocess.run(tshark + ["-n", "-q", "-r", capture, "-z", "expert"], capture_output=True, text=True,
                            timeout=300).stdout
    absent = [h for h in heads if h not in expert]
    check(f"{name}: -z expert carries the {len(heads)} verdict sentence(s)", not absent, f"{absent[:1]}")
    fields = subprocess.run(tshark + ["-n", "-r", capture, "-Y", "_ws.expert", "-T", "fields", "-E", "occurrence=a",
                                      "-e", "frame.number", "-e", "_ws.expert.message"],
                            capture_output=True, text=True, timeout=300).stdout
    messages = {int(line.split("\t")[0]): line for line in fields.splitlines() if line.split("\t")[0].isdigit()}
    unseen = [f for f, (_, _, summary) in verdicts.items()
              if summary and summary.split(",")[0][:100] not in unescape(messages.get(f, ""))]
    check(f"{name}: a filter on _ws.expert alone sees the verdicts' sentences", not unseen, f"frames {unseen[:5]}")


def unescape(value):
    return FIELD_ESCAPE.sub(r"\1", value) if ESCAPES_FIELDS else value


def check_mapi(name, t, one):
    def row(f):
        return one[f - 1] if 0 < f <= len(one) else {k: "" for k in FIELDS}

    wanted = set(filter(None, t.get("expect_causes", "").split(",")))
    verdicts = verdict_rows(one)
    causes = {r["connlost.cause"] for r in verdicts}
    check(f"{name}: causes are {sorted(wanted) or 'none'}", causes == wanted, f"causes {causes}")
    user, limit = t.get("mapi_user", ""), int(t.get("mapi_limit") or 32)
    if t.get("rpc_auth_level") == "6":  # sealed stubs: the user DN is unreadable, the NTLM user stands in
        user = t.get("ntlm_user", "")

    connects = ints(t.get("mapi_connect_frames"))
    bad = [f for f in connects if row(f)["connlost.mapi.op"] != "EcDoConnectEx" or
           row(f)["connlost.rpc.interface"] != "EMSMDB" or (user and row(f)["connlost.mapi.user"] != user)]
    check(f"{name}: {len(connects)} EcDoConnectEx requests named, with user and interface", connects and not bad,
          str([(f, row(f)["connlost.mapi.op"], row(f)["connlost.mapi.user"]) for f in bad[:3]]))
    results, sessions = pairs(t.get("mapi_connect_results")), pairs(t.get("mapi_sessions"))
    wrong = []
    for f, code in results.items():  # code "sealed": the stub is encrypted, only the count can be checked
        r = row(f)
        error = int(r["connlost.mapi.error"], 16) if r["connlost.mapi.error"] else 0
        if (code != "sealed" and error != int(code, 16)) or (f in sessions and r["connlost.mapi.sessions"] != sessions[f]):
            wrong.append((f, r["connlost.mapi.error"], code, r["connlost.mapi.sessions"], sessions.get(f)))
    check(f"{name}: return code and sessions held on each of {len(results)} logon answers", results and not wrong,
          str(wrong[:5]))
    disconnects = ints(t.get("mapi_disconnect_frames"))
    if disconnects:
        check(f"{name}: {len(disconnects)} EcDoDisconnect requests named",
              all(row(f)["connlost.mapi.op"] == "EcDoDisconnect" for f in disconnects))
    leaks = set(ints(t.get("mapi_leak_frames")))
    seen = {int(r["frame.number"]) for r in one if r["connlost.mapi.leaked"]}
    check(f"{name}: leaked sessions flagged on the {len(leaks)} connection ends the truth lists", seen == leaks,
          f"extra {sorted(seen - leaks)[:5]} missing {sorted(leaks - seen)[:5]}")
    refused = t.get("mapi_refused_first")
    if refused:
        r = row(int(refused))
        check(f"{name}: first refused logon (frame {refused}) is mapi-session-limit at 95 %",
              r["connlost.cause"] == "mapi-session-limit" and r["connlost.confidence"] == "95",
              f"{r['connlost.cause']!r} {r['connlost.confidence']}")
        check(f"{name}: it holds the limit ({limit}) of sessions", r["connlost.mapi.sessions"] == str(limit),
              r["connlost.mapi.sessions"])
        opened = [f for f, code in results.items() if code != "sealed" and int(code, 16) == 0 and f < int(refused)]
        evidence = set(ints(r["connlost.evidence"]))
        check(f"{name}: its evidence names the {len(opened)} logons still held", set(opened) <= evidence,
              f"missing {sorted(set(opened) - evidence)[:5]}")
        check(f"{name}: its summary gives the remedy", "Remedy" in r["connlost.summary"])
        if not leaks:  # the server's side: the dead connections just went quiet
            check(f"{name}: its summary says the held sessions' connections went silent",
                  f"{len(opened)} of them on connections silent" in r["connlost.summary"], r["connlost.summary"][-400:])
    ntlm = t.get("ntlm_user")
    auth3 = ints(t.get("rpc_auth3_frames"))
    if ntlm and auth3:
        check(f"{name}: NTLM user {ntlm} read from {len(auth3)} auth3 PDUs",
              all(row(f)["connlost.rpc.auth_user"] == ntlm for f in auth3))
    binds = ints(t.get("rpc_bind_frames"))  # the frames that complete each bind: as TCP delivers it
    missed = [f for f in binds if not {"bind", "alter_context"} & set(row(f)["connlost.rpc.ptype"].split(", ")) or
              not row(f)["connlost.rpc.interface"]]
    check(f"{name}: {len(binds)} binds read, each on its frame and with its interface", binds and not missed,
          str([(f, row(f)["connlost.rpc.ptype"], row(f)["connlost.rpc.interface"]) for f in missed[:5]]))
    acks = pairs(t.get("rpc_bind_ack_frames"))
    check(f"{name}: {len(acks)} bind answers read, with the interface accepted",
          acks and all("accepted" in row(f)["connlost.rpc.bind_result"] and row(f)["connlost.rpc.interface"]
                       for f in acks))
    epm = ints(t.get("epm_map_frames"))
    if len(epm) == 2:
        check(f"{name}: EPM answer frame {epm[1]} teaches EMSMDB at port {t.get('epm_port')}",
              f":{t.get('epm_port')}" in row(epm[1])["connlost.note"], row(epm[1])["connlost.note"])
    experts = set(filter(None, t.get("expect_experts", "").split(",")))
    for expert in MAPI_EXPERTS + ("keepalive_missing", "keepalive_too_sparse", "periodic_disconnect", "middlebox_reset"):
        raised = any(r[f"connlost.{expert}"] for r in one)
        want = expert in experts or (expert == "mapi_session_limit" and "mapi-session-limit" in wanted)
        check(f"{name}: connlost.{expert} {'raised' if want else 'silent'}", raised == want)


def main():
    global ESCAPES_FIELDS
    tshark = sys.argv[1].split()
    directory = sys.argv[2]
    version = tshark_version(tshark)
    ESCAPES_FIELDS = version >= (4, 4, 0)
    check(f"tshark version known ({'.'.join(map(str, version))})", version >= (4, 0, 0))
    truths = sorted(os.path.join(directory, f) for f in os.listdir(directory) if f.endswith(".truth"))
    check("captures present", len(truths) > 0, directory)
    # the single-pass / -2 comparison covers every field and expert the plugin registers, not only those above
    listed = subprocess.run(tshark + ["-G", "fields"], capture_output=True, text=True, timeout=120).stdout
    rows = [c for c in (line.split("\t") for line in listed.splitlines()) if len(c) > 4 and c[0] == "F"]
    registered = [c[2] for c in rows if c[4] == "connlost"]
    FIELDS.extend(f for f in registered if f not in FIELDS)
    BOOLEANS.update(c[2] for c in rows if c[3] == "FT_BOOLEAN" and c[2] in FIELDS)
    check(f"the FT_BOOLEAN fields compared are known ({len(BOOLEANS)})", "tcp.flags.reset" in BOOLEANS,
          str(sorted(BOOLEANS)))
    check("every registered connlost field is compared between one pass and -2", len(registered) >= 60,
          f"{len(registered)} fields")
    for path in truths:
        check_capture(tshark, path)
    print(f"integration: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
