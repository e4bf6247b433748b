#!/bin/bash
# captures/next control: the receiver pauses.  The client asks for a 1 MB
# response and stops reading after 60000 bytes for 4 s; its window closes,
# the server probes, the client reads on, the window opens, the transfer
# completes, FIN/FIN (the server's 10 s give-up is never reached).
. "$(dirname "$0")/next-lib.sh"
nx_zero_window zero-window-recovered 4 4 1000000 none \
    "Zero window recovered (control): the client pauses reading for 4 s after 60000 B of a 1 MB response, the window closes and reopens, the transfer completes, FIN/FIN"
