#!/bin/bash
# captures/next set-up failure: r1 rejects every SYN with a forged RST
# (iptables -A FORWARD -p tcp --syn -j REJECT --reject-with tcp-reset: source
# = the server address, TTL 64 at c0, no delay); the server never sees a
# SYN.  3 attempts 1 s apart.
. "$(dirname "$0")/next-lib.sh"
nx_connect connect-blocked-rst 4 yes "-p tcp --syn -j REJECT --reject-with tcp-reset" reject-syn-tcp-reset connect-blocked "Connect blocked by RST: r1 answers every SYN with a forged RST,ACK (REJECT tcp-reset), the server never sees the SYNs; 3 attempts 1 s apart"
