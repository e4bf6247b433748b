#!/bin/bash
# captures/next negative control: half-open SYN scan.  nmap -sS (Debian
# nmap, raw sockets) from cl_c scans 50 TCP ports 8000-8049 of the server,
# no host discovery, no retries; 5 ports are open (gen/nextapp.py listening
# on 8005,8013,8021,8034,8047): SYN-ACK, then the scanner host's RST;
# the others are closed: RST,ACK from the server.  No delay.
. "$(dirname "$0")/next-lib.sh"
N=syn-scan
OPEN=8005,8013,8021,8034,8047
trap cl_teardown EXIT
cl_setup 1500
cl_ttl 64 64
nx_srv $S4 $OPEN --lifetime 40
cl_cap_start $N
nsx $NS_C timeout 60 nmap -sS -Pn -n --max-retries 0 -p 8000-8049 $S4 >&2 || echo "nmap status $?" >&2
sleep 1
cl_cap_stop $N
nx_truth $N "desc=SYN scan (negative control): nmap -sS of ports 8000-8049, open 8005,8013,8021,8034,8047 (SYN-ACK then RST from the scanner host), others closed (RST,ACK)" \
    family=4 proto=tcp link_mtu=1500 icmp_blocked=no df=yes client_ttl=64 server_ttl=64 fw=none fw_timeout= keepalive=off push_idle= gaps= \
    scanner=nmap-sS scan_ports=8000-8049 open_ports=$OPEN expect_cause=none
