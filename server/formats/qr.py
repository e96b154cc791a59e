"""QR codes that configure ODK Collect: the settings payload drawn as PNG or SVG."""

from __future__ import annotations

import io

import segno

from server.data.collect_settings import collect_settings, encode_settings


def collect_qr(server_url: str, project_name: str, *, icon: str | None = None) -> segno.QRCode:
    """The code Collect scans (*Add project → Configure with QR code*)."""
    payload = encode_settings(collect_settings(server_url, project_name, icon=icon))
    return segno.make(payload, micro=False, error="l")


def png(qr: segno.QRCode, *, scale: int = 6) -> bytes:
    out = io.BytesIO()
    qr.save(out, kind="png", scale=scale, border=4)
    return out.getvalue()
