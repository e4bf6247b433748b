#!/bin/bash
# captures/next set-up failure: r1 rejects every SYN with ICMP 3/1
# (REJECT --reject-with icmp-host-unreachable, from 10.91.1.1); the client's
# connect fails at once (EHOSTUNREACH).  3 attempts 1 s apart.
. "$(dirname "$0")/next-lib.sh"
nx_connect connect-blocked-icmp-host 4 yes "-p tcp --syn -j REJECT --reject-with icmp-host-unreachable" reject-syn-icmp-host-unreachable connect-blocked "Connect blocked by ICMP: r1 answers every SYN with ICMP destination unreachable 3/1 (host unreachable); 3 attempts 1 s apart"
