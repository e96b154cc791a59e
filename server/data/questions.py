"""What a person reads in a form: question and group labels, hints and choices, in each of
the form's languages, read from its XForm.

`read_questions(xform)` gives a `FormQuestions`: for every control of the body (input,
select, upload, group, repeat…) its path (without the root, as in the field schema),
its labels and hints by language, its choices (inline items, or an itemset over a
secondary instance with ``itextId``s or plain labels), or, for ``select_one_from_file``,
the name of the CSV or XML file its choices come from, whose labels `choice_label` reads
from a `ChoiceFiles` mapping the caller provides (file name -> value -> label).

Languages are the XForm's translation names (``Bahasa Indonesia (id)``); a language is
asked for by that name or by the code in its parentheses (``id``), and falls back to the
form's default language, then to any label at all.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from lxml import etree

from server.data.xml import local_name, parse_untrusted_xml

ChoiceFiles = Mapping[str, Mapping[str, str]]
"""Labels of choices that come from a form's media files: file name -> value -> label."""

_ITEXT = re.compile(r"jr:itext\(\s*'([^']+)'\s*\)")
_INSTANCE = re.compile(r"instance\(\s*'([^']+)'\s*\)")
_CODE = re.compile(r"\(([A-Za-z]{2,3}(?:-[A-Za-z0-9]+)?)\)\s*$")
_CONTROLS = {"input", "select1", "select", "upload", "range", "rank", "trigger", "odk:rank"}


@dataclass(frozen=True)
class Choice:
    value: str
    labels: Mapping[str, str]  # translation name ("" when the form has none) -> text


@dataclass(frozen=True)
class Question:
    """One control of the form's body: a question, a group or a repeat."""

    path: str
    name: str
    control: str  # input, select1, select, upload, range, rank, trigger, group, repeat
    labels: Mapping[str, str]
    hints: Mapping[str, str]
    choices: tuple[Choice, ...] = ()
    choice_file: str | None = None  # the media file a select's choices come from
    appearance: str | None = None

    @property
    def is_select(self) -> bool:
        return self.control in ("select1", "select", "rank", "odk:rank")

    @property
    def is_group(self) -> bool:
        return self.control in ("group", "repeat")


@dataclass
class FormQuestions:
    """Every labelled control of a form, by path, and the form's languages."""

    languages: list[str]  # translation names, the default first
    questions: dict[str, Question] = field(default_factory=dict)

    def language_for(self, wanted: str | None) -> str | None:
        """The form's translation that ``wanted`` names (by name or code), else the default."""
        if wanted:
            for language in self.languages:
                if language == wanted or language_code(language) == wanted.lower():
                    return language
        return self.languages[0] if self.languages else None

    def label(self, path: str, language: str | None = None) -> str:
        """The question's label, or its name when it has none."""
        question = self.questions.get(path)
        if question is None:
            return path.rsplit("/", 1)[-1]
        return _pick(question.labels, self.language_for(language)) or question.name

    def hint(self, path: str, language: str | None = None) -> str:
        question = self.questions.get(path)
        return _pick(question.hints, self.language_for(language)) if question else ""

    def choice_label(
        self,
        path: str,
        value: str,
        language: str | None = None,
        files: ChoiceFiles | None = None,
    ) -> str:
        """The label of one chosen value; the value itself when it is not a known choice."""
        question = self.questions.get(path)
        if question is None:
            return value
        if question.choice_file is not None:
            return (files or {}).get(question.choice_file, {}).get(value, value)
        for choice in question.choices:
            if choice.value == value:
                return _pick(choice.labels, self.language_for(language)) or value
        return value

    def answer_text(
        self,
        path: str,
        raw: str | None,
        language: str | None = None,
        files: ChoiceFiles | None = None,
    ) -> str:
        """An answer as a person reads it: choices by their labels (several joined by
        commas for a select_multiple), anything else as it was sent."""
        if raw is None:
            return ""
        question = self.questions.get(path)
        if question is None or not question.is_select:
            return raw
        if question.control == "select1":
            return self.choice_label(path, raw.strip(), language, files)
        return ", ".join(self.choice_label(path, v, language, files) for v in raw.split())


