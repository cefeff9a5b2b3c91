"""`keys.*` and `tenants.*` (spec methods.md section 5; README "Tenancy", "Keys, roles and
credentials", "The shared error envelope")."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from typing import Any

import pytest
from conftest import post
from envelopes import forbidden, invalid, key_id_of, missing_object, not_found, ok

from gateway.core import clock

RFC3339_SECONDS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
TENANT_FIELDS = {"id", "name", "parent", "timezone", "created_at"}
KEY_FIELDS = {"key_id", "tenant", "role", "ip_allow", "expires_at", "rate_limit", "created_at",
              "revoked_at", "last_used_at"}
ROLE_ENUM = "Must be one of: admin, reseller, customer, accountant, ingest."
RATE_LIMIT_MESSAGE = 'Must be an integer from 1 to 1000000, or "unlimited".'
RANGE_MESSAGE = "Must be greater than or equal to {} and less than or equal to {}."
COUNT_RANGE = RANGE_MESSAGE.format(1, 1000)
OFFSET_RANGE = "Must be greater than or equal to 0 and less than or equal to 10000."


def assert_recent(text: str, before: dt.datetime, after: dt.datetime) -> None:
    """An RFC 3339 timestamp to the second, between `before` and `after`."""
    assert RFC3339_SECONDS.fullmatch(text), text
    assert before.replace(microsecond=0) <= clock.from_text(text) <= after


async def result_of(rpc: Any, method: str, params: Any = None, key: str | None = None) -> Any:
    answer = await rpc(method, params, key=key)
    assert "result" in answer, answer
    return answer["result"]


async def listed_keys(rpc: Any, key: str | None = None, **params: Any) -> dict[str, Any]:
    page: dict[str, Any] = await result_of(rpc, "keys.list", {"count": 1000, **params}, key)
    return page


async def listed_key(rpc: Any, key_id: str) -> dict[str, Any]:
    (entry,) = [k for k in (await listed_keys(rpc))["result"] if k["key_id"] == key_id]
    return dict(entry)


async def assert_pong(client: Any, key: str) -> None:
    status, body, _ = await post(client, {"jsonrpc": "2.0", "method": "ping", "id": 1}, key)
    assert (status, body) == (200, ok("pong"))


# --- tenants.create --------------------------------------------------------------------------

async def test_tenants_create_returns_the_tenant(rpc):
    before = clock.now()
    res_a = await result_of(rpc, "tenants.create",
                            {"name": "resA", "parent": "root", "timezone": "Europe/Berlin"})
    after = clock.now()
    assert set(res_a) == TENANT_FIELDS
    assert isinstance(res_a["id"], int) and res_a["id"] != 1
    assert_recent(res_a["created_at"], before, after)
    assert res_a == {"id": res_a["id"], "name": "resA", "parent": "root",
                     "timezone": "Europe/Berlin", "created_at": res_a["created_at"]}


async def test_tenant_timezone_defaults_to_the_parents(rpc):
    await rpc("tenants.create", {"name": "resA", "timezone": "America/New_York"})
    cust = await result_of(rpc, "tenants.create", {"name": "custA1", "parent": "resA"})
    assert (cust["parent"], cust["timezone"]) == ("resA", "America/New_York")
    res_b = await result_of(rpc, "tenants.create", {"name": "resB"})
    assert (res_b["parent"], res_b["timezone"]) == ("root", "UTC")
    own = await result_of(rpc, "tenants.create",
                          {"name": "custA2", "parent": "resA", "timezone": "Asia/Tokyo"})
    assert (own["parent"], own["timezone"]) == ("resA", "Asia/Tokyo")


async def test_tenants_create_by_position(rpc):
    made = await result_of(rpc, "tenants.create", ["resA", "root", "Europe/Paris"])
    assert (made["name"], made["parent"], made["timezone"]) == ("resA", "root", "Europe/Paris")


async def test_tenants_list_shows_what_create_returned(rpc):
    made = [await result_of(rpc, "tenants.create", {"name": name}) for name in ("resA", "resB")]
    page = await result_of(rpc, "tenants.list")
    assert page["result"][1:] == made
    assert len({t["id"] for t in page["result"]}) == 3


@pytest.mark.parametrize("params, data", [
    ({"name": "newco", "parent": "nope"}, {"parent": 'Object "tenants(nope)" was not found!'}),
    ({"name": "newco", "timezone": "Mars/Olympus"},
     {"timezone": "Unknown time zone 'Mars/Olympus'"}),
    ({"name": "bad name!"},
     {"name": "1 to 64 letters, digits, '_', '.' or '-', starting with a letter or digit"}),
    ({"name": "-dash"},
     {"name": "1 to 64 letters, digits, '_', '.' or '-', starting with a letter or digit"}),
    ({"parent": "root"}, {"name": "Missing data for required field."}),
    ({"name": "newco", "colour": "blue"}, {"colour": "Unknown field."}),
    ({"name": 5}, {"name": "Not a valid string."}),
])
async def test_tenants_create_invalid_params(client, rpc, params, data):
    assert await rpc("tenants.create", params) == invalid(data)
    names = [t["name"] for t in (await result_of(rpc, "tenants.list"))["result"]]
    assert names == ["root"]


async def test_tenants_create_existing_name_is_a_logical_error(rpc):
    await rpc("tenants.create", {"name": "resA"})
    message = "a tenant named 'resA' already exists"
    assert await rpc("tenants.create", {"name": "resA"}) == {
        "jsonrpc": "2.0", "id": 1,
        "error": {"code": 422, "message": f"tenant-exists: {message}",
                  "data": {"code": "tenant-exists", "message": message}}}


async def test_tenants_created_at_once_under_one_name_give_one_tenant(rpc):
    """Eight creates of one name at the same moment: one creates it, the seven others are
    told it exists (on PostgreSQL the losers collide on the name and run again)."""
    answers = await asyncio.gather(*(rpc("tenants.create", {"name": "twin"}, id_=i)
                                     for i in range(8)))
    message = "a tenant named 'twin' already exists"
    refused = {"code": 422, "message": f"tenant-exists: {message}",
               "data": {"code": "tenant-exists", "message": message}}
    assert sorted("result" in a for a in answers) == [False] * 7 + [True]
    assert [a["error"] for a in answers if "error" in a] == [refused] * 7
    names = [t["name"] for t in (await result_of(rpc, "tenants.list"))["result"]]
    assert names == ["root", "twin"]


# --- tenants.list ----------------------------------------------------------------------------

async def test_tenants_list_of_a_fresh_gateway_is_the_root(rpc):
    page = await result_of(rpc, "tenants.list")
    (root,) = page["result"]
    assert RFC3339_SECONDS.fullmatch(root["created_at"])
    assert page == {"result": [{"id": 1, "name": "root", "parent": None, "timezone": "UTC",
                                "created_at": root["created_at"]}],
                    "total_count": 1, "count": 1}


@pytest.fixture
async def small_tree(make_tenant) -> dict[str, dict[str, Any]]:
    """root -> resA -> custA1, root -> resB; created so that creation order != tree order."""
    made = {"resA": await make_tenant("resA")}
    made["resB"] = await make_tenant("resB")
    made["custA1"] = await make_tenant("custA1", parent="resA")
    return made


async def test_tenants_list_in_tree_order(rpc, small_tree):
    page = await result_of(rpc, "tenants.list")
    assert [t["name"] for t in page["result"]] == ["root", "resA", "custA1", "resB"]
    assert page["result"][1:] == [small_tree[n] for n in ("resA", "custA1", "resB")]
    assert (page["total_count"], page["count"]) == (4, 4)


@pytest.mark.parametrize("count, offset, names", [
    (2, 0, ["root", "resA"]),
    (2, 1, ["resA", "custA1"]),
    (2, 3, ["resB"]),
    (1, 4, []),
    (1000, 10_000, []),
])
async def test_tenants_list_paging(rpc, small_tree, count, offset, names):
    page = await result_of(rpc, "tenants.list", {"count": count, "offset": offset})
    assert [t["name"] for t in page["result"]] == names
    assert (page["count"], page["total_count"]) == (len(names), 4)


async def test_tenants_list_by_position(rpc, small_tree):
    page = await result_of(rpc, "tenants.list", [1, 2])
    assert ([t["name"] for t in page["result"]], page["count"], page["total_count"]) == \
        (["custA1"], 1, 4)


def assert_preorder(tenants: list[dict[str, Any]]) -> None:
    """Each tenant comes after its parent, and each subtree is contiguous (a depth-first
    walk): the parent of each row is on the path from the root to the previous row."""
    path: list[str] = []
    for tenant in tenants:
        if tenant["parent"] is None:
            assert not path, tenant
        else:
            assert tenant["parent"] in path, tenant
            del path[path.index(tenant["parent"]) + 1:]
        path.append(tenant["name"])


async def test_tenants_list_tree_order_with_many_tenants(rpc, make_tenant):
    # Ids pass 9 so that numeric and text orders of the ids differ.
    for name in ("a", "b", "c"):
        await make_tenant(name)
    for n in range(10):
        await make_tenant(f"b{n}", parent="b")
    await make_tenant("a0", parent="a")
    await make_tenant("b3x", parent="b3")
    await make_tenant("c0", parent="c")
    page = await result_of(rpc, "tenants.list", {"count": 1000})
    assert (page["count"], page["total_count"]) == (17, 17)
    assert_preorder(page["result"])
    names = [t["name"] for t in page["result"]]
    assert names.index("b3x") == names.index("b3") + 1
    assert names.index("a0") == names.index("a") + 1
    assert names.index("c0") == names.index("c") + 1


# --- keys.create -----------------------------------------------------------------------------

async def test_keys_create_with_every_param(rpc):
    before = clock.now()
    created = await result_of(rpc, "keys.create", {
        "tenant": "root", "role": "customer", "ip_allow": ["10.0.0.0/8", "2001:db8::/32"],
        "expires_at": "2099-01-02T03:04:05+02:00", "rate_limit": 5})
    after = clock.now()
    assert set(created) == {"key_id", "key", "mor_secret"}
    assert created["key"].startswith(created["key_id"] + ".")
    listed = await listed_key(rpc, created["key_id"])
    assert_recent(listed["created_at"], before, after)
    assert listed == {"key_id": created["key_id"], "tenant": "root", "role": "customer",
                      "ip_allow": ["10.0.0.0/8", "2001:db8::/32"],
                      "expires_at": "2099-01-02T01:04:05Z", "rate_limit": 5,
                      "created_at": listed["created_at"], "revoked_at": None,
                      "last_used_at": None}


async def test_keys_create_defaults(rpc):
    created = await result_of(rpc, "keys.create", {"role": "accountant"})
    listed = await listed_key(rpc, created["key_id"])
    assert {k: listed[k] for k in ("tenant", "role", "ip_allow", "expires_at", "rate_limit")} \
        == {"tenant": "root", "role": "accountant", "ip_allow": [], "expires_at": None,
            "rate_limit": None}


async def test_keys_create_by_position(rpc, small_tree):
    created = await result_of(rpc, "keys.create",
                              ["resA", "ingest", ["192.0.2.0/24"], "2099-06-01T00:00:00Z",
                               "unlimited"])
    listed = await listed_key(rpc, created["key_id"])
    assert {k: listed[k] for k in ("tenant", "role", "ip_allow", "expires_at", "rate_limit")} \
        == {"tenant": "resA", "role": "ingest", "ip_allow": ["192.0.2.0/24"],
            "expires_at": "2099-06-01T00:00:00Z", "rate_limit": "unlimited"}


@pytest.mark.parametrize("rate_limit", [1, 50, 1_000_000, "unlimited"])
async def test_keys_create_rate_limit(rpc, rate_limit):
    created = await result_of(rpc, "keys.create", {"role": "customer", "rate_limit": rate_limit})
    assert (await listed_key(rpc, created["key_id"]))["rate_limit"] == rate_limit


@pytest.mark.parametrize("rate_limit", [1.5, 2.0, "10", "Unlimited", "fast", True, [5], {"n": 5}])
async def test_keys_create_bad_rate_limit(rpc, rate_limit):
    answer = await rpc("keys.create", {"role": "customer", "rate_limit": rate_limit})
    assert answer == invalid({"rate_limit": RATE_LIMIT_MESSAGE})


@pytest.mark.parametrize("rate_limit", [0, -1, 1_000_001, 2 ** 63])
async def test_keys_create_rate_limit_out_of_range(rpc, rate_limit):
    """An integer outside 1..1000000 answers the integers' range message (docs/rpc.md)."""
    answer = await rpc("keys.create", {"role": "customer", "rate_limit": rate_limit})
    assert answer == invalid({"rate_limit": RANGE_MESSAGE.format(1, 1_000_000)})


