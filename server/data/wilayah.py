"""A form's place questions: the province and the regency chosen from the wilayah lists
(``select_one_from_file provinces.csv`` and ``regencies.csv``), which the map and the
summary filter by, and the regencies of one province.

Wilayah codes nest: a regency's code starts with its province's and a dot (``73.71`` is
in ``73``), so the regencies of a province are read from the codes alone.
"""

from __future__ import annotations

from collections.abc import Mapping

from server.data.questions import FormQuestions, Question
from server.data.tables import repeat_chain
from server.data.xform import FieldInfo

PROVINCES = "provinces.csv"
REGENCIES = "regencies.csv"


def file_question(
    questions: FormQuestions, fields: list[FieldInfo], file_name: str
) -> Question | None:
    """The first select_one outside every repeat whose choices come from ``file_name``."""
    for question in questions.questions.values():
        if (
            question.control == "select1"
            and question.choice_file == file_name
            and not repeat_chain(fields, question.path)
        ):
            return question
    return None


def regencies_of(province: str | None, regencies: Mapping[str, str]) -> list[tuple[str, str]]:
    """(code, name) of the regencies in ``province``, in the list's order; every regency
    when no province is chosen or when no code in the list starts with the province's."""
    everything = list(regencies.items())
    if not province:
        return everything
    inside = [(code, name) for code, name in everything if code.startswith(province + ".")]
    return inside or everything
