"""`jaring forms …`: build, check and document the XLSForm instruments.

Parses arguments and calls `server.tasks.instruments`; every error or warning found
there becomes one line on standard error and exit status 1.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer

from server.cli.errors import ask_password
from server.external.odk_validate import ValidatorUnavailable
from server.tasks import instruments

app = typer.Typer(help="Build, check and document the XLSForm instruments.", no_args_is_help=True)

InstrumentsDir = Annotated[
    Path,
    typer.Option(
        "--instruments",
        "-i",
        help="Folder holding the .xlsx instruments and their media/ folder.",
        file_okay=False,
    ),
]
DEFAULT_INSTRUMENTS = Path("instruments")


def _fail(lines: list[str]) -> None:
    for line in lines:
        typer.echo(line, err=True)
    raise typer.Exit(code=1)


def _need_folder(folder: Path) -> None:
    if not folder.is_dir():
        _fail(
            [
                f"Error: there is no folder {folder} of instruments: run this in Jaring's"
                " repository, or give the folder with --instruments."
            ]
        )


@app.command()
def build(
    out: Annotated[Path, typer.Option(help="Where to write the XForms and their media.")] = Path(
        "build"
    ),
    instruments_dir: InstrumentsDir = DEFAULT_INSTRUMENTS,
) -> None:
    """Compile every instrument to <form_id>.xml plus <form_id>-media/ in OUT."""
    _need_folder(instruments_dir)
    try:
        compiled = instruments.build(instruments_dir, out)
    except instruments.InstrumentError as error:
        _fail([str(finding) for finding in error.findings])
        return
    for instrument in compiled:
        lists = "".join(
            f", entity list {name} (served by the server)" for name in instrument.entity_lists
        )
        typer.echo(
            f"{instrument.path.name}: {instrument.form_id} version {instrument.version}, "
            f"{len(instrument.media)} media file(s){lists}"
            f" -> {out / (instrument.form_id + '.xml')}"
        )


@app.command()
def check(
    instruments_dir: InstrumentsDir = DEFAULT_INSTRUMENTS,
    validate: Annotated[
        bool, typer.Option(help="Run ODK Validate (needs Java) after compiling.")
    ] = True,
) -> None:
    """Compile every instrument and run ODK Validate; exit 1 on any error or warning."""
    _need_folder(instruments_dir)
    started = time.monotonic()
    try:
        problems = instruments.check(instruments_dir, run_validate=validate)
    except ValidatorUnavailable as error:
        _fail([f"ODK Validate could not run: {error}"])
        return
    if problems:
        _fail(problems)
    count = len(instruments.find_instruments(instruments_dir))
    typer.echo(f"{count} instrument(s) OK in {time.monotonic() - started:.1f} s.")


@app.command()
def dump(
    instruments_dir: InstrumentsDir = DEFAULT_INSTRUMENTS,
    check_only: Annotated[
        bool,
        typer.Option("--check", help="Write nothing; exit 1 if the committed files are stale."),
    ] = False,
) -> None:
    """Regenerate the text form (text/<instrument>/<sheet>.csv) and CODEBOOK.md."""
    _need_folder(instruments_dir)
    if check_only:
        problems = instruments.out_of_sync(instruments_dir)
        if problems:
            _fail([*problems, "Run `jaring forms dump` and commit the result."])
        typer.echo("Text form and codebook are in sync with the workbooks.")
        return
    written = instruments.dump(instruments_dir)
    for path in written:
        typer.echo(f"wrote {path}")
    if not written:
        typer.echo("Nothing to do: text form and codebook were already in sync.")


@app.command()
def wilayah(
    source: Annotated[
        Path,
        typer.Argument(
            help="Folder with provinces/regencies/districts/villages.csv and SOURCE.md."
        ),
    ],
    instruments_dir: InstrumentsDir = DEFAULT_INSTRUMENTS,
) -> None:
    """Write the location-cascade media files into INSTRUMENTS/media/ from the wilayah lists."""
    _need_folder(instruments_dir)
    for path in instruments.write_wilayah_media(
        source, instruments_dir / instruments.MEDIA_DIRNAME
    ):
        typer.echo(f"wrote {path}")


@app.command()
def push(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Workbooks or folders of workbooks (default: instruments/)."),
    ] = None,
    server: Annotated[
        str | None, typer.Option(help="Server origin, e.g. https://jaring.example.org.")
    ] = None,
    project: Annotated[int | None, typer.Option(help="Project ID on the server.")] = None,
    email: Annotated[
        str | None, typer.Option(envvar="JARING_EMAIL", help="Web user's email.")
    ] = None,
    config: Annotated[
        Path | None, typer.Option(help="pyODK config file (its central section).")
    ] = None,
) -> None:
    """Compile the instruments, then create or update and publish them on a server.

    The password comes from JARING_PASSWORD, the pyODK config file, or a prompt.
    """
    from sync import CentralClient, SyncError
    from sync.push import compile_all, push_instruments, resolve_credentials

    for path in paths or [DEFAULT_INSTRUMENTS]:
        if not path.exists():
            _fail([f"Error: there is no {path}: give workbooks (.xlsx) or folders of them."])
    try:
        compiled = compile_all(paths or [DEFAULT_INSTRUMENTS])
    except instruments.InstrumentError as error:
        _fail([str(finding) for finding in error.findings])
        return
    except SyncError as error:
        _fail([str(error)])
        return
    try:
        credentials = resolve_credentials(
            server_url=server,
            email=email,
            config_path=config,
            prompt=lambda: ask_password("Password", "JARING_PASSWORD"),
        )
    except SyncError as error:
        _fail([str(error)])
        return
    project_id = project or credentials.default_project_id
    if project_id is None:
        _fail(["no project given (--project or default_project_id in the config file)"])
        return
    bars: dict[str, Any] = {}

    def progress(name: str, sent: int, total: int) -> None:
        bar = bars.get(name)
        if bar is None:
            bar = bars[name] = typer.progressbar(length=max(total, 1), label=f"uploading {name}")
            bar.__enter__()
        bar.update(sent - bar.pos)
        if sent >= total:
            bar.__exit__(None, None, None)

    try:
        with CentralClient(credentials) as client:
            outcomes = push_instruments(client, project_id, compiled, progress=progress)
    except SyncError as error:
        _fail([str(error)])
        return
    for outcome in outcomes:
        media = f", uploaded {', '.join(outcome.uploaded)}" if outcome.uploaded else ""
        sealed = ", encrypted" if outcome.encrypted else ""
        typer.echo(f"{outcome.form_id} version {outcome.version}: {outcome.action}{media}{sealed}")
    for outcome in outcomes:
        if outcome.form_id in instruments.MEANT_ENCRYPTED and not outcome.encrypted:
            typer.echo(instruments.unencrypted_warning(outcome.form_id), err=True)
