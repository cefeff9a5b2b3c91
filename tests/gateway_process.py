"""`gateway serve` as a subprocess of a test, on a free port of 127.0.0.1."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def healthy(http: aiohttp.ClientSession, base: str,
                  process: subprocess.Popen[bytes], within_s: float = 20) -> None:
    """Once the gateway at `base` answers its health check (`process` still running)."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        assert process.poll() is None, "the gateway exited"
        try:
            async with http.get(f"{base}/healthz") as answer:
                if answer.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    raise AssertionError("the gateway did not start")


class Gateway:
    """`gateway serve` as a subprocess on a free port."""

    def __init__(self, tmp_path: Path, database: str) -> None:
        self.port = free_port()
        self.env = {**os.environ, "GATEWAY_DATABASE": database, "GATEWAY_HOST": "127.0.0.1",
                    "GATEWAY_PORT": str(self.port), "GATEWAY_LOG__LEVEL": "WARNING"}
        self.cwd = tmp_path
        self.process: subprocess.Popen[bytes] | None = None

    def cli(self, *args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "gateway", *args], env=self.env,
                              cwd=self.cwd, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return done.stdout

    async def start(self) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "gateway", "serve"],
                                        env=self.env, cwd=self.cwd,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        async with aiohttp.ClientSession() as http:
            await healthy(http, f"http://127.0.0.1:{self.port}", self.process)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        """SIGTERM, and SIGKILL after 10 s (a test that failed may leave it stuck)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
                raise
