#!/bin/bash
# captures/next set-up failure over IPv6: r1 rejects every SYN with ICMPv6
# 1/1 (ip6tables REJECT --reject-with icmp6-adm-prohibited, from fd91:1::1).
# Unlike IPv4, this kernel does not abort on the first error: it retransmits
# the SYN once (1 s later), gets the ICMPv6 error again and the connect fails
# with EACCES.  3 attempts about 2 s apart.
. "$(dirname "$0")/next-lib.sh"
nx_connect connect-blocked-icmp-v6 6 yes "-p tcp --syn -j REJECT --reject-with icmp6-adm-prohibited" reject-syn-icmp6-adm-prohibited connect-blocked "IPv6 connect blocked by ICMPv6: r1 answers every SYN with ICMPv6 destination unreachable 1/1 (administratively prohibited); each attempt: SYN, error, SYN retransmission 1 s later, error, EACCES; 3 attempts"
