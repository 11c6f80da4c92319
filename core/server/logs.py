"""The server's log lines, as text or as one JSON object a line, each with its request's id.

``memspan serve --log-format json`` (or ``MEMSPAN_LOG_FORMAT=json``) hands :func:`log_config` to
uvicorn, so uvicorn's own lines (startup, an unexpected exception) come out in the same shape as
memspan's. uvicorn's access line is switched off: it prints the URL with its query string, where
scope ids are; ``memspan.server.access`` logs the route's template instead.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timezone
from typing import Any

from .request_context import current_request_id

FORMATS = ("text", "json")
#: fields an access line adds to the JSON object (set through ``extra=``)
ACCESS_FIELDS = ("method", "path", "status", "duration_ms")


class RequestIdFilter(logging.Filter):
    """Put the id of the request being served (or ``-``) on every record as ``request_id``."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = current_request_id() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id and an access line's fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or current_request_id()
        if request_id and request_id != "-":
            entry["request_id"] = request_id
        for field in ACCESS_FIELDS:
            if hasattr(record, field):
                entry[field] = getattr(record, field)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def log_config(log_format: str = "text", level: str = "info") -> dict[str, Any]:
    """A :func:`logging.config.dictConfig` for uvicorn's and memspan's loggers."""
    if log_format not in FORMATS:
        raise ValueError(f"log format must be one of {', '.join(FORMATS)}, got {log_format!r}")
    formatter: dict[str, Any] = (
        {"()": f"{__name__}.JsonFormatter"} if log_format == "json" else {"format": TEXT_FORMAT}
    )
    handler = {
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stderr",
        "formatter": "memspan",
        "filters": ["request_id"],
    }
    loggers = {
        name: {"handlers": ["memspan"], "level": level.upper(), "propagate": False}
        for name in ("uvicorn", "uvicorn.error", "memspan")
    }
    loggers["uvicorn.access"] = {"handlers": [], "level": "WARNING", "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": f"{__name__}.RequestIdFilter"}},
        "formatters": {"memspan": formatter},
        "handlers": {"memspan": handler},
        "loggers": loggers,
    }
