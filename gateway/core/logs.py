"""Logging set-up: plain text or one JSON object per line (`log.format`)."""

from __future__ import annotations

import logging

import orjson

from gateway.core.config import Log


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": self.formatTime(record), "level": record.levelname,
                 "logger": record.name, "message": record.getMessage()}
        if record.exc_info:
            entry["traceback"] = self.formatException(record.exc_info)
        return orjson.dumps(entry).decode()


def setup(config: Log) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if config.format == "json" else logging.Formatter(
        "%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=config.level, handlers=[handler], force=True)
