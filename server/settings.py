"""Jaring's settings: one pydantic-settings class, built by the caller and passed in.

Nothing reads the environment at import time; `Settings()` is made by the command line
(or a test) and handed to `create_app(settings)` and to the tasks. Each worker process of
``jaring serve --workers N`` makes its own in `create_app_from_environment`, from the
environment the command line prepared.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every setting, with its environment variable (``JARING_…`` unless named otherwise)."""

    model_config = SettingsConfigDict(env_prefix="JARING_", extra="ignore")

    data_dir: Path = Field(
        default=Path("jaring-data"),
        description="Folder for the SQLite database (by default) and the attachment blob store.",
    )
    database_url: str | None = Field(
        default=None,
        validation_alias="DATABASE_URL",
        description=(
            "SQLAlchemy URL of the database, e.g. postgresql+psycopg://postgres@127.0.0.1/jaring."
            " Unset: a SQLite file jaring.db in the data directory."
        ),
    )
    blob_store: Literal["files", "postgres"] | None = Field(
        default=None,
        description=(
            "Where attachments and form media are kept: files (the blobs folder of the data"
            " directory) or postgres (in the database, so every server process on every"
            " machine sees them). Unset: postgres when DATABASE_URL is PostgreSQL, files"
            " otherwise. `jaring blobs migrate --to` moves an existing store across."
        ),
    )
    public_url: str | None = Field(
        default=None,
        description=(
            "Origin that phones and clients use to reach this server (https://example.org)."
            " Unset: taken from each request (Host and X-Forwarded-Proto)."
        ),
    )
    max_submission_bytes: int = Field(
        default=10_000_000,
        description=(
            "Largest submission POST accepted (XML plus attachments), in bytes; announced to"
            " ODK Collect as X-OpenRosa-Accept-Content-Length so it splits larger ones."
        ),
    )
    max_form_bytes: int = Field(
        default=20_000_000,
        description="Largest form definition (XForm or XLSForm) or form media upload, in bytes.",
    )
    max_submission_parts: int = Field(
        default=500,
        description="Most parts (files and fields) accepted in one multipart submission.",
    )
    public_links: bool = Field(
        default=False,
        description=(
            "Whether project managers may make public links: a link that lets anyone holding"
            " it fill one form in the browser, without an account. Off by default."
        ),
    )
    public_link_submissions_per_hour: int = Field(
        default=120,
        description="Most submissions one public link takes in an hour; more get 429.",
    )
    session_hours: int = Field(
        default=24,
        description="How long a web user's session (API token or console sign-in) lasts.",
    )
    timezone: str = Field(
        default="Asia/Jakarta",
        description=(
            "Time zone the console shows dates in (an IANA name: Asia/Jakarta for WIB,"
            " Asia/Makassar for WITA, Asia/Jayapura for WIT)."
        ),
    )

    atlas_requests_per_minute: int = Field(
        default=600,
        description=(
            "Requests a minute one address may make to the public atlases (0: no limit);"
            " beyond it the answer is 429 with Retry-After."
        ),
    )

    atlas_requests_per_second: int = Field(
        default=400,
        description=(
            "Public atlas pages one server process answers a second, all addresses together"
            " (0: no limit); beyond it 503 with Retry-After, so the phones keep the rest."
        ),
    )

    def resolved_database_url(self) -> str:
        """The database URL in use: DATABASE_URL, or the SQLite file in the data directory."""
        if self.database_url:
            url = self.database_url
            if url.startswith("postgresql://") or url.startswith("postgres://"):
                url = "postgresql+psycopg://" + url.split("://", 1)[1]
            return url
        return f"sqlite:///{(self.data_dir / 'jaring.db').resolve()}"

    def resolved_blob_store(self) -> str:
        """``files`` or ``postgres``: the blob store in use (see ``blob_store``)."""
        if self.blob_store is not None:
            return self.blob_store
        return "files" if self.resolved_database_url().startswith("sqlite") else "postgres"

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"
