"""The machine's addresses on the hall's network (for the printed links and the QR code)."""

from __future__ import annotations

import subprocess


def lan_addresses() -> list[str]:
    """IPv4 addresses other than loopback, as `hostname -I` lists them (empty when unknown)."""
    try:
        out = subprocess.run(["hostname", "-I"], capture_output=True, text=True, timeout=2).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [a for a in out.split() if ":" not in a and not a.startswith("127.")]