@pytest.mark.parametrize("expires_at, expected", [
    ("2099-01-02T03:04:05Z", "2099-01-02T03:04:05Z"),
    ("2099-01-02T03:04:05.999Z", "2099-01-02T03:04:05Z"),
    ("2099-01-02T03:04:05-05:30", "2099-01-02T08:34:05Z"),
])
async def test_keys_create_expires_at_rfc3339(rpc, expires_at, expected):
    created = await result_of(rpc, "keys.create", {"role": "customer", "expires_at": expires_at})
    assert (await listed_key(rpc, created["key_id"]))["expires_at"] == expected


async def test_keys_create_expires_at_in_the_past(rpc):
    past = (clock.now() - dt.timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    answer = await rpc("keys.create", {"role": "customer", "expires_at": past})
    assert answer == invalid({"expires_at": "Must be in the future."})


@pytest.mark.parametrize("expires_at, message", [
    ("2099-01-02T03:04:05", "Not a valid aware datetime."),
    ("2099-01-02", "Not a valid aware datetime."),
    ("tomorrow", "Not a valid datetime."),
    (4102444800, "Not a valid datetime."),
])
async def test_keys_create_expires_at_not_rfc3339(rpc, expires_at, message):
    answer = await rpc("keys.create", {"role": "customer", "expires_at": expires_at})
    assert answer == invalid({"expires_at": message})


@pytest.mark.parametrize("role", ["superuser", "Admin", "", "root"])
async def test_keys_create_role_not_in_the_enum(rpc, role):
    assert await rpc("keys.create", {"role": role}) == invalid({"role": ROLE_ENUM})


@pytest.mark.parametrize("params, data", [
    ({}, {"role": "Missing data for required field."}),
    ({"role": "customer", "ip_allow": ["10.0.0.0/33"]},
     {"ip_allow": {"0": "Not an IPv4 or IPv6 CIDR: '10.0.0.0/33'"}}),
    ({"role": "customer", "ip_allow": ["10.0.0.0/8", "localhost"]},
     {"ip_allow": {"1": "Not an IPv4 or IPv6 CIDR: 'localhost'"}}),
    ({"role": "customer", "ip_allow": "10.0.0.0/8"}, {"ip_allow": "Not a valid list."}),
    ({"role": "customer", "secret": "mine"}, {"secret": "Unknown field."}),
])
async def test_keys_create_invalid_params(rpc, params, data):
    assert await rpc("keys.create", params) == invalid(data)


async def test_keys_create_invalid_params_creates_nothing(rpc):
    await rpc("keys.create", {"role": "customer", "rate_limit": 0})
    await rpc("keys.create", {"role": "customer", "tenant": "nope"})
    assert (await listed_keys(rpc))["total_count"] == 1  # the caller's own key


async def test_keys_create_unknown_tenant(rpc):
    answer = await rpc("keys.create", {"tenant": "nope", "role": "customer"})
    assert answer == invalid({"tenant": "Object \"tenants(nope)\" was not found!"})


# --- keys.list -------------------------------------------------------------------------------

async def test_keys_list_never_shows_secrets(rpc, admin_key, small_tree):
    made = [await result_of(rpc, "keys.create", {"tenant": t, "role": "customer"})
            for t in ("root", "resA", "custA1")]
    page = await listed_keys(rpc)
    assert (page["count"], page["total_count"]) == (4, 4)
    assert sorted(k["key_id"] for k in page["result"]) == \
        sorted([key_id_of(admin_key)] + [m["key_id"] for m in made])
    text = repr(page)
    for entry in page["result"]:
        assert set(entry) == KEY_FIELDS
    for created in made + [{"key": admin_key}]:
        assert created["key"].partition(".")[2] not in text
    for created in made:
        assert created["mor_secret"] not in text


async def test_keys_list_shows_the_callers_own_key(rpc, admin_key):
    page = await listed_keys(rpc)
    (own,) = page["result"]
    assert own == {"key_id": key_id_of(admin_key), "tenant": "root", "role": "admin",
                   "ip_allow": [], "expires_at": None, "rate_limit": "unlimited",
                   "created_at": own["created_at"], "revoked_at": None,
                   "last_used_at": own["last_used_at"]}
    assert RFC3339_SECONDS.fullmatch(own["last_used_at"])


async def test_keys_list_by_tenant(rpc, small_tree):
    in_a = {(await result_of(rpc, "keys.create", {"tenant": "resA", "role": r}))["key_id"]
            for r in ("customer", "admin")}
    await rpc("keys.create", {"tenant": "custA1", "role": "customer"})
    await rpc("keys.create", {"tenant": "resB", "role": "customer"})
    page = await listed_keys(rpc, tenant="resA")
    assert {k["key_id"] for k in page["result"]} == in_a
    assert {k["tenant"] for k in page["result"]} == {"resA"}
    assert (page["count"], page["total_count"]) == (2, 2)
    empty = await listed_keys(rpc, tenant="resB", offset=1)
    assert (empty["result"], empty["count"], empty["total_count"]) == ([], 0, 1)


async def test_keys_list_unknown_tenant(rpc):
    answer = await rpc("keys.list", {"tenant": "nope"})
    assert answer == invalid({"tenant": "Object \"tenants(nope)\" was not found!"})


async def test_keys_list_paging(rpc):
    for _ in range(4):
        await rpc("keys.create", {"role": "customer"})
    whole = await listed_keys(rpc)
    assert (whole["count"], whole["total_count"]) == (5, 5)
    page = await result_of(rpc, "keys.list", {"count": 2, "offset": 1})
    assert page == {"result": whole["result"][1:3], "count": 2, "total_count": 5}
    tail = await result_of(rpc, "keys.list", {"count": 2, "offset": 4})
    assert tail == {"result": whole["result"][4:], "count": 1, "total_count": 5}
    default = await result_of(rpc, "keys.list")
    assert default == whole


# --- keys.revoke -----------------------------------------------------------------------------

async def test_keys_revoke_is_idempotent(client, rpc, make_key):
    key = await make_key("customer")
    await assert_pong(client, key)
    before = clock.now()
    assert await rpc("keys.revoke", {"key_id": key_id_of(key)}) == ok({"result": 1})
    after = clock.now()
    revoked_at = (await listed_key(rpc, key_id_of(key)))["revoked_at"]
    assert_recent(revoked_at, before, after)
    assert await rpc("keys.revoke", {"key_id": key_id_of(key)}) == ok({"result": 1})
    assert (await listed_key(rpc, key_id_of(key)))["revoked_at"] == revoked_at
    assert await rpc("keys.revoke", [key_id_of(key)]) == ok({"result": 1})


async def test_keys_revoke_unknown_key(rpc):
    assert await rpc("keys.revoke", {"key_id": "nope"}) == not_found("keys", "nope")


@pytest.mark.parametrize("params, data", [
    ({}, {"key_id": "Missing data for required field."}),
    ({"key_id": ""}, {"key_id": "Length must be between 1 and 64."}),
    ({"key_id": 5}, {"key_id": "Not a valid string."}),
])
async def test_keys_revoke_invalid_params(rpc, params, data):
    assert await rpc("keys.revoke", params) == invalid(data)


# --- tenancy ---------------------------------------------------------------------------------

@pytest.fixture
async def tree(make_tenant, make_key) -> dict[str, Any]:
    """root -> reseller resA -> customer custA1, root -> reseller resB, with keys in each."""
    tenants = {"resA": await make_tenant("resA")}
    tenants["custA1"] = await make_tenant("custA1", parent="resA")
    tenants["resB"] = await make_tenant("resB")
    keys = {
        "admin_a": await make_key("admin", tenant="resA", rate_limit="unlimited"),
        "reseller_a": await make_key("reseller", tenant="resA"),
        "cust_a1": await make_key("customer", tenant="custA1"),
        "admin_b": await make_key("admin", tenant="resB"),
        "cust_b": await make_key("customer", tenant="resB"),
        "root_customer": await make_key("customer", tenant="root"),
    }
    return {"tenants": tenants, "keys": keys}


async def test_subtree_admin_sees_only_its_tenants(rpc, tree):
    admin_a = tree["keys"]["admin_a"]
    page = await result_of(rpc, "tenants.list", key=admin_a)
    assert page == {"result": [tree["tenants"]["resA"], tree["tenants"]["custA1"]],
                    "total_count": 2, "count": 2}
    second = await result_of(rpc, "tenants.list", {"count": 1, "offset": 1}, key=admin_a)
    assert second == {"result": [tree["tenants"]["custA1"]], "total_count": 2, "count": 1}


async def test_subtree_admin_sees_only_its_keys(rpc, tree):
    keys = tree["keys"]
    page = await listed_keys(rpc, key=keys["admin_a"])
    assert sorted(k["key_id"] for k in page["result"]) == \
        sorted(key_id_of(keys[n]) for n in ("admin_a", "reseller_a", "cust_a1"))
    assert (page["count"], page["total_count"]) == (3, 3)
    child = await listed_keys(rpc, key=keys["admin_a"], tenant="custA1")
    assert [k["key_id"] for k in child["result"]] == [key_id_of(keys["cust_a1"])]
    assert child["total_count"] == 1


@pytest.mark.parametrize("tenant", ["resB", "root"])
async def test_subtree_admin_may_not_list_keys_of_another_tenant(rpc, tree, tenant):
    answer = await rpc("keys.list", {"tenant": tenant}, key=tree["keys"]["admin_a"])
    assert answer == missing_object("tenant", "tenants", tenant)


@pytest.mark.parametrize("tenant", ["resB", "root"])
async def test_subtree_admin_may_not_create_keys_outside(rpc, tree, tenant):
    answer = await rpc("keys.create", {"tenant": tenant, "role": "admin"},
                       key=tree["keys"]["admin_a"])
    assert answer == missing_object("tenant", "tenants", tenant)
    assert (await listed_keys(rpc, tenant=tenant))["total_count"] == \
        {"resB": 2, "root": 2}[tenant]


async def test_subtree_admin_creates_keys_inside(client, rpc, tree):
    admin_a = tree["keys"]["admin_a"]
    own = await result_of(rpc, "keys.create", {"role": "customer"}, key=admin_a)
    child = await result_of(rpc, "keys.create", {"tenant": "custA1", "role": "accountant"},
                            key=admin_a)
    assert (await listed_key(rpc, own["key_id"]))["tenant"] == "resA"
    assert (await listed_key(rpc, child["key_id"]))["tenant"] == "custA1"
    await assert_pong(client, child["key"])


@pytest.mark.parametrize("parent", ["resB", "root"])
async def test_subtree_admin_may_not_create_tenants_outside(rpc, tree, parent):
    answer = await rpc("tenants.create", {"name": "intruder", "parent": parent},
                       key=tree["keys"]["admin_a"])
    assert answer == missing_object("parent", "tenants", parent)
    names = [t["name"] for t in (await result_of(rpc, "tenants.list"))["result"]]
    assert "intruder" not in names


async def test_subtree_admin_creates_tenants_inside(rpc, tree):
    admin_a = tree["keys"]["admin_a"]
    made = await result_of(rpc, "tenants.create", {"name": "custA2"}, key=admin_a)
    assert (made["parent"], made["timezone"]) == ("resA", "UTC")
    deeper = await result_of(rpc, "tenants.create", {"name": "sub", "parent": "custA1"},
                             key=admin_a)
    assert deeper["parent"] == "custA1"
    page = await result_of(rpc, "tenants.list", key=admin_a)
    assert [t["name"] for t in page["result"]] == ["resA", "custA1", "sub", "custA2"]


@pytest.mark.parametrize("victim", ["cust_b", "admin_b", "root_customer"])
async def test_subtree_admin_may_not_revoke_outside(client, rpc, tree, victim):
    key_id = key_id_of(tree["keys"][victim])
    answer = await rpc("keys.revoke", {"key_id": key_id}, key=tree["keys"]["admin_a"])
    assert answer == not_found("keys", key_id)
    await assert_pong(client, tree["keys"][victim])
    assert (await listed_key(rpc, key_id))["revoked_at"] is None


async def test_subtree_admin_revokes_inside(client, rpc, tree):
    key_id = key_id_of(tree["keys"]["cust_a1"])
    assert await rpc("keys.revoke", {"key_id": key_id}, key=tree["keys"]["admin_a"]) == \
        ok({"result": 1})
    status, _, _ = await post(client, {"jsonrpc": "2.0", "method": "ping", "id": 1},
                              tree["keys"]["cust_a1"])
    assert status == 401


@pytest.mark.parametrize("method, params", [
    ("keys.create", {"role": "customer"}),
    ("keys.list", {}),
    ("keys.revoke", {"key_id": "nope"}),
    ("tenants.create", {"name": "custA9"}),
    ("tenants.list", {}),
])
async def test_reseller_role_may_not_manage_keys_or_tenants(rpc, tree, method, params):
    answer = await rpc(method, params, key=tree["keys"]["reseller_a"])
    assert answer == forbidden("reseller", method)


async def test_reseller_may_not_revoke_a_key_of_its_subtree(client, rpc, tree):
    key_id = key_id_of(tree["keys"]["cust_a1"])
    answer = await rpc("keys.revoke", {"key_id": key_id}, key=tree["keys"]["reseller_a"])
    assert answer == forbidden("reseller", "keys.revoke")
    await assert_pong(client, tree["keys"]["cust_a1"])


# --- limits ----------------------------------------------------------------------------------

@pytest.mark.parametrize("method", ["keys.list", "tenants.list"])
@pytest.mark.parametrize("params, data", [
    ({"count": 1001}, {"count": COUNT_RANGE}),
    ({"count": 0}, {"count": COUNT_RANGE}),
    ({"count": -1}, {"count": COUNT_RANGE}),
    ({"offset": 10_001}, {"offset": OFFSET_RANGE}),
    ({"offset": -1}, {"offset": OFFSET_RANGE}),
    ({"count": "10"}, {"count": "Not a valid integer."}),
    ({"count": 1001, "offset": 10_001}, {"count": COUNT_RANGE, "offset": OFFSET_RANGE}),
    ({"page": 2}, {"page": "Unknown field."}),
])
async def test_paging_limits(rpc, method, params, data):
    assert await rpc(method, params) == invalid(data)


@pytest.mark.parametrize("method", ["keys.list", "tenants.list"])
async def test_paging_limits_are_inclusive(rpc, method):
    page = await result_of(rpc, method, {"count": 1000, "offset": 10_000})
    assert (page["result"], page["count"], page["total_count"]) == ([], 0, 1)
    first = await result_of(rpc, method, {"count": 1, "offset": 0})
    assert (first["count"], first["total_count"]) == (1, 1)
