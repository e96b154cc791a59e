"""How a form's submissions read to a person: question labels, hints and choice labels in
the form's languages, with the labels of choices that come from its media files (the
wilayah lists of ``select_one_from_file``), and the field schema they go with.

Parsed once per published definition and once per media file (by their hashes) and kept
in a small cache: the console asks for them on every page of submissions.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from server import problems
from server.data.questions import ChoiceFiles, FormQuestions, read_choice_file, read_questions
from server.data.xform import FieldInfo
from server.domain import Services
from server.domain.access import Actor
from server.domain.forms import attachments_with_blobs, get_form
from server.store.tables import Form, FormDef

CACHE_SIZE = 64


@dataclass
class FormLabels:
    """A published form definition as a reader sees it."""

    form: Form
    definition: FormDef
    fields: list[FieldInfo]
    questions: FormQuestions
    choice_files: ChoiceFiles = field(default_factory=dict)

    @property
    def title(self) -> str:
        return self.definition.name or self.form.xml_form_id

    def label(self, path: str, language: str | None) -> str:
        return self.questions.label(path, language)

    def answer(self, path: str, raw: str | None, language: str | None) -> str:
        return self.questions.answer_text(path, raw, language, self.choice_files)

    def choice_label(self, path: str, value: str, language: str | None) -> str:
        return self.questions.choice_label(path, value, language, self.choice_files)


class _Cache:
    def __init__(self) -> None:
        self._items: OrderedDict[tuple[str, ...], object] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, ...]) -> object | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: tuple[str, ...], value: object) -> None:
        with self._lock:
            self._items[key] = value
            while len(self._items) > CACHE_SIZE:
                self._items.popitem(last=False)


_questions = _Cache()
_files = _Cache()


def form_labels(
    services: Services, actor: Actor, *, project_id: int, xml_form_id: str
) -> FormLabels:
    """The published definition of a form with its labels (404.1 before publishing)."""
    view = get_form(services, actor, project_id=project_id, xml_form_id=xml_form_id)
    definition = view.definition
    if view.form.current_def_id is None or definition is None or definition.id is None:
        raise problems.not_found()
    key = ("questions", definition.sha256)
    questions = _questions.get(key)
    if not isinstance(questions, FormQuestions):
        questions = read_questions(definition.xml)
        _questions.put(key, questions)
    wanted = {q.choice_file for q in questions.questions.values() if q.choice_file}
    files: dict[str, dict[str, str]] = {}
    if wanted:
        for attachment, blob in attachments_with_blobs(services, form_def_id=definition.id):
            if attachment.name in wanted and blob is not None:
                files[attachment.name] = _choice_file(services, attachment.name, blob.sha256)
    return FormLabels(
        form=view.form,
        definition=definition,
        fields=[FieldInfo.from_json(f) for f in definition.schema_],
        questions=questions,
        choice_files=files,
    )


def _choice_file(services: Services, name: str, sha256: str) -> dict[str, str]:
    key = ("file", name, sha256)
    found = _files.get(key)
    if isinstance(found, dict):
        return found
    try:
        labels = read_choice_file(name, services.blobs.read_bytes(sha256))
    except (OSError, ValueError):
        labels = {}
    _files.put(key, labels)
    return labels
