"""Every text of the console has its Indonesian translation, with the same placeholders."""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from server.console.i18n import LOCALES_DIR

CONSOLE = Path(__file__).resolve().parents[2] / "server" / "console"
METHODS = [
    ("**.py", "python"),
    ("templates/**.html", "jinja2"),
]
OPTIONS = {"templates/**.html": {"extensions": "jinja2.ext.i18n", "trimmed": "true"}}


def _extracted() -> set[str]:
    found: set[str] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(CONSOLE), METHODS, OPTIONS
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def _catalogue() -> Catalog:
    with (LOCALES_DIR / "id" / "LC_MESSAGES" / "messages.po").open("rb") as source:
        return read_po(source, locale="id")


def test_every_console_text_is_translated_into_indonesian() -> None:
    catalogue = _catalogue()
    missing = []
    for text in sorted(_extracted()):
        message = catalogue.get(text)
        translated = message is not None and (
            all(message.string) if isinstance(message.string, tuple) else bool(message.string)
        )
        if not translated:
            missing.append(text)
    assert missing == [], f"{len(missing)} texts without an Indonesian translation: {missing}"


def test_translations_keep_their_placeholders() -> None:
    problems = [
        (message.id, [str(error) for error in errors])
        for message, errors in _catalogue().check()
        if errors
    ]
    assert problems == []
