"""App users with their ODK Collect QR codes, for `jaring app-users create` and first run."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import segno

from server.data.collect_settings import collect_settings, encode_settings
from server.domain import Services
from server.domain.access import SYSTEM
from server.domain.assignments import assign_form
from server.domain.projects import create_app_user, get_project
from server.formats.qr import collect_qr
from server.http.urls import collect_server_url


@dataclass
class ProvisionedAppUser:
    actor_id: int
    display_name: str
    token: str
    server_url: str
    payload: str
    qr: segno.QRCode


def provision_app_user(
    services: Services, *, project_id: int, name: str, form_ids: list[str], origin: str
) -> ProvisionedAppUser:
    """Create an app user, give it the forms, and draw its QR code."""
    row, key = create_app_user(services, SYSTEM, project_id=project_id, display_name=name)
    assert row.id is not None and key.token is not None
    return app_user_access(
        services,
        project_id=project_id,
        actor_id=row.id,
        display_name=row.display_name,
        token=key.token,
        form_ids=form_ids,
        origin=origin,
    )


def app_user_access(
    services: Services,
    *,
    project_id: int,
    actor_id: int,
    display_name: str,
    token: str,
    form_ids: list[str],
    origin: str,
) -> ProvisionedAppUser:
    """Give an existing app user the forms (again, harmlessly) and draw its QR code."""
    project = get_project(services, SYSTEM, project_id)
    for xml_form_id in form_ids:
        assign_form(
            services,
            SYSTEM,
            project_id=project_id,
            xml_form_id=xml_form_id,
            role="app-user",
            actor_id=actor_id,
        )
    server_url = collect_server_url(origin, token, project_id)
    return ProvisionedAppUser(
        actor_id=actor_id,
        display_name=display_name,
        token=token,
        server_url=server_url,
        payload=encode_settings(collect_settings(server_url, project.name)),
        qr=collect_qr(server_url, project.name),
    )


def save_qr(qr: segno.QRCode, target: Path) -> None:
    if target.suffix.lower() not in (".png", ".svg"):
        raise ValueError("the QR code file must end in .png or .svg")
    qr.save(str(target), scale=6, border=4)
