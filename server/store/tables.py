"""The database tables, as SQLModel classes. Schema changes go through Alembic migrations.

Actors are users and app users alike (Central's model): sessions, assignments and audit
entries point at an actor. A form has definitions (versions, drafts); a submission has
definitions too (its edits), each holding its XML byte for byte and the field values
flattened at ingest for exports.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


class Actor(SQLModel, table=True):
    __tablename__ = "actors"
    id: int | None = Field(default=None, primary_key=True)
    type: str = Field(max_length=20)  # "user" or "field_key"
    display_name: str = Field(max_length=200)
    created_at: datetime
    updated_at: datetime | None = None
    deleted_at: datetime | None = None


class User(SQLModel, table=True):
    __tablename__ = "users"
    actor_id: int = Field(primary_key=True, foreign_key="actors.id")
    email: str = Field(max_length=320, unique=True)
    password_hash: str | None = Field(default=None, max_length=300)
    # The console's language for this user ("id" or "en"); unset means the default.
    language: str | None = Field(default=None, max_length=10)


class AuthSession(SQLModel, table=True):
    __tablename__ = "sessions"
    token_hash: str = Field(primary_key=True, max_length=64)
    actor_id: int = Field(foreign_key="actors.id", index=True)
    csrf: str = Field(max_length=64)
    created_at: datetime
    expires_at: datetime


class FieldKey(SQLModel, table=True):
    """An app user: a token-only actor of one project (Central calls them field keys)."""

    __tablename__ = "field_keys"
    actor_id: int = Field(primary_key=True, foreign_key="actors.id")
    project_id: int = Field(foreign_key="projects.id", index=True)
    # The token is shown again to managers (to redraw the QR code), as Central does; it is
    # looked up by its hash and then compared in constant time. Null once revoked.
    token: str | None = Field(default=None, max_length=100)
    token_hash: str | None = Field(default=None, max_length=64, unique=True)
    created_by: int | None = Field(default=None, foreign_key="actors.id")


class Assignment(SQLModel, table=True):
    """A role given to an actor: site-wide, on a project, or on one form (app users)."""

    __tablename__ = "assignments"
    __table_args__ = (UniqueConstraint("actor_id", "role", "scope", name="uq_assignment"),)
    id: int | None = Field(default=None, primary_key=True)
    actor_id: int = Field(foreign_key="actors.id", index=True)
    role: str = Field(max_length=30)
    # "*" for site-wide, "project:{id}" or "form:{id}": one column keeps the key unique.
    scope: str = Field(max_length=60, index=True)


class Key(SQLModel, table=True):
    """A form's RSA public key; for a managed key, also its private key sealed under the
    analysts' passphrase (Central's record, see `server.data.encryption`)."""

    __tablename__ = "keys"
    __table_args__ = (UniqueConstraint("public", name="uq_keys_public"),)
    id: int | None = Field(default=None, primary_key=True)
    public: str = Field(sa_column=Column(Text, nullable=False))
    private: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    managed: bool | None = None
    hint: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime


class Project(SQLModel, table=True):
    __tablename__ = "projects"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=300)
    description: str | None = None
    archived: bool = False
    # The managed key, once managed encryption is on (it cannot be turned off).
    key_id: int | None = None
    created_at: datetime
    updated_at: datetime | None = None
    deleted_at: datetime | None = None


class Form(SQLModel, table=True):
    __tablename__ = "forms"
    __table_args__ = (UniqueConstraint("project_id", "xml_form_id", name="uq_form_project_xmlid"),)
    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="projects.id", index=True)
    xml_form_id: str = Field(max_length=300)
    state: str = Field(default="open", max_length=10)
    current_def_id: int | None = Field(default=None)
    draft_def_id: int | None = Field(default=None)
    draft_token: str | None = Field(default=None, max_length=64)
    created_by: int | None = Field(default=None, foreign_key="actors.id")
    created_at: datetime
    updated_at: datetime | None = None
    deleted_at: datetime | None = None


class FormDef(SQLModel, table=True):
    """One definition of a form: a published version or a draft."""

    __tablename__ = "form_defs"
    id: int | None = Field(default=None, primary_key=True)
    form_id: int = Field(foreign_key="forms.id", index=True)
    version: str = Field(default="", max_length=300)
    name: str | None = Field(default=None, max_length=500)
    xml: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    md5: str = Field(max_length=32)
    sha256: str = Field(max_length=64)
    schema_: list[dict[str, Any]] = Field(sa_column=Column("schema", JSON, nullable=False))
    key_id: int | None = None
    xlsx_blob: str | None = Field(default=None, max_length=64)
    created_at: datetime
    published_at: datetime | None = None


class FormAttachment(SQLModel, table=True):
    """A media file a form definition references; ``blob_sha`` is null until uploaded."""

    __tablename__ = "form_attachments"
    __table_args__ = (UniqueConstraint("form_def_id", "name", name="uq_form_attachment"),)
    id: int | None = Field(default=None, primary_key=True)
    form_def_id: int = Field(foreign_key="form_defs.id", index=True)
    name: str = Field(max_length=300)
    type: str = Field(max_length=20)
    blob_sha: str | None = Field(default=None, max_length=64)
    content_type: str | None = Field(default=None, max_length=200)
    updated_at: datetime | None = None


class Blob(SQLModel, table=True):
    """A file in the content-addressed blob store."""

    __tablename__ = "blobs"
    sha256: str = Field(primary_key=True, max_length=64)
    md5: str = Field(max_length=32)
    size: int


class Submission(SQLModel, table=True):
    """A logical submission: the first instanceID of a record and all its edits."""

    __tablename__ = "submissions"
    __table_args__ = (
        UniqueConstraint("form_id", "instance_id", name="uq_submission_instance"),
        # Exports and OData page through a form's submissions newest first.
        Index("ix_submissions_form_created", "form_id", "created_at", "id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    form_id: int = Field(foreign_key="forms.id", index=True)
    instance_id: str = Field(max_length=300)
    submitter_id: int | None = Field(default=None, foreign_key="actors.id")
    device_id: str | None = Field(default=None, max_length=300)
    review_state: str | None = Field(default=None, max_length=20)
    created_at: datetime
    updated_at: datetime | None = None
    deleted_at: datetime | None = None


class SubmissionDef(SQLModel, table=True):
    """One version of a submission: the XML as received and its flattened values."""

    __tablename__ = "submission_defs"
    __table_args__ = (
        UniqueConstraint("form_id", "instance_id", name="uq_submission_def_instance"),
    )
    id: int | None = Field(default=None, primary_key=True)
    submission_id: int = Field(foreign_key="submissions.id", index=True)
    form_id: int = Field(foreign_key="forms.id")
    form_def_id: int = Field(foreign_key="form_defs.id")
    instance_id: str = Field(max_length=300)
    xml: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    xml_sha256: str = Field(max_length=64)
    instance_name: str | None = Field(default=None, max_length=1000)
    submitter_id: int | None = Field(default=None, foreign_key="actors.id")
    device_id: str | None = Field(default=None, max_length=300)
    user_agent: str | None = Field(default=None, max_length=500)
    current: bool = True
    fields: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime
    # An encrypted submission (its XML is the manifest): the AES key wrapped with the
    # form's public key, the name of the encrypted XML file, and Collect's signature.
    local_key: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    enc_data_attachment_name: str | None = Field(default=None, max_length=300)
    signature: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class SubmissionAttachment(SQLModel, table=True):
    """A file a submission version expects (named in its XML); ``blob_sha`` once received."""

    __tablename__ = "submission_attachments"
    __table_args__ = (
        UniqueConstraint("submission_def_id", "name", name="uq_submission_attachment"),
    )
    id: int | None = Field(default=None, primary_key=True)
    submission_def_id: int = Field(foreign_key="submission_defs.id", index=True)
    name: str = Field(max_length=300)
    blob_sha: str | None = Field(default=None, max_length=64)
    content_type: str | None = Field(default=None, max_length=200)
    # An encrypted file's place in the manifest (media first, the XML last): its IV.
    enc_index: int | None = None


class Audit(SQLModel, table=True):
    __tablename__ = "audits"
    id: int | None = Field(default=None, primary_key=True)
    actor_id: int | None = Field(default=None, foreign_key="actors.id", index=True)
    action: str = Field(max_length=60, index=True)
    actee: str | None = Field(default=None, max_length=100)
    details: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    logged_at: datetime = Field(index=True)


class Comment(SQLModel, table=True):
    """A coordinator's comment on a submission."""

    __tablename__ = "comments"
    id: int | None = Field(default=None, primary_key=True)
    submission_id: int = Field(foreign_key="submissions.id", index=True)
    actor_id: int = Field(foreign_key="actors.id")
    body: str
    created_at: datetime
