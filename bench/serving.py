"""What the benchmarks that run a server share: a free port, core pinning, waiting."""

from __future__ import annotations

import shutil
import socket
import time
import urllib.error
import urllib.request


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pinned(core: int | None, argv: list[str]) -> list[str]:
    """`argv` run on one core (when `taskset` is there); on any core for None."""
    if core is None or not shutil.which("taskset"):
        return argv
    return ["taskset", "-c", str(core), *argv]


def wait_up(url: str, timeout: float = 60, accept_status: bool = False) -> None:
    """Wait until `url` answers 200 (any HTTP status with `accept_status`)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except urllib.error.HTTPError:
            if accept_status:
                return
            time.sleep(0.1)
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"server did not come up: {url}")
