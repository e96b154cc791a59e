"""What a form's downloads page shows before anything is downloaded: how many
submissions there are, when the last one came, and in which of the form's languages a
spreadsheet with labels should be made for its reader.

The downloads themselves are the REST API's exports (`server.domain.exports`), linked
from the page; this module only needs the right to read submissions, as they do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from babel import Locale, UnknownLocaleError

from server import problems
from server.domain import Services
from server.domain.access import SUBMISSION_READ, Actor
from server.domain.forms import authorised_form, form_stats
from server.domain.labels import form_labels
from server.domain.projects import get_project
from server.store.tables import Form, Project

_WORDS = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True)
class DownloadsView:
    project: Project
    form: Form
    title: str
    submissions: int
    last_submission: datetime | None
    label_language: str | None  # the form's translation in the reader's language, if any


def downloads_view(
    services: Services, actor: Actor, *, project_id: int, xml_form_id: str, language: str
) -> DownloadsView:
    """The downloads page of a published form, for a reader of ``language`` (a code such
    as ``id``); 403.1 without ``submission.read``, 404.1 before the form is published."""
    form = authorised_form(services, actor, project_id, xml_form_id, SUBMISSION_READ)
    if form.current_def_id is None:
        raise problems.not_found()
    project = get_project(services, actor, project_id)
    labels = form_labels(services, actor, project_id=project_id, xml_form_id=xml_form_id)
    stats = form_stats(services, form)[0]
    last = stats.get("lastSubmission")
    count = stats.get("submissions")
    return DownloadsView(
        project=project,
        form=form,
        title=labels.title,
        submissions=count if isinstance(count, int) else 0,
        last_submission=last if isinstance(last, datetime) else None,
        label_language=matching_language(labels.questions.languages, language),
    )


def matching_language(languages: list[str], code: str) -> str | None:
    """The one of a form's translation names (``Bahasa Indonesia (id)``, ``Indonesian``,
    ``English (en)``) that means the language ``code``; None when none does."""
    wanted = {code.lower()}
    try:
        locale = Locale.parse(code)
    except (ValueError, UnknownLocaleError):
        locale = None
    if locale is not None:
        wanted |= {name.lower() for name in (locale.english_name, locale.display_name) if name}
    for language in languages:
        if wanted & set(_WORDS.findall(language.lower())) or language.lower() in wanted:
            return language
    return None
