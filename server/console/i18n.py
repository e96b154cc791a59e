"""The console's languages: Bahasa Indonesia first, English; translations and formatting.

Texts are written in English in the code and templates and translated through the Babel
catalogue ``locales/id/LC_MESSAGES/messages.po`` (read, and compiled in memory, when the
server starts: no compiled ``.mo`` file is kept). English needs no catalogue. Dates,
times and numbers are formatted by Babel for the chosen language, in the server's time
zone (``JARING_TIMEZONE``).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent
from babel.support import NullTranslations, Translations

LOCALES_DIR = Path(__file__).parent / "locales"
DEFAULT_LANGUAGE = "id"
LANGUAGES: dict[str, str] = {"id": "Bahasa Indonesia", "en": "English"}


def language_or_default(value: str | None) -> str:
    """``value`` if it names one of the console's languages, else the default."""
    return value if value in LANGUAGES else DEFAULT_LANGUAGE


@cache
def translations(language: str) -> NullTranslations:
    """The gettext translations of ``language`` (English: the texts as written)."""
    catalogue = LOCALES_DIR / language / "LC_MESSAGES" / "messages.po"
    if not catalogue.is_file():
        return NullTranslations()
    with catalogue.open("rb") as source:
        catalog = read_po(source, locale=language)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(fp=compiled)


@dataclass(frozen=True)
class Formatter:
    """Dates and numbers as a reader of ``language`` expects them."""

    language: str
    timezone: ZoneInfo

    def datetime(self, moment: datetime | None, style: str = "medium") -> str:
        if moment is None:
            return ""
        return format_datetime(moment, style, tzinfo=self.timezone, locale=self.language)

    def date(self, moment: datetime | None) -> str:
        if moment is None:
            return ""
        return format_date(moment.astimezone(self.timezone), "medium", locale=self.language)

    def number(self, value: float | int | None) -> str:
        if value is None:
            return ""
        return format_decimal(value, locale=self.language)

    def percent(self, share: float) -> str:
        return format_percent(share, "#,##0.#%", locale=self.language)

    def language_name(self, code: str) -> str:
        return Locale.parse(code).get_display_name(self.language) or code


@cache
def formatter(language: str, timezone: str) -> Formatter:
    return Formatter(language=language, timezone=ZoneInfo(timezone))
