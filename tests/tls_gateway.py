"""A throwaway certificate authority, and `gateway serve` over HTTPS as a subprocess on
127.0.0.1 (for tests/test_tls.py and tests/test_vendor_clients.py)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import os
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass(frozen=True)
class Certificates:
    ca: Path  # the authority's certificate, what clients trust
    cert: Path  # the server's certificate, for 127.0.0.1 and localhost
    key: Path  # the server's private key


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


def make_certificates(folder: Path) -> Certificates:
    """A CA valid for a day, and a server certificate it signed for 127.0.0.1, ::1 and
    localhost."""
    now = dt.datetime.now(dt.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder()
          .subject_name(_name("gateway test CA")).issuer_name(_name("gateway test CA"))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - dt.timedelta(minutes=5))
          .not_valid_after(now + dt.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(
              digital_signature=True, content_commitment=False, key_encipherment=False,
              data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
              encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
                         critical=False)
          .sign(ca_key, hashes.SHA256()))
    server_key = ec.generate_private_key(ec.SECP256R1())
    server = (x509.CertificateBuilder()
              .subject_name(_name("localhost")).issuer_name(ca.subject)
              .public_key(server_key.public_key()).serial_number(x509.random_serial_number())
              .not_valid_before(now - dt.timedelta(minutes=5))
              .not_valid_after(now + dt.timedelta(days=1))
              .add_extension(x509.SubjectAlternativeName([
                  x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                  x509.IPAddress(ipaddress.ip_address("::1"))]), critical=False)
              .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
              .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                             critical=False)
              .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                  ca_key.public_key()), critical=False)
              .sign(ca_key, hashes.SHA256()))
    paths = Certificates(folder / "ca.pem", folder / "server.pem", folder / "server.key")
    paths.ca.write_bytes(_pem(ca))
    paths.cert.write_bytes(_pem(server))
    paths.key.write_bytes(server_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    return paths


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def clean_environment() -> dict[str, str]:
    """This process's environment without any gateway configuration."""
    return {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")
            or k.startswith("GATEWAY_TEST_")}


class HttpsGateway:
    """`gateway serve --config FILE` with `tls.cert` and `tls.key`, on a free port, on
    `database` (default a SQLite file in `folder`)."""

    def __init__(self, folder: Path, certificates: Certificates, workers: int = 1,
                 database: str | None = None) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"https://127.0.0.1:{self.port}"
        self.trust = ssl.create_default_context(cafile=str(certificates.ca))
        self.config = folder / "config.yaml"
        self.config.write_text(json.dumps({
            "database": database or f"sqlite:///{folder}/gateway.db", "host": "127.0.0.1",
            "port": self.port, "exports": {"folder": str(folder / "exports")},
            "log": {"level": "WARNING"},
            "tls": {"cert": str(certificates.cert), "key": str(certificates.key)}}))
        self.workers = workers
        self.process: subprocess.Popen[str] | None = None
        self.first_line = ""

    def cli(self, *args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "gateway", *args, "--config",
                               str(self.config)], env=clean_environment(), cwd=self.folder,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def key(self, role: str, tenant: str = "root") -> str:
        """A new key, made with the command line (its last line)."""
        return self.cli("keys", "create", "--tenant", tenant, "--role", role,
                        "--rate-limit", "unlimited").splitlines()[-1]

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gateway", "serve", "--config", str(self.config),
             "--workers", str(self.workers)],
            env=clean_environment(), cwd=self.folder, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, text=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"gateway serve ended with {self.process.returncode}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", context=self.trust,
                                            timeout=2) as answer:
                    if answer.status == 200:
                        assert self.process.stdout is not None
                        self.first_line = self.process.stdout.readline().strip()
                        return
            except (urllib.error.URLError, ConnectionError, ssl.SSLError, TimeoutError):
                pass
            time.sleep(0.1)
        raise AssertionError("the gateway did not start")

    def rpc(self, key: str, method: str, params: Any = None) -> Any:
        """One call on /rpc over HTTPS; its `result` (an error fails the test)."""
        body = {"jsonrpc": "2.0", "method": method, "id": 1,
                **({"params": params} if params is not None else {})}
        request = urllib.request.Request(
            f"{self.url}/rpc", data=json.dumps(body).encode(), method="POST",
            headers={"Content-Type": "application/json", "X-Api-Key": key})
        with urllib.request.urlopen(request, context=self.trust, timeout=30) as answer:
            reply = json.loads(answer.read())
        assert "result" in reply, reply
        return reply["result"]

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(15)
        if self.process is not None and self.process.stdout is not None:
            self.process.stdout.close()
