"""`GET /metrics`: Prometheus text, served only to the CIDRs of `metrics.allow`."""

from __future__ import annotations

import re

import pytest
from conftest import make_config, post

PING = {"jsonrpc": "2.0", "method": "ping", "id": 1}


async def test_metrics_count_calls_by_method_and_outcome(client, admin_key, make_key):
    ingest = await make_key("ingest")
    assert (await post(client, PING, admin_key))[0] == 200
    assert (await post(client, PING, admin_key))[0] == 200
    await post(client, {"jsonrpc": "2.0", "method": "tenants.list", "id": 2}, ingest)
    answer = await client.get("/metrics")
    assert answer.status == 200
    assert answer.headers["Content-Type"].startswith("text/plain")
    assert re.fullmatch(r"[0-9a-f]{32}", answer.headers["X-Request-Id"])
    text = await answer.text()
    assert ('gateway_rpc_calls_total{dialect="jsonrpc",method="ping",outcome="ok",'
            'status="200"} 2.0') in text
    assert ('gateway_rpc_calls_total{dialect="jsonrpc",method="tenants.list",'
            'outcome="forbidden",status="200"} 1.0') in text
    assert 'gateway_http_request_duration_seconds_count{route="/rpc"} 3.0' in text


class TestOutsideTheAllowList:
    @pytest.fixture
    def config(self, engine, tmp_path):
        return make_config(tmp_path, metrics={"allow": ["10.0.0.0/8", "2001:db8::/32"]})

    async def test_metrics_are_refused_to_other_addresses(self, client):
        answer = await client.get("/metrics")
        assert answer.status == 403
        assert await answer.text() == "metrics are not served to 127.0.0.1\n"
