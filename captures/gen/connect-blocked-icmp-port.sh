#!/bin/bash
# captures/next set-up failure: r1 rejects every SYN with ICMP 3/3
# (REJECT --reject-with icmp-port-unreachable, from 10.91.1.1); the client's
# connect fails at once (ECONNREFUSED).  3 attempts 1 s apart.
. "$(dirname "$0")/next-lib.sh"
nx_connect connect-blocked-icmp-port 4 yes "-p tcp --syn -j REJECT --reject-with icmp-port-unreachable" reject-syn-icmp-port-unreachable connect-blocked "Connect blocked by ICMP: r1 answers every SYN with ICMP destination unreachable 3/3 (port unreachable); 3 attempts 1 s apart"
