"""A user's mistake as one sentence saying what to do, never a Python traceback.

Commands turn the mistakes they expect into messages themselves (`refuse`); `Friendly`,
the `jaring` group, catches what reaches it from deeper down: a database that cannot be
opened, a server that cannot be reached, a file that is missing or not writable, a refusal
from the domain. Anything else is a bug, and keeps its traceback.
"""

from __future__ import annotations

import errno
import sys
from typing import Any, NoReturn

import typer
from typer.core import TyperGroup
from typer.exceptions import TyperException

from server.problems import Problem


def refuse(message: str) -> NoReturn:
    """Stop the command: ``Error: message`` on standard error, exit status 1."""
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(1)


def ask_password(label: str, variable: str) -> str:
    """A password typed in the terminal, or else the first line piped in; with neither,
    say which variable to set instead."""
    if sys.stdin.isatty():
        answer: str = typer.prompt(label, hide_input=True)
        return answer
    piped = sys.stdin.readline().rstrip("\r\n")
    if not piped:
        refuse(f"There is no terminal to type the password in: set {variable}.")
    return piped


class Friendly(TyperGroup):
    """The root command group: known kinds of failure become one sentence and status 1."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except (TyperException, typer.Exit, typer.Abort):
            raise
        except Exception as error:
            message = explain(error)
            if message is None:
                raise
            refuse(message)


def explain(error: BaseException) -> str | None:
    """The sentence for a failure a user can fix, or None for anything else (a bug)."""
    from server.external.blobs import BlobStoreUnavailable
    from server.tasks.app_users import AppUserRefused

    if isinstance(error, Problem):
        return error.message
    if isinstance(error, AppUserRefused | BlobStoreUnavailable):
        return str(error)
    for explainer in (_database, _network, _workbook):
        message = explainer(error)
        if message is not None:
            return message
    if isinstance(error, OSError):
        return _file(error)
    return None


def _database(error: BaseException) -> str | None:
    from sqlalchemy import exc

    if isinstance(error, exc.ArgumentError | exc.NoSuchModuleError):
        return (
            "DATABASE_URL is not a database address: write it as"
            " postgresql+psycopg://USER@HOST:5432/NAME, or unset it to use SQLite."
        )
    if isinstance(error, exc.OperationalError | exc.InterfaceError):
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        return (
            f"Could not open the database ({reason}): check DATABASE_URL, and that"
            " PostgreSQL is running and the database exists."
        )
    return None


def _network(error: BaseException) -> str | None:
    import httpx

    if isinstance(error, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return "A server address starts with http:// or https://, e.g. https://jaring.example.org."
    if isinstance(error, httpx.TransportError):
        where = ""
        try:
            where = f" {error.request.url.scheme}://{error.request.url.netloc.decode()}"
        except RuntimeError:  # no request attached
            pass
        return (
            f"Could not reach the server{where} ({error}): check the address and that"
            " the server is running."
        )
    return None


def _workbook(error: BaseException) -> str | None:
    from openpyxl.utils.exceptions import InvalidFileException

    if isinstance(error, InvalidFileException):
        return f"Not an XLSForm workbook (.xlsx): {error}"
    return None


def _file(error: OSError) -> str:
    name = error.filename or ""
    if isinstance(error, FileNotFoundError):
        return f"There is no {name}: check the path."
    if isinstance(error, PermissionError):
        return f"Not allowed to use {name}: choose a file or folder you may write to."
    if isinstance(error, FileExistsError | NotADirectoryError):
        return f"{name} is in the way (a file where a folder is needed): choose another path."
    if error.errno == errno.ENOSPC:
        return "The disk is full: make room, then try again."
    return f"{error.strerror or error}: {name}".rstrip(": ")
