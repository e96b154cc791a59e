"""Publishing the instruments folder to a project, for the first-run command.

Each instrument is compiled, then created (draft, media, publish) or, when its version
changed, published as a new version; an instrument whose version is already published
is left alone. A form that registers entities goes before the forms that read its entity
list (`publishing_order`), so a fresh project gets the initiative profile before the
visit log that picks initiatives from it.
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from pathlib import Path

from server.data.encryption import plain_version
from server.data.xform import read_xform
from server.domain import Services, forms
from server.domain.access import SYSTEM
from server.problems import Problem
from server.tasks.instruments import compile_instrument, find_instruments, publishing_order


@dataclass
class PublishOutcome:
    form_id: str
    version: str
    action: str  # "created", "updated" or "unchanged"
    encrypted: bool = False  # whether its submissions now come encrypted


def publish_instruments(
    services: Services, *, project_id: int, instruments_dir: Path
) -> list[PublishOutcome]:
    outcomes = []
    every = [compile_instrument(path) for path in find_instruments(instruments_dir)]
    for compiled in publishing_order(every):
        definition = forms.Definition(
            xml=compiled.xform, info=read_xform(compiled.xform), xlsx=compiled.path.read_bytes()
        )
        try:
            view = forms.get_form(
                services, SYSTEM, project_id=project_id, xml_form_id=compiled.form_id
            )
        except Problem as problem:
            if problem.status != 404:
                raise
            view = None
        if (
            view is not None
            and view.form.current_def_id is not None
            and view.definition
            and plain_version(view.definition.version) == compiled.version
        ):
            outcomes.append(
                PublishOutcome(
                    compiled.form_id,
                    compiled.version,
                    "unchanged",
                    view.definition.key_id is not None,
                )
            )
            continue
        if view is None:
            forms.create_form(
                services, SYSTEM, project_id=project_id, definition=definition, publish=False
            )
            action = "created"
        else:
            forms.create_draft(
                services,
                SYSTEM,
                project_id=project_id,
                xml_form_id=compiled.form_id,
                definition=definition,
            )
            action = "updated"
        for name, media_path in sorted(compiled.media.items()):
            with media_path.open("rb") as content:
                forms.set_draft_attachment(
                    services,
                    SYSTEM,
                    project_id=project_id,
                    xml_form_id=compiled.form_id,
                    name=name,
                    content=content,
                    content_type=mimetypes.guess_type(name)[0] or "application/octet-stream",
                )
        forms.publish_draft(services, SYSTEM, project_id=project_id, xml_form_id=compiled.form_id)
        published = forms.get_form(
            services, SYSTEM, project_id=project_id, xml_form_id=compiled.form_id
        ).definition
        encrypted = published is not None and published.key_id is not None
        outcomes.append(PublishOutcome(compiled.form_id, compiled.version, action, encrypted))
    return outcomes
