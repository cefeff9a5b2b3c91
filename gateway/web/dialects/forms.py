"""Params sent as query or form fields in their string forms (MOR's, Voximplant's and
EnableX's routes): reading the form, and converting each field with every bad one named."""

from __future__ import annotations

import re
from email import policy
from email.parser import BytesParser
from typing import Any, Callable, Collection, Mapping
from urllib.parse import parse_qsl

from aiohttp import web
from multidict import MultiDict

from gateway.core.errors import InvalidParams, ParseError, UnsupportedMediaType
from gateway.web import appkeys, transport

# ASCII digits only: int() would also take " 1", "1_000" or other scripts' digits. More
# digits than any valid value has are refused here rather than converted.
INTEGER = re.compile(r"[+-]?[0-9]{1,30}")


async def request_fields(request: web.Request) -> MultiDict[str]:
    """The query fields, then those of a form body (urlencoded or multipart)."""
    fields: MultiDict[str] = MultiDict(request.query)
    if request.method != "POST" or not request.body_exists:
        return fields
    # Before the caller is known: the smallest body limit (an ingest key may not call this).
    body = await transport.read_body(request, request.app[appkeys.CONFIG].limits.body_bytes)
    if not body:
        return fields
    try:
        if request.content_type == "application/x-www-form-urlencoded":
            fields.extend(parse_qsl(body.decode(), keep_blank_values=True, errors="strict"))
        elif request.content_type == "multipart/form-data":  # as Node's form-data sends
            fields.extend(_multipart(request.headers["Content-Type"], body))
        else:
            raise UnsupportedMediaType("the body must be an application/x-www-form-urlencoded "
                                       "or multipart/form-data form")
    except (UnicodeDecodeError, ValueError):
        raise ParseError("the form is not valid UTF-8") from None
    return fields


def _multipart(content_type: str, body: bytes) -> list[tuple[str, str]]:
    """The named text fields of a multipart/form-data body (the email package parses it)."""
    head = f"Content-Type: {content_type}\r\n\r\n".encode()
    message = BytesParser(policy=policy.HTTP).parsebytes(head + body)
    if not message.is_multipart() or message.defects:
        raise ParseError("the multipart form could not be read")
    out = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str) or part.get_filename() is not None:
            raise ParseError("every part of the form must be a named field, not a file")
        out.append((name, bytes(part.get_payload(decode=True) or b"").decode()))
    return out


def field_texts(fields: Mapping[str, Any], prefix: str = "") -> list[str]:
    """`name: message` of each bad field (nested ones as `outer.inner`)."""
    texts = []
    for name, message in fields.items():
        if isinstance(message, Mapping):
            texts += field_texts(message, f"{prefix}{name}.")
        else:
            texts.append(f"{prefix}{name}: {message}")
    return texts


def parsed(fields: MultiDict[str], convert: Callable[[str, str], Any], *,
           skip: Collection[str] = (), repeatable: Collection[str] = (),
           skip_empty: bool = True, error: type[InvalidParams] = InvalidParams
           ) -> dict[str, Any]:
    """Each field's value from its string form, by `convert(name, text)` (a ValueError
    is the field's message). A field sent twice is refused unless `repeatable` (then a
    list when sent twice); an empty value stands for the default (`skip_empty`). Every
    bad field is named in one `error`."""
    params: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name in dict.fromkeys(fields):
        values = fields.getall(name)
        if name in skip or (skip_empty and values == [""]):
            continue
        if len(values) > 1 and name not in repeatable:
            errors[name] = "Must be sent once."
            continue
        try:
            converted = [convert(name, v) for v in values]
        except ValueError as exc:
            errors[name] = str(exc)
            continue
        params[name] = converted[0] if len(converted) == 1 else converted
    if errors:
        raise error(errors)
    return params


def integer(text: str) -> int:
    if not INTEGER.fullmatch(text):
        raise ValueError("Not a valid integer.")
    return int(text)
