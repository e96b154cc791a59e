"""Tokens never reach the logs."""

from __future__ import annotations

import logging

from server.http.logs import RedactTokens


def test_app_user_tokens_are_redacted_from_access_logs() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5", "GET", "/v1/key/SECRET-token_1/projects/1/formList", "1.1", 200),
        None,
    )
    assert RedactTokens().filter(record)
    assert "SECRET" not in record.getMessage()
    assert "/v1/key/[redacted]/projects/1/formList" in record.getMessage()
