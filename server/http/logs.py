"""Logging for the server: access logs with app-user tokens blanked out.

An app user's token is part of its URLs (``/v1/key/{token}/…``); it must not end up in
log files, where anyone reading them could act as that phone.
"""

from __future__ import annotations

import logging
import re
from typing import Any

TOKEN_IN_PATH = re.compile(r"(/v1/(?:key|test)/)[^/\s\"]+")


class RedactTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.args = tuple(
                TOKEN_IN_PATH.sub(r"\1[redacted]", arg) if isinstance(arg, str) else arg
                for arg in (record.args if isinstance(record.args, tuple) else (record.args,))
            )
        if isinstance(record.msg, str):
            record.msg = TOKEN_IN_PATH.sub(r"\1[redacted]", record.msg)
        return True


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's default logging, with tokens redacted from access and error logs."""
    from uvicorn.config import LOGGING_CONFIG

    config: dict[str, Any] = {**LOGGING_CONFIG}
    config["filters"] = {"redact_tokens": {"()": f"{__name__}.RedactTokens"}}
    config["handlers"] = {
        name: {**handler, "filters": ["redact_tokens"]}
        for name, handler in LOGGING_CONFIG["handlers"].items()
    }
    return config