def language_code(name: str) -> str:
    """``Bahasa Indonesia (id)`` -> ``id``; a name without a code is its own code."""
    match = _CODE.search(name)
    return match.group(1).lower() if match else name.lower()


def _pick(texts: Mapping[str, str], language: str | None) -> str:
    if language is not None and texts.get(language):
        return texts[language]
    if texts.get(""):
        return texts[""]
    return next((text for text in texts.values() if text), "")


def read_questions(xform: bytes) -> FormQuestions:
    """Every control of the XForm's body with its labels, hints and choices."""
    root = parse_untrusted_xml(xform)
    translations, default = _translations(root)
    languages = sorted(translations, key=lambda name: (name != default, name))
    instances = _secondary_instances(root)
    root_name = _root_name(root)
    result = FormQuestions(languages=[name for name in languages if name])
    body = next((el for el in root if isinstance(el.tag, str) and local_name(el) == "body"), None)
    if body is None:
        return result
    for element in body.iter():
        if not isinstance(element.tag, str):
            continue
        control = local_name(element)
        if control not in _CONTROLS and control not in ("group", "repeat"):
            continue
        ref = element.get("ref") or element.get("nodeset")
        if not ref:
            continue
        path = _strip_root(ref, root_name)
        if control == "group" and any(
            isinstance(c.tag, str) and local_name(c) == "repeat" for c in element
        ):
            control = "repeat"  # the label of a repeat sits on the group around it
        labels = _texts(element, "label", translations)
        hints = _texts(element, "hint", translations)
        choices, choice_file = _choices(element, translations, instances)
        known = result.questions.get(path)
        if known is not None and (known.labels or not labels):
            continue
        result.questions[path] = Question(
            path=path,
            name=path.rsplit("/", 1)[-1],
            control=control,
            labels=labels,
            hints=hints,
            choices=choices,
            choice_file=choice_file,
            appearance=element.get("appearance"),
        )
    return result


def read_choice_file(name: str, content: bytes) -> dict[str, str]:
    """value -> label of a ``select_one_from_file`` CSV (``name``/``label`` columns) or
    XML (``item`` elements with ``name`` and ``label`` children) file."""
    if name.lower().endswith(".csv"):
        text = content.decode("utf-8-sig", errors="replace")
        reader = csv.DictReader(io.StringIO(text))
        labels: dict[str, str] = {}
        for row in reader:
            value = (row.get("name") or "").strip()
            if value:
                label_key = next(
                    (k for k in row if k and (k == "label" or k.startswith("label::"))), None
                )
                labels[value] = (row.get(label_key) or value) if label_key else value
        return labels
    if name.lower().endswith(".xml"):
        root = parse_untrusted_xml(content)
        labels = {}
        for item in root.iter():
            if isinstance(item.tag, str) and local_name(item) == "item":
                values = {
                    local_name(c): (c.text or "").strip() for c in item if isinstance(c.tag, str)
                }
                if values.get("name"):
                    labels[values["name"]] = values.get("label") or values["name"]
        return labels
    return {}


def _translations(root: etree._Element) -> tuple[dict[str, dict[str, str]], str | None]:
    translations: dict[str, dict[str, str]] = {}
    default: str | None = None
    for element in root.iter():
        if not isinstance(element.tag, str) or local_name(element) != "translation":
            continue
        lang = element.get("lang") or ""
        if element.get("default") is not None and default is None:
            default = lang
        texts: dict[str, str] = {}
        for text in element:
            if not isinstance(text.tag, str) or local_name(text) != "text":
                continue
            value = next(
                (
                    v
                    for v in text
                    if isinstance(v.tag, str) and local_name(v) == "value" and v.get("form") is None
                ),
                None,
            )
            if value is not None:
                texts[text.get("id") or ""] = " ".join("".join(value.itertext()).split())
        translations[lang] = texts
    if default is None and translations:
        default = next(iter(translations))
    return translations, default


