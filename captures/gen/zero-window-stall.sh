#!/bin/bash
# captures/next stall: the receiver stops reading.  The client asks for a
# 4 MB response and stops reading after 60000 bytes (for 20 s); its window
# closes, the server sends zero-window probes with back-off; after 10 s
# without progress the server application gives up: SO_LINGER {1,0} + close
# (RST).  The client reads on after 20 s and meets the reset.
. "$(dirname "$0")/next-lib.sh"
nx_zero_window zero-window-stall 4 20 4000000 zero-window-stall \
    "Zero-window stall: the client stops reading after 60000 B of a 4 MB response, its window closes, the server probes and aborts with RST after 10 s without progress"
