#!/bin/bash
# captures/next set-up failure: nothing listens on the server port 8080;
# the server's own kernel answers each SYN with RST,ACK (TTL 62 at c0, one
# RTT later).  3 attempts 1 s apart, each fails with ECONNREFUSED.
. "$(dirname "$0")/next-lib.sh"
nx_connect connect-refused 4 no "" none connect-refused "Connect refused: nothing listening on 10.91.3.2:8080, the server host answers each of 3 SYNs (1 s apart) with RST,ACK"
