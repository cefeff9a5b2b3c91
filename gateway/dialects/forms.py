"""Params sent as query or form fields (MOR's and Voximplant's routes)."""

from __future__ import annotations

import re
from typing import Any, Mapping
from urllib.parse import parse_qsl

from aiohttp import web
from multidict import MultiDict

from gateway import appkeys, views
from gateway.errors import ParseError, UnsupportedMediaType

# ASCII digits only: int() would also take " 1", "1_000" or other scripts' digits. More
# digits than any valid value has are refused here rather than converted.
INTEGER = re.compile(r"[+-]?[0-9]{1,30}")


async def request_fields(request: web.Request) -> MultiDict[str]:
    """The query fields, then those of an urlencoded form body (URL-decoded)."""
    fields: MultiDict[str] = MultiDict(request.query)
    if request.method != "POST" or not request.body_exists:
        return fields
    # Before the caller is known: the smallest body limit (an ingest key may not call this).
    body = await views.read_body(request, request.app[appkeys.CONFIG].limits.body_bytes)
    if not body:
        return fields
    if request.content_type != "application/x-www-form-urlencoded":
        raise UnsupportedMediaType(
            "the body must be an application/x-www-form-urlencoded form")
    try:
        fields.extend(parse_qsl(body.decode(), keep_blank_values=True, errors="strict"))
    except (UnicodeDecodeError, ValueError):
        raise ParseError("the form is not valid UTF-8") from None
    return fields


def field_texts(fields: Mapping[str, Any], prefix: str = "") -> list[str]:
    """`name: message` of each bad field (nested ones as `outer.inner`)."""
    texts = []
    for name, message in fields.items():
        if isinstance(message, Mapping):
            texts += field_texts(message, f"{prefix}{name}.")
        else:
            texts.append(f"{prefix}{name}: {message}")
    return texts
