"""Fill compiled instruments with JavaRosa, the engine inside ODK Collect, along scripted paths.

`FormFill.java` (next to this module) walks an XForm question by question as an enumerator
does: the engine evaluates relevance, constraints, required answers and choice filters, and
the form is finalised as Collect finalises it. It is compiled once per test session against
the JavaRosa that ships in pyxform's ODK Validate jar, so it needs a JDK (``javac``).

A path is a mapping of question names to answers, plus optional keys:
``*default`` (a choice to pick wherever it is offered and nothing else is scripted),
``*fill`` (``yes``: answer any required question still unanswered with the first choice or a
plain value)
and ``*repeat:<name>`` (how many instances of a repeat to add).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from server.external.odk_validate import jar_path

SOURCE = Path(__file__).resolve().parent / "javarosa" / "FormFill.java"
TIMEOUT_SECONDS = 300


@dataclass
class Fill:
    """What happened along one path: the questions asked (in order), notes shown, the error
    that stopped the fill if any, and the finalised instance."""

    asked: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    repeats: list[str] = field(default_factory=list)
    error: str | None = None
    finished: bool = False
    xml: bytes = b""

    @property
    def questions(self) -> list[str]:
        return [name for name, _value in self.asked]

    @property
    def shown(self) -> set[str]:
        return set(self.questions) | set(self.notes)

    def values(self) -> dict[str, str]:
        """Every leaf of the submitted instance by name (repeats: the last instance)."""
        if not self.xml:
            return {}
        root = etree.fromstring(self.xml)
        return {
            etree.QName(e).localname: (e.text or "")
            for e in root.iter()
            if isinstance(e.tag, str) and len(e) == 0
        }

    def all_values(self, name: str) -> list[str]:
        root = etree.fromstring(self.xml)
        return [e.text or "" for e in root.iter() if etree.QName(e).localname == name]


def compile_formfill(out_dir: Path) -> Path:
    """Compile FormFill.java into ``out_dir``; return the classpath to run it with."""
    javac = shutil.which("javac")
    if javac is None:
        raise RuntimeError(
            "the JavaRosa fills need a JDK (javac); install one, for example "
            "`apt-get install default-jdk-headless` (scripts/test does)"
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [javac, "-Xlint:all", "-Werror", "-cp", str(jar_path()), "-d", str(out_dir), str(SOURCE)],
        check=True,
        capture_output=True,
        timeout=TIMEOUT_SECONDS,
    )
    return out_dir


def _parse(log: str, xml: bytes) -> Fill:
    fill = Fill(xml=xml)
    for line in log.splitlines():
        kind, _, rest = line.partition(" ")
        if kind == "QUESTION":
            name, _, value = rest.partition(" ")
            fill.asked.append((name, value))
        elif kind == "NOTE":
            fill.notes.append(rest)
        elif kind == "REPEAT":
            fill.repeats.append(rest)
        elif kind == "ERROR":
            fill.error = rest
        elif kind == "END":
            fill.finished = True
    return fill


def fill_paths(
    classes: Path,
    xform: bytes,
    media_dir: Path,
    paths: Sequence[Mapping[str, str]],
    work: Path,
) -> list[Fill]:
    """Fill ``xform`` once per path, all in one JVM; one `Fill` per path, in order."""
    work.mkdir(parents=True, exist_ok=True)
    form = work / "form.xml"
    form.write_bytes(xform)
    args: list[str] = []
    for number, path in enumerate(paths):
        scenario = work / f"path{number}.tsv"
        lines = []
        for key, value in path.items():
            if "\t" in key + value or "\n" in key + value:
                raise ValueError(f"tab or newline in {key!r}: {value!r}")
            lines.append(f"{key}\t{value}")
        scenario.write_text("\n".join(lines) + "\n", encoding="utf-8")
        args += [str(scenario), str(work / f"path{number}")]
    java = shutil.which("java")
    if java is None:
        raise RuntimeError("the JavaRosa fills need a Java runtime on PATH")
    classpath = f"{jar_path()}:{classes}"
    subprocess.run(
        [java, "-cp", classpath, "FormFill", str(form), str(media_dir), *args],
        check=True,
        capture_output=True,
        timeout=TIMEOUT_SECONDS,
    )
    return [
        _parse(
            (work / f"path{number}.log").read_text(encoding="utf-8"),
            (work / f"path{number}.xml").read_bytes(),
        )
        for number in range(len(paths))
    ]
