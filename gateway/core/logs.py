"""Logging set-up: plain text or one JSON object per line (`log.format`).

A record may carry structured fields (docs/operations.md, "The request log"): `fields`, a
dict, which a JSON line holds as keys of its own and a text line appends as `name=value`,
and `request_id`, the id of the request a message is about (a JSON line's key only: the
text of such a message names the id already).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any

import orjson

from gateway.core.config import Log

# A text value written as it is; any other is written as a JSON string (quoted, escaped),
# so that a value can never end the line or pass for another field.
_BARE = re.compile(r"[\w.:/{}@+-]+")


def _utc(record: logging.LogRecord) -> str:
    moment = dt.datetime.fromtimestamp(record.created, dt.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {"time": _utc(record), "level": record.levelname,
                                 "logger": record.name, "message": record.getMessage()}
        request_id = getattr(record, "request_id", None)
        if request_id is not None:
            entry["request_id"] = request_id
        fields = getattr(record, "fields", None)
        if fields:
            entry.update(fields)
        if record.exc_info:
            entry["traceback"] = self.formatException(record.exc_info)
        return orjson.dumps(entry).decode()


def text_value(value: Any) -> str:
    """A field's value in a text line: `-` for none, a list's items joined by commas."""
    if value is None:
        return "-"
    if isinstance(value, list):
        return ",".join(text_value(item) for item in value) or "[]"
    text = str(value)
    return text if _BARE.fullmatch(text) else orjson.dumps(text).decode()


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:
        line = super().formatMessage(record)
        fields = getattr(record, "fields", None)
        if not fields:
            return line
        return line + "".join(f" {name}={text_value(value)}" for name, value in fields.items())


def setup(config: Log) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if config.format == "json" else TextFormatter())
    logging.basicConfig(level=config.level, handlers=[handler], force=True)
