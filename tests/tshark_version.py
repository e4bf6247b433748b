"""What the tests need to know of the tshark they run: its version, and what that version does differently.
SPDX-License-Identifier: GPL-2.0-or-later
"""
import re
import subprocess

_versions = {}


def tshark_version(tshark):
    """(major, minor, micro) of the tshark that the command `tshark` (a list) runs"""
    key = " ".join(tshark)
    if key not in _versions:
        out = subprocess.run(tshark + ["--version"], capture_output=True, text=True, timeout=120).stdout
        m = re.search(r"(\d+)\.(\d+)\.(\d+)", out.split("\n", 1)[0])
        if not m:
            raise RuntimeError(f"cannot tell the version of {key}: {out[:200]!r}")
        _versions[key] = tuple(int(x) for x in m.groups())
    return _versions[key]


def read_error_exit(tshark):
    """tshark's exit status for a file it cannot read to the end: 2 up to 4.4, WS_EXIT_READ_ERROR (14) from 4.6"""
    return 14 if tshark_version(tshark) >= (4, 6, 0) else 2
