"""Fixtures of the instrument tests: the instruments compiled once, and JavaRosa fills."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import pytest

from server.tasks.instruments import CompiledInstrument, compile_instrument
from tests.instruments.javarosa import Fill, compile_formfill, fill_paths

INSTRUMENTS = Path(__file__).resolve().parents[2] / "instruments"

FillPaths = Callable[..., list[Fill]]


@pytest.fixture(scope="session")
def instruments() -> dict[str, CompiledInstrument]:
    """Every instrument compiled, by workbook stem."""
    return {path.stem: compile_instrument(path) for path in sorted(INSTRUMENTS.glob("*.xlsx"))}


@pytest.fixture(scope="session")
def fill(
    instruments: dict[str, CompiledInstrument], tmp_path_factory: pytest.TempPathFactory
) -> FillPaths:
    """``fill(stem, paths, xform=None)``: JavaRosa fills of one instrument, one per path.

    ``xform`` replaces the compiled XForm (for a variant of it, such as the one the server
    sends once managed encryption is on)."""
    classes = compile_formfill(tmp_path_factory.mktemp("formfill"))
    runs = itertools.count()

    def run(
        stem: str, paths: Sequence[Mapping[str, str]], xform: bytes | None = None
    ) -> list[Fill]:
        compiled = instruments[stem]
        work = tmp_path_factory.mktemp(f"fill-{stem}-{next(runs)}")
        return fill_paths(classes, xform or compiled.xform, INSTRUMENTS / "media", paths, work)

    return run
