"""The settings ODK Collect reads from a QR code, for an app user of a project.

The payload is JSON, deflated with zlib and base64-encoded, as ODK Central's frontend
makes it; "managed" settings make Collect match the server's form list exactly and send
finished forms automatically over any network.
"""

from __future__ import annotations

import base64
import json
import zlib
from typing import Any


def collect_settings(
    server_url: str, project_name: str, *, icon: str | None = None
) -> dict[str, Any]:
    project: dict[str, str] = {"name": project_name}
    if icon:
        project["icon"] = icon
    return {
        "general": {
            "server_url": server_url,
            "form_update_mode": "match_exactly",
            "autosend": "wifi_and_cellular",
        },
        "project": project,
        "admin": {},
    }


def encode_settings(settings: dict[str, Any]) -> str:
    raw = json.dumps(settings, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return base64.b64encode(zlib.compress(raw)).decode("ascii")


def decode_settings(payload: str) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(zlib.decompress(base64.b64decode(payload)))
    return decoded
