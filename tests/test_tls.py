"""HTTPS for `gateway serve` (decisions-2026-12.md section 14, docs/configuration.md "TLS"):
`tls.cert` and `tls.key` make it serve HTTPS with a certificate from a throwaway CA made
here; a client that does not trust the CA, or speaks plain HTTP, gets nothing; a half or
unreadable TLS configuration stops start-up with its key's name."""

from __future__ import annotations

import json
import ssl
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Iterator

import pytest
from tls_gateway import Certificates, HttpsGateway, clean_environment, make_certificates

from gateway.core.config import ConfigError, Tls, load_config
from gateway.web import tls


@pytest.fixture
def certificates(tmp_path: Path) -> Certificates:
    return make_certificates(tmp_path)


@pytest.fixture
def gateway(tmp_path: Path, certificates: Certificates) -> Iterator[HttpsGateway]:
    served = HttpsGateway(tmp_path, certificates)
    try:
        yield served
    finally:
        served.stop()


def test_serves_https_with_the_configured_certificate(gateway: HttpsGateway) -> None:
    key = gateway.key("customer")
    gateway.start()
    assert gateway.first_line == f"serving on https://127.0.0.1:{gateway.port}"
    assert gateway.rpc(key, "ping") == "pong"
    with urllib.request.urlopen(f"{gateway.url}/healthz", context=gateway.trust) as answer:
        assert answer.status == 200
        assert answer.headers["Content-Type"].startswith("application/json")
    # the name in the certificate is also "localhost"
    with urllib.request.urlopen(f"https://localhost:{gateway.port}/healthz",
                                context=gateway.trust) as answer:
        assert answer.status == 200


def test_a_client_that_does_not_trust_the_ca_is_refused(gateway: HttpsGateway) -> None:
    gateway.start()
    with pytest.raises(urllib.error.URLError) as refused:
        urllib.request.urlopen(f"{gateway.url}/healthz", context=ssl.create_default_context())
    assert isinstance(refused.value.reason, ssl.SSLCertVerificationError)


def test_plain_http_gets_no_answer(gateway: HttpsGateway) -> None:
    gateway.start()
    with pytest.raises((urllib.error.URLError, ConnectionError)):
        urllib.request.urlopen(f"http://127.0.0.1:{gateway.port}/healthz", timeout=5)


def test_every_worker_serves_https(tmp_path: Path, certificates: Certificates) -> None:
    served = HttpsGateway(tmp_path, certificates, workers=2)
    try:
        served.start()
        assert served.first_line == f"serving on https://127.0.0.1:{served.port}"
        key = served.key("admin")
        assert [served.rpc(key, "ping") for _ in range(6)] == ["pong"] * 6
    finally:
        served.stop()


def _serve(tmp_path: Path, config: dict[str, object]) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "config.yaml"
    path.write_text(json.dumps({"database": f"sqlite:///{tmp_path}/gateway.db", **config}))
    return subprocess.run([sys.executable, "-m", "gateway", "serve", "--config", str(path)],
                          env=clean_environment(), cwd=tmp_path, capture_output=True,
                          text=True, timeout=60)


def test_both_keys_or_neither(tmp_path: Path, certificates: Certificates) -> None:
    done = _serve(tmp_path, {"tls": {"cert": str(certificates.cert)}})
    assert (done.returncode, done.stderr) == (
        2, "gateway: invalid configuration: tls.cert and tls.key must be set together\n")
    with pytest.raises(ConfigError, match="tls.cert and tls.key must be set together"):
        load_config(environ={"GATEWAY_TLS__KEY": str(certificates.key)}, search_default=False)


def test_a_file_that_cannot_be_used_stops_start_up(tmp_path: Path,
                                                   certificates: Certificates) -> None:
    missing = tmp_path / "nowhere.pem"
    done = _serve(tmp_path, {"tls": {"cert": str(missing), "key": str(certificates.key)}})
    assert (done.returncode, done.stderr) == (
        2, f"gateway: invalid configuration: tls.cert: no such file {missing}\n")
    # the CA's certificate with the server's key: a key that is not the certificate's
    with pytest.raises(ConfigError, match="cannot be loaded"):
        tls.server_context(Tls(str(certificates.ca), str(certificates.key)))


def test_no_tls_keys_serve_plain_http() -> None:
    assert tls.server_context(Tls()) is None
    assert load_config(environ={}, search_default=False).tls == Tls(None, None)


def test_the_keys_are_in_the_documented_list() -> None:
    text = (Path(__file__).parent.parent / "docs" / "configuration.md").read_text()
    keys = text.split("## Keys", 1)[1].split("\n## ", 1)[0]
    assert "| `tls.cert` | null |" in keys and "| `tls.key` | null |" in keys
