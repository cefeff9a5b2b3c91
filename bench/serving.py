"""What the benchmarks that run a server share: a free port, core pinning, waiting."""

from __future__ import annotations

import shutil
import socket
import time
import urllib.request


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pinned(core: int, argv: list[str]) -> list[str]:
    """`argv` run on one core (when `taskset` is there)."""
    return ["taskset", "-c", str(core), *argv] if shutil.which("taskset") else argv


def wait_up(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"server did not come up: {url}")
