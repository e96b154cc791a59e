"""App users with their ODK Collect QR codes, for `jaring app-users create` and first run.

`provision_app_user` checks everything it was given (the project, each form, the QR code's
file) before it creates anything, so a refused call leaves nothing behind.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import segno

from server.data.collect_settings import collect_settings, encode_settings
from server.domain import Services
from server.domain.access import SYSTEM
from server.domain.assignments import assign_form
from server.domain.forms import list_forms
from server.domain.projects import create_app_user, get_project
from server.formats.qr import collect_qr
from server.http.urls import collect_server_url
from server.problems import Problem

QR_SUFFIXES = (".png", ".svg")


class AppUserRefused(Exception):
    """What was asked cannot be done; the message says what to do instead."""


@dataclass
class ProvisionedAppUser:
    actor_id: int
    display_name: str
    token: str
    server_url: str
    payload: str
    qr: segno.QRCode


def provision_app_user(
    services: Services,
    *,
    project_id: int,
    name: str,
    form_ids: list[str],
    origin: str,
    qr_file: Path | None = None,
) -> ProvisionedAppUser:
    """Create an app user, give it the forms, and draw its QR code (saved to ``qr_file``
    too, when given). Raises `AppUserRefused`, having created nothing, when the project or
    a form does not exist, the name is empty, or the QR code cannot be saved there."""
    check_app_user(services, project_id=project_id, name=name, form_ids=form_ids)
    if qr_file is not None:
        check_qr_file(qr_file)
    row, key = create_app_user(services, SYSTEM, project_id=project_id, display_name=name)
    assert row.id is not None and key.token is not None
    provisioned = app_user_access(
        services,
        project_id=project_id,
        actor_id=row.id,
        display_name=row.display_name,
        token=key.token,
        form_ids=form_ids,
        origin=origin,
    )
    if qr_file is not None:
        save_qr(provisioned.qr, qr_file)
    return provisioned


def check_app_user(services: Services, *, project_id: int, name: str, form_ids: list[str]) -> None:
    """Refuse, before anything is created, an app user that could not be made as asked."""
    try:
        get_project(services, SYSTEM, project_id)
    except Problem as problem:
        if problem.status != 404:
            raise
        raise AppUserRefused(
            f"There is no project {project_id}: `jaring projects list` shows the projects,"
            " `jaring projects create NAME` makes one."
        ) from None
    if not name.strip():
        raise AppUserRefused('Give the app user a name, for example "HP Surabaya".')
    known = sorted(
        view.form.xml_form_id for view in list_forms(services, SYSTEM, project_id=project_id)
    )
    missing = [form_id for form_id in form_ids if form_id not in known]
    if missing:
        offered = ", ".join(known) if known else "none yet"
        raise AppUserRefused(
            f"Project {project_id} has no form {', '.join(missing)}; give --form one of its"
            f" forms (xmlFormId): {offered}."
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


def check_qr_file(target: Path) -> None:
    """Refuse a QR code file that could not be written: its type, or a missing folder."""
    if target.suffix.lower() not in QR_SUFFIXES:
        raise AppUserRefused(
            f"The QR code can be saved as .png or .svg, not {target.name!r}: name the file"
            " for example qr.png."
        )
    folder = target.parent
    if not folder.is_dir():
        raise AppUserRefused(f"There is no folder {folder} to save the QR code in: make it first.")
    if not os.access(folder, os.W_OK):
        raise AppUserRefused(f"The folder {folder} is not writable: save the QR code elsewhere.")
    if target.is_dir():
        raise AppUserRefused(f"{target} is a folder: give a file name such as {target / 'qr.png'}.")


def save_qr(qr: segno.QRCode, target: Path) -> None:
    check_qr_file(target)
    try:
        qr.save(str(target), scale=6, border=4)
    except OSError as error:
        raise AppUserRefused(f"Could not save the QR code to {target}: {error.strerror}.") from None
