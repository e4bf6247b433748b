#!/bin/bash
# captures/next control for the set-up failures: server listening, no
# firewall rule, 20 ms each way at r1; 3 connections 1 s apart, each one
# request/response (2000 B) and FIN/FIN.
. "$(dirname "$0")/next-lib.sh"
nx_connect connect-ok 4 yes "" none none "Connect OK (control): 3 connections 1 s apart, request/response, FIN/FIN"
