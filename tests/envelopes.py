"""Expected responses, written as the spec's envelope table reads."""

from __future__ import annotations

from typing import Any


def ok(result: Any, id_: Any = 1) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "result": result, "id": id_}


def error(code: int, message: str, data: Any, id_: Any = 1) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "error": {"code": code, "message": message, "data": data},
            "id": id_}


def invalid(data: dict[str, Any], id_: Any = 1) -> dict[str, Any]:
    return error(-32602, "Invalid request", data, id_)


def missing_object(param: str, table: str, name: str) -> dict[str, Any]:
    return invalid({param: f'Object "{table}({name})" was not found!'})


def auth_failed(reason: str) -> dict[str, Any]:
    """A whole request refused with 401 (its `id` is null)."""
    return error(401, f"utoken-auth-failed: Authentication Failed: {reason}",
                 {"code": "utoken-auth-failed", "message": f"Authentication Failed: {reason}"},
                 None)


def forbidden(role: str, method: str, id_: Any = 1) -> dict[str, Any]:
    reason = f"the role {role!r} may not call {method}"
    return error(403, f"forbidden: {reason}", {"code": "forbidden", "message": reason}, id_)


def not_found(table: str, object_id: str, id_: Any = 1) -> dict[str, Any]:
    message = f'Object "{table}({object_id})" was not found!'
    return error(404, f"not_found: {message}", {"code": "not_found", "message": message,
                                                "object_name": table, "object_id": object_id},
                 id_)


def answer(accepted: int = 0, unchanged: int = 0,
           rejected: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The result of an `ingest.*` call."""
    return {"accepted": accepted, "unchanged": unchanged, "rejected": rejected or []}


def rejection(index: int, errors: dict[str, str]) -> dict[str, Any]:
    return {"index": index, "errors": errors}


def key_id_of(key: str) -> str:
    return key.partition(".")[0]
