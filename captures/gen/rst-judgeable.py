#!/usr/bin/python3
"""rst-judgeable.py CAPTURE: the truth line rst_unjudgeable=F,F,... for a capture.

A RST's origin can be told from a capture only by comparing it with its claimed sender's own packets: a RST
whose sender sent nothing else on that connection before it (and, for a server, no SYN-ACK on the capture's
earlier connections either), or a client's RST before its connection was established (a cancelled attempt, a
scanner's raw SYN answered by its kernel), has nothing to be compared with: connlost must call its origin
unknown. Measured with plain tshark.
SPDX-License-Identifier: GPL-2.0-or-later
"""
import subprocess
import sys

fields = ["frame.number", "tcp.stream", "ip.src", "ipv6.src", "tcp.srcport", "tcp.flags.syn", "tcp.flags.ack",
          "tcp.flags.reset"]
cmd = ["tshark", "-n", "-r", sys.argv[1], "-Y", "tcp && !icmp && !icmpv6", "-T", "fields"]
for f in fields:
    cmd += ["-e", f]
out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
truthy = ("1", "True")
sent = {}           # (stream, src, port) -> sent a non-RST packet
client = {}         # stream -> (src, port) of its SYN
established = set()  # streams where the client acknowledged the SYN-ACK
synack_from = set()  # server addresses that sent a SYN-ACK so far
unjudgeable = []
for line in out.splitlines():
    frame, stream, src4, src6, port, syn, ack, rst = (line.split("\t") + [""] * 8)[:8]
    src = src4 or src6
    me = (stream, src, port)
    is_client = client.get(stream) == (src, port)
    if rst in truthy:
        if is_client and stream not in established:
            unjudgeable.append(frame)
        elif not sent.get(me) and (is_client or src not in synack_from):
            unjudgeable.append(frame)
        continue
    if syn in truthy and ack not in truthy:
        client.setdefault(stream, (src, port))
    if syn in truthy and ack in truthy:
        synack_from.add(src)
    if syn not in truthy and ack in truthy and is_client:
        established.add(stream)
    sent[me] = True
print("rst_unjudgeable=" + ",".join(unjudgeable))
