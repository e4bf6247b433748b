#!/usr/bin/python3
"""damage.py IN.pcap OUT.pcap BACK_FRAME FWD_FRAME FRAG_FRAME

Copy a classic pcap (microsecond, little-endian, Ethernet) with two clock
jumps and one contradictory IP header; nothing else is changed:
  - from frame BACK_FRAME on, timestamps 5 hours (18000 s) earlier
  - from frame FWD_FRAME on, a further 2 days (172800 s) later
    (so frames >= FWD_FRAME are shifted by -18000 + 172800 s)
  - frame FRAG_FRAME (an IPv4 frame with DF set): the flags/fragment-offset
    field becomes DF=1, MF=1, offset 185 (1480 bytes) -- a "do not fragment"
    packet that claims to be a middle fragment; the IP header checksum is
    recomputed, so only those 2 + 2 bytes differ
Frame numbers are 1-based.
"""
import struct, sys

src, dst, back, fwd, fragf = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
data = open(src, "rb").read()
magic = struct.unpack("<I", data[:4])[0]
assert magic == 0xa1b2c3d4, "only little-endian microsecond pcap"
linktype = struct.unpack("<I", data[20:24])[0]
assert linktype == 1, "Ethernet only"
out = bytearray(data[:24])
off, n = 24, 0
while off < len(data):
    sec, usec, incl, orig = struct.unpack("<IIII", data[off:off + 16])
    pkt = bytearray(data[off + 16:off + 16 + incl])
    off += 16 + incl
    n += 1
    if n >= back:
        sec -= 18000
    if n >= fwd:
        sec += 172800
    if n == fragf:
        assert pkt[12:14] == b"\x08\x00", "frame %d is not IPv4" % n
        ip = 14
        ihl = (pkt[ip] & 0x0f) * 4
        ff = struct.unpack(">H", pkt[ip + 6:ip + 8])[0]
        assert ff & 0x4000, "frame %d has no DF" % n
        struct.pack_into(">H", pkt, ip + 6, 0x4000 | 0x2000 | 185)
        struct.pack_into(">H", pkt, ip + 10, 0)
        s = sum(struct.unpack(">%dH" % (ihl // 2), bytes(pkt[ip:ip + ihl])))
        while s >> 16:
            s = (s & 0xffff) + (s >> 16)
        struct.pack_into(">H", pkt, ip + 10, ~s & 0xffff)
        print("frame %d: flags/offset 0x%04x -> 0x%04x, checksum fixed" % (n, ff, 0x6000 | 185), file=sys.stderr)
    out += struct.pack("<IIII", sec, usec, incl, orig) + pkt
open(dst, "wb").write(out)
print("%d frames written" % n, file=sys.stderr)
