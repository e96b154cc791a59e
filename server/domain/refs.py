"""The addresses of a form and of a submission, each as one value.

Routes under ``/projects/{id}/forms/{xmlFormId}[/submissions/{instanceId}]`` receive one
of these instead of two or three loose arguments, and hand it on whole (`where`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FormRef:
    """A form, by its project and its ``xmlFormId``."""

    project_id: int
    xml_form_id: str

    def where(self) -> dict[str, Any]:
        """The keyword arguments the domain functions take for a form."""
        return {"project_id": self.project_id, "xml_form_id": self.xml_form_id}


@dataclass(frozen=True)
class SubmissionRef:
    """A submission, by its form and its (first) instanceID."""

    project_id: int
    xml_form_id: str
    instance_id: str

    @property
    def form(self) -> FormRef:
        return FormRef(self.project_id, self.xml_form_id)

    def where(self) -> dict[str, Any]:
        """The keyword arguments the domain functions take for a submission."""
        return {**self.form.where(), "instance_id": self.instance_id}
