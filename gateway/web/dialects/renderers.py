"""How dialects write answers: JSON, XML, CSV text and report files, and the OpenAPI
responses of a dialect that answers JSON with errors in their own statuses."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from decimal import Decimal
from typing import Any, Mapping

from aiohttp import web

from gateway.web.dialects.dialect import Call, JsonSchema, Renderer
from gateway.web.downloads import OCTET_STREAM, send_file
from gateway.web.transport import json_response
from methods.context import Context
from methods.history import reports

XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'
# Characters XML 1.0 cannot hold, even escaped: written as U+FFFD so the answer stays
# well-formed whatever a stored name contains.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


async def json_answer(call: Call, result: Any) -> web.StreamResponse:
    return json_response(result)


def json_error(status: int, body: Any, headers: dict[str, str]) -> web.StreamResponse:
    return json_response(body, status, headers)


def json_responses(result: JsonSchema, error: JsonSchema) -> JsonSchema:
    return {
        "200": {"description": "the result",
                "content": {"application/json": {"schema": result}}},
        "default": {"description": "an error, in the vendor's shape",
                    "content": {"application/json": {"schema": error}}}}


JSON = Renderer(json_answer, json_error, json_responses)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")  # as str() for the quantized amounts, never an exponent
    return _NOT_XML.sub("\ufffd", str(value))


def _append(parent: ET.Element, name: str, value: Any, items: Mapping[str, str]) -> None:
    element = ET.SubElement(parent, name)
    if isinstance(value, Mapping):
        for key, member in value.items():
            _append(element, key, member, items)
    elif isinstance(value, (list, tuple)):
        for member in value:
            _append(element, items.get(name, "item"), member, items)
    else:
        element.text = _text(value)


def xml_document(name: str, content: Mapping[str, Any],
                 items: Mapping[str, str] | None = None) -> bytes:
    """`<name>` holding one element per key, in order (ElementTree escapes the text); a
    list's members are elements named by `items` (list name -> member name), or `item`."""
    root = ET.Element(name)
    for key, value in content.items():
        _append(root, key, value, items or {})
    return (XML_DECLARATION + ET.tostring(root, encoding="unicode",
                                          short_empty_elements=False)).encode()


def xml_response(body: bytes, headers: dict[str, str] | None = None,
                 status: int = 200) -> web.Response:
    return web.Response(body=body, status=status, headers=headers,
                        content_type="application/xml", charset="utf-8")


def csv_text(text: str) -> web.StreamResponse:
    """A CSV page as the body itself, gzip when the client accepts it."""
    response = web.Response(text=text, content_type="text/csv")
    response.enable_compression()
    return response


async def report_file(request: web.Request, context: Context,
                      report_id: int) -> web.StreamResponse:
    """A completed export's file, counted as a download, as `application/octet-stream`
    (the vendor route's `DownloadHistoryReport`)."""
    path, file_name = await reports.counted_download(context, report_id)
    return await send_file(request, path, file_name, OCTET_STREAM)
