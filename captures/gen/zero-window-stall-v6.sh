#!/bin/bash
# captures/next stall over IPv6: as zero-window-stall (the client stops
# reading after 60000 B of a 4 MB response for 20 s, the server probes and
# aborts with RST after 10 s without progress).
. "$(dirname "$0")/next-lib.sh"
nx_zero_window zero-window-stall-v6 6 20 4000000 zero-window-stall \
    "IPv6 zero-window stall: the client stops reading after 60000 B of a 4 MB response, its window closes, the server probes and aborts with RST after 10 s without progress"
