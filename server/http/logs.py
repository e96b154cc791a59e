"""Logging for the server: one JSON object per line, request IDs, and no secrets.

Every line carries the request ID of the request it was written for (``request_id``,
also sent back as ``X-Request-ID``), so one request's lines can be found together.
Secrets are blanked out of every line: an app user's token is part of its URLs
(``/v1/key/{token}/…``, ``/v1/test/{token}/…``), and a stray ``Authorization`` header or
``password`` field in a message is cut as well; anyone reading the logs could
otherwise act as that phone or that person. So are passphrases of encrypted forms: a
``passphrase`` field, and the values of numbered query parameters (``?1=…``, how
Central's clients pass a managed key's passphrase to an export).
"""

from __future__ import annotations

import json
import logging
import re
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

TOKEN_IN_PATH = re.compile(r"(/v1/(?:key|test)/)[^/\s\"]+")
AUTH_HEADER = re.compile(r"\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+", re.IGNORECASE)
PASSWORD_FIELD = re.compile(
    r"(['\"]?(?:password|passphrase)['\"]?\s*[:=]\s*)(['\"]).*?\2", re.IGNORECASE
)
KEY_ID_PARAMETER = re.compile(r"([?&]\d+=)[^&\s\"']*")
REDACTED = "[redacted]"

request_id: ContextVar[str | None] = ContextVar("jaring_request_id", default=None)

# Attributes every LogRecord has; anything else was passed in ``extra=`` and is logged.
_STANDARD_ATTRIBUTES = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
    "color_message",
}


def redact(text: str) -> str:
    """``text`` with tokens, Authorization values and password fields blanked out."""
    text = TOKEN_IN_PATH.sub(rf"\1{REDACTED}", text)
    text = AUTH_HEADER.sub(rf"\1 {REDACTED}", text)
    text = KEY_ID_PARAMETER.sub(rf"\1{REDACTED}", text)
    return PASSWORD_FIELD.sub(rf"\1\2{REDACTED}\2", text)


class RedactTokens(logging.Filter):
    """Blank out secrets in a record's message and arguments, and tag it with the request ID."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            record.args = tuple(redact(arg) if isinstance(arg, str) else arg for arg in args)
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if getattr(record, "request_id", None) is None:
            record.request_id = request_id.get()
        return True


class JsonLines(logging.Formatter):
    """A log record as one JSON object: time, level, logger, message, request ID, extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        rid = getattr(record, "request_id", None) or request_id.get()
        if rid is not None:
            entry["request_id"] = rid
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRIBUTES and key not in entry and key != "request_id":
                entry[key] = value if isinstance(value, int | float | bool | None) else str(value)
        if record.exc_info:
            entry["error"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def uvicorn_log_config(level: str = "INFO") -> dict[str, Any]:
    """Logging for `jaring serve`: JSON lines on standard error, secrets redacted.

    uvicorn's own access log is replaced by Jaring's (``jaring.access``, written by
    `server.http.middleware.RequestContext` with the request ID and duration).
    """
    handler = {
        "class": "logging.StreamHandler",
        "formatter": "json",
        "filters": ["redact_tokens"],
        "stream": "ext://sys.stderr",
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"redact_tokens": {"()": f"{__name__}.RedactTokens"}},
        "formatters": {"json": {"()": f"{__name__}.JsonLines"}},
        "handlers": {"default": handler},
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": level, "propagate": False},
            "uvicorn.error": {"level": level},
            "uvicorn.access": {"handlers": ["default"], "level": level, "propagate": False},
            "jaring": {"handlers": ["default"], "level": level, "propagate": False},
        },
    }
