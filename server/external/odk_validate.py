"""ODK Validate (JavaRosa, the form engine inside ODK Collect) run on an XForm.

pyxform ships ``ODK_Validate.jar``; this module runs it with ``java -jar`` on an XForm
written to a temporary file and returns what it reported. It is the only place that
starts a JVM. A missing Java runtime or jar is a `ValidatorUnavailable`, not a form error.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from pyxform.validators.odk_validate import ODK_VALIDATE_PATH

DEFAULT_TIMEOUT_SECONDS = 120

# Lines ODK Validate prints on every run; they carry no finding.
_PROGRESS_LINES = (
    "Validating:",
    ">> Xform parsing completed!",
    ">> Xform is valid!",
    ">> Xform is valid! See above warnings.",
    ">> XForm is invalid.",
    "The following files failed validation:",
    "Result: Invalid",
)


class ValidatorUnavailable(RuntimeError):
    """Java or the ODK Validate jar cannot be found, or the validator did not finish."""


@dataclass(frozen=True)
class ValidationResult:
    """What ODK Validate said: ``errors`` make the form unusable in Collect."""

    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and not self.warnings


def jar_path() -> Path:
    """The ODK Validate jar bundled with pyxform."""
    return Path(ODK_VALIDATE_PATH)


def _findings(text: str, xform_path: Path) -> list[str]:
    """The lines that say something, without progress chatter, stack frames or file names."""
    kept = []
    for line in text.splitlines():
        line = line.rstrip()
        stripped = line.strip()
        if not stripped or stripped.startswith(_PROGRESS_LINES) or stripped.startswith("at "):
            continue
        if stripped == str(xform_path) or stripped.startswith("... "):
            continue
        kept.append(stripped.replace(str(xform_path), "the XForm"))
    return kept


def validate_xform(
    xform: bytes, *, java: str = "java", timeout: float = DEFAULT_TIMEOUT_SECONDS
) -> ValidationResult:
    """Run ODK Validate on ``xform`` and return its errors and warnings, one per line.

    A non-zero exit means the form is invalid: every reported line is then an error.
    Otherwise anything on standard error is a warning.
    """
    java_binary = shutil.which(java)
    if java_binary is None:
        raise ValidatorUnavailable(
            "ODK Validate needs a Java runtime (8 or newer) on PATH; install one, "
            "for example `apt-get install default-jre-headless`."
        )
    jar = jar_path()
    if not jar.is_file():
        raise ValidatorUnavailable(f"ODK Validate is not installed at {jar}.")
    with tempfile.TemporaryDirectory(prefix="jaring-validate-") as directory:
        xform_path = Path(directory) / "form.xml"
        xform_path.write_bytes(xform)
        try:
            completed = subprocess.run(
                [java_binary, "-Djava.awt.headless=true", "-jar", str(jar), str(xform_path)],
                capture_output=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as error:
            raise ValidatorUnavailable(
                f"ODK Validate did not finish within {timeout:g} seconds."
            ) from error
    stdout = completed.stdout.decode("utf-8", errors="replace")
    stderr = completed.stderr.decode("utf-8", errors="replace")
    if completed.returncode != 0:
        errors = _findings(stderr, xform_path) or _findings(stdout, xform_path)
        return ValidationResult(errors=errors or [f"ODK Validate exited {completed.returncode}"])
    return ValidationResult(warnings=_findings(stderr, xform_path))
