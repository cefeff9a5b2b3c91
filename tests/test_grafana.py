"""The Grafana dashboard shipped in deploy/grafana/ (docs/operations.md, "Grafana"): every
metric its expressions name is one a running gateway exposes, each panel has a query,
and nothing is grouped, filtered or shown by tenant (decisions 13)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Iterator

import pytest
from aiohttp import encode_basic_auth
from aiohttp.test_utils import TestClient
from conftest import call_as_root, post
from prometheus_client.parser import text_string_to_metric_families

DASHBOARD = Path(__file__).resolve().parent.parent / "deploy" / "grafana" / "gateway-dashboard.json"
METRIC = re.compile(r"\bgateway_[a-z0-9_]+\b")
GROUPING = re.compile(r"\b(?:by|without)\s*\(([^)]*)\)")
LABEL_MATCHER = re.compile(r"([a-z_]+)\s*(?:=~|!~|!=|=)")


def panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for panel in dashboard["panels"]:
        yield panel
        yield from panel.get("panels", [])


def expressions(dashboard: dict[str, Any]) -> list[str]:
    found = [t["expr"] for p in panels(dashboard) for t in p.get("targets", [])]
    found += [v["definition"] for v in dashboard["templating"]["list"] if "definition" in v]
    return found


@pytest.fixture(scope="module")
def dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return loaded


async def exposed(client: TestClient, admin_key: str) -> set[str]:
    """The sample names of a gateway's /metrics after traffic that makes every series."""
    made = await call_as_root(client.app, "keys.create", role="admin", rate_limit="unlimited")
    ingest = await call_as_root(client.app, "keys.create", role="ingest",
                                rate_limit="unlimited")
    await post(client, {"jsonrpc": "2.0", "method": "ping", "id": 1}, admin_key)
    await post(client, [{"jsonrpc": "2.0", "method": "ping", "id": n} for n in range(3)],
               admin_key)
    await post(client, {"jsonrpc": "2.0", "method": "ping", "id": 1})  # refused: 401
    await post(client, {"jsonrpc": "2.0", "method": "ingest.sessions", "id": 1, "params": {
        "records": [{"session_id": "g1", "setup_time": "2026-03-01T10:00:00Z",
                     "legs": [{"leg_id": "a", "role": "orig"}]}]}}, ingest["key"])
    key_id, _, secret = made["key"].partition(".")
    await client.get("/ucaas/v1/sessions", headers={
        "Authorization": encode_basic_auth(key_id, secret)})
    answer = await client.get("/metrics")
    assert answer.status == 200
    return {sample.name for family in text_string_to_metric_families(await answer.text())
            for sample in family.samples}


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
async def test_every_metric_named_is_exposed(client: TestClient, admin_key: str,
                                             dashboard: dict[str, Any]) -> None:
    names = await exposed(client, admin_key)
    named = {name for expr in expressions(dashboard) for name in METRIC.findall(expr)}
    assert named - names == set()
    # the dashboard covers every family the gateway has, less the creation times
    families = {re.sub(r"_(bucket|count|sum|total)$", "", n) for n in names
                if not n.endswith("_created")}
    assert {re.sub(r"_(bucket|count|sum|total)$", "", n) for n in named} == families


def test_every_panel_queries_the_gateway(dashboard: dict[str, Any]) -> None:
    shown = [p for p in panels(dashboard) if p["type"] != "row"]
    assert shown and len({p["id"] for p in panels(dashboard)}) == len(list(panels(dashboard)))
    for panel in shown:
        assert panel["targets"], panel["title"]
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
        for target in panel["targets"]:
            assert METRIC.search(target["expr"]), (panel["title"], target["expr"])
            assert target["expr"].count("(") == target["expr"].count(")"), target["expr"]
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert set(variables) == {"datasource", "dialect", "method"}


def test_nothing_by_tenant(dashboard: dict[str, Any]) -> None:
    """No grouping, filter, legend or variable names a tenant (or a key)."""
    for expr in expressions(dashboard):
        grouped = {label.strip() for labels in GROUPING.findall(expr)
                   for label in labels.split(",")}
        filtered = set(LABEL_MATCHER.findall(expr))
        assert grouped <= {"method", "dialect", "outcome", "status", "error", "result",
                           "kind", "pool", "route", "le"}, expr
        assert filtered <= {"method", "dialect", "outcome", "error"}, expr
    text = json.dumps(dashboard).lower()
    assert "tenant" not in text.replace("no per-tenant figures", "")
    assert "key_id" not in text
