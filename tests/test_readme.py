"""The README's examples work as written."""

from __future__ import annotations

import json
import re
from pathlib import Path

from envelopes import ok

from gateway.web import appkeys

README = Path(__file__).resolve().parent.parent / "README.md"


def json_blocks() -> list[dict]:
    text = README.read_text(encoding="utf-8")
    return [json.loads(block) for block in re.findall(r"```json\n(.*?)```", text, re.S)]


async def test_the_readme_session_record_is_stored_as_documented(
        client, rpc, make_key, make_tenant):
    (call,) = [b for b in json_blocks() if b.get("method") == "ingest.sessions"]
    await make_tenant("acme-telecom")
    key = await make_key("ingest", rate_limit="unlimited")
    deck = {"code_deck_id": 1, "name": "World", "codes": [
        {"prefix": "370", "name": "Lithuania", "country": "LT"},
        {"prefix": "3706", "name": "Lithuania Mobile", "country": "LT"}]}
    assert await rpc("ingest.code_decks", {"records": [deck]}, key=key) == ok(
        {"accepted": 1, "unchanged": 0, "rejected": []})
    answer = await rpc(call["method"], call["params"], key=key)
    assert answer == ok({"accepted": 1, "unchanged": 0, "rejected": []})
    assert await rpc(call["method"], call["params"], key=key) == ok(
        {"accepted": 0, "unchanged": 1, "rejected": []})
    db = client.app[appkeys.DB]
    legs = await db.fetch_all(
        "SELECT leg_id, role, dst_code, dst_name, amount, reseller_amount, currency "
        "FROM legs ORDER BY position")
    assert legs == [
        {"leg_id": "in-1", "role": "orig", "dst_code": "3706", "dst_name": "Lithuania Mobile",
         "amount": 39600, "reseller_amount": 31000, "currency": "EUR"},
        {"leg_id": "out-1", "role": "term", "dst_code": None, "dst_name": None,
         "amount": None, "reseller_amount": None, "currency": None},
        {"leg_id": "out-2", "role": "term", "dst_code": "3706", "dst_name": "Lithuania Mobile",
         "amount": 19500, "reseller_amount": None, "currency": "EUR"}]
    (resource,) = await db.fetch_all("SELECT quantity, cost FROM resource_usage")
    assert resource == {"quantity": "3.25", "cost": 15000}


async def test_the_readme_live_sessions_example_answers_as_documented(
        rpc, make_key, make_tenant):
    (record_call,) = [b for b in json_blocks() if b.get("method") == "ingest.sessions"]
    (query,) = [b for b in json_blocks() if b.get("method") == "reports.active_sessions.query"]
    (expected,) = [b for b in json_blocks() if "result" in b and b.get("id") == query["id"]]
    await make_tenant("acme-telecom")
    key = await make_key("ingest", rate_limit="unlimited")
    (record,) = record_call["params"]["records"]
    live = {k: v for k, v in record.items() if k != "end_time"}
    assert await rpc("ingest.sessions", {"records": [live]}, key=key) == ok(
        {"accepted": 1, "unchanged": 0, "rejected": []})
    assert await rpc(query["method"], query["params"], id_=query["id"]) == expected
