"""The filters a form's map and summary share: the review state, and the province and
regency answered to the form's wilayah questions, with the lists a person chooses from.

A regency outside the chosen province is dropped (the province was changed after it
was chosen), so the two never contradict each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from server import problems
from server.data import wilayah
from server.domain.browse import REVIEW_STATES, SubmissionQuery
from server.domain.labels import FormLabels


@dataclass(frozen=True)
class Filters:
    """What is chosen, and what can be."""

    state: str | None = None
    province: str | None = None
    regency: str | None = None
    province_path: str | None = None
    regency_path: str | None = None
    provinces: list[tuple[str, str]] = field(default_factory=list)  # (code, name)
    regencies: list[tuple[str, str]] = field(default_factory=list)

    def query(self) -> SubmissionQuery:
        values: list[tuple[str, str]] = []
        if self.province and self.province_path:
            values.append((self.province_path, self.province))
        if self.regency and self.regency_path:
            values.append((self.regency_path, self.regency))
        return SubmissionQuery(
            review_states=(self.state,) if self.state else (), field_values=tuple(values)
        )

    @property
    def province_name(self) -> str | None:
        return dict(self.provinces).get(self.province or "", self.province)

    @property
    def regency_name(self) -> str | None:
        return dict(self.regencies).get(self.regency or "", self.regency)


def read_filters(
    labels: FormLabels,
    *,
    state: str | None,
    province: str | None,
    regency: str | None = None,
) -> Filters:
    """The filters asked for, checked against the form (400 for a state that is none)."""
    if state and state not in REVIEW_STATES:
        raise problems.unexpected_value(
            "state", state, f"expected one of {', '.join(REVIEW_STATES)}."
        )
    province_question = wilayah.file_question(labels.questions, labels.fields, wilayah.PROVINCES)
    regency_question = wilayah.file_question(labels.questions, labels.fields, wilayah.REGENCIES)
    provinces = list(labels.choice_files.get(wilayah.PROVINCES, {}).items())
    regencies: list[tuple[str, str]] = []
    if regency_question is not None:
        regencies = wilayah.regencies_of(province, labels.choice_files.get(wilayah.REGENCIES, {}))
        if regency and province and regencies and regency not in dict(regencies):
            regency = None
    return Filters(
        state=state or None,
        province=(province or None) if province_question else None,
        regency=(regency or None) if regency_question else None,
        province_path=province_question.path if province_question else None,
        regency_path=regency_question.path if regency_question else None,
        provinces=provinces if province_question else [],
        regencies=regencies,
    )