def _texts(
    element: etree._Element, kind: str, translations: dict[str, dict[str, str]]
) -> dict[str, str]:
    """The label or hint of a control, by language ("" for a text without translations)."""
    child = next((c for c in element if isinstance(c.tag, str) and local_name(c) == kind), None)
    if child is None:
        return {}
    match = _ITEXT.match(child.get("ref") or "")
    if match:
        return {
            lang: texts[match.group(1)]
            for lang, texts in translations.items()
            if texts.get(match.group(1))
        }
    text = " ".join("".join(child.itertext()).split())
    return {"": text} if text else {}


def _secondary_instances(root: etree._Element) -> dict[str, etree._Element | str]:
    """Secondary instances by id: their element, or the media file a ``src`` names."""
    found: dict[str, etree._Element | str] = {}
    for element in root.iter():
        if not isinstance(element.tag, str) or local_name(element) != "instance":
            continue
        instance_id = element.get("id")
        if not instance_id:
            continue
        src = element.get("src")
        if src:
            found[instance_id] = src.rsplit("/", 1)[-1]
        else:
            found[instance_id] = element
    return found


def _choices(
    element: etree._Element,
    translations: dict[str, dict[str, str]],
    instances: dict[str, etree._Element | str],
) -> tuple[tuple[Choice, ...], str | None]:
    choices: list[Choice] = []
    for child in element:
        if not isinstance(child.tag, str):
            continue
        name = local_name(child)
        if name == "item":
            value = next(
                (
                    c.text or ""
                    for c in child
                    if isinstance(c.tag, str) and local_name(c) == "value"
                ),
                "",
            ).strip()
            choices.append(Choice(value, _texts(child, "label", translations)))
        elif name == "itemset":
            match = _INSTANCE.search(child.get("nodeset") or "")
            source = instances.get(match.group(1)) if match else None
            if isinstance(source, str):
                return (), source
            if source is not None:
                choices.extend(_itemset_choices(child, source, translations))
    return tuple(choices), None


def _itemset_choices(
    itemset: etree._Element,
    instance: etree._Element,
    translations: dict[str, dict[str, str]],
) -> list[Choice]:
    value_ref, label_ref = "name", "label"
    for child in itemset:
        if isinstance(child.tag, str) and local_name(child) == "value":
            value_ref = child.get("ref") or value_ref
        elif isinstance(child.tag, str) and local_name(child) == "label":
            label_ref = child.get("ref") or label_ref
    itext = re.match(r"jr:itext\(\s*(\w+)\s*\)", label_ref)
    choices = []
    for item in instance.iter():
        if not isinstance(item.tag, str) or local_name(item) != "item":
            continue
        values = {local_name(c): (c.text or "").strip() for c in item if isinstance(c.tag, str)}
        value = values.get(value_ref, "")
        if itext:
            text_id = values.get(itext.group(1), "")
            labels = {
                lang: texts[text_id] for lang, texts in translations.items() if texts.get(text_id)
            }
        else:
            labels = {"": values[label_ref]} if values.get(label_ref) else {}
        choices.append(Choice(value, labels))
    return choices


def _root_name(root: etree._Element) -> str:
    for element in root.iter():
        if isinstance(element.tag, str) and local_name(element) == "instance":
            if element.get("id") is None:
                data = next((c for c in element if isinstance(c.tag, str)), None)
                if data is not None:
                    return "/" + local_name(data)
    return ""


def _strip_root(ref: str, root_name: str) -> str:
    ref = ref.strip()
    return ref[len(root_name) :] if root_name and ref.startswith(root_name + "/") else ref
