"""The database tables, as SQLModel classes. Schema changes go through Alembic migrations.

Actors are users and app users alike (Central's model): sessions, assignments and audit
entries point at an actor. A form has definitions (versions, drafts); a submission has
definitions too (its edits), each holding its XML byte for byte and the field values
flattened at ingest for exports.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, LargeBinary, Text, UniqueConstraint, false
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
    last_login_at: datetime | None = None  # Central's lastLoginAt: the last POST /sessions


class AuthSession(SQLModel, table=True):
    __tablename__ = "sessions"
    token_hash: str = Field(primary_key=True, max_length=64)
    actor_id: int = Field(foreign_key="actors.id", index=True)
    csrf: str = Field(max_length=64)
    created_at: datetime
    expires_at: datetime


class PublicLink(SQLModel, table=True):
    """A link that lets anyone holding it fill one form (Central's public access link).

    Its actor (type ``public_link``) is the submitter of what comes through it."""

    __tablename__ = "public_links"
    actor_id: int = Field(primary_key=True, foreign_key="actors.id")
    form_id: int = Field(foreign_key="forms.id", index=True)
    token: str = Field(max_length=64, unique=True)
    created_by: int | None = Field(default=None, foreign_key="actors.id")
    created_at: datetime
    revoked_at: datetime | None = None


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
    # A dataset served in place of a file (``{name}.csv``): its entities, as phones read them.
    dataset_id: int | None = None


class Blob(SQLModel, table=True):
    """A file in the content-addressed blob store."""

    __tablename__ = "blobs"
    sha256: str = Field(primary_key=True, max_length=64)
    md5: str = Field(max_length=32)
    size: int


class BlobChunk(SQLModel, table=True):
    """A piece of a blob kept in the database (``JARING_BLOB_STORE=postgres``): chunk
    ``idx`` holds bytes ``idx * 1 MiB`` onwards; every chunk but the last is 1 MiB and an
    empty blob has one empty chunk (see `server.store.blobs`)."""

    __tablename__ = "blob_chunks"
    sha256: str = Field(primary_key=True, max_length=64)
    idx: int = Field(primary_key=True)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


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
    # A draft's test submission: apart from the form's real ones, dropped on publishing.
    draft: bool = Field(default=False, sa_column_kwargs={"server_default": false()})


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


class Dataset(SQLModel, table=True):
    """An entity list (Central's dataset). Unpublished (``published_at`` null) while only
    drafts declare it."""

    __tablename__ = "datasets"
    __table_args__ = (UniqueConstraint("project_id", "name", name="uq_dataset_name"),)
    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="projects.id")
    name: str = Field(max_length=300)
    approval_required: bool = False
    owner_only: bool = False
    created_at: datetime
    published_at: datetime | None = None
    deleted_at: datetime | None = None
    # Moved forward on every change of the list (entities, properties, settings): the
    # hash phones compare to know whether to download it again.
    last_update: datetime | None = None


class DatasetProperty(SQLModel, table=True):
    __tablename__ = "ds_properties"
    __table_args__ = (UniqueConstraint("dataset_id", "name", name="uq_ds_property_name"),)
    id: int | None = Field(default=None, primary_key=True)
    dataset_id: int = Field(foreign_key="datasets.id")
    name: str = Field(max_length=300)
    published_at: datetime | None = None


class DatasetPropertyField(SQLModel, table=True):
    """Which field of a form definition saves to a property."""

    __tablename__ = "ds_property_fields"
    __table_args__ = (Index("ix_ds_property_fields_def", "form_def_id"),)
    id: int | None = Field(default=None, primary_key=True)
    property_id: int = Field(foreign_key="ds_properties.id")
    form_def_id: int = Field(foreign_key="form_defs.id")
    path: str = Field(max_length=1000)


class DatasetFormDef(SQLModel, table=True):
    """A form definition that writes to a dataset, and the actions it declares."""

    __tablename__ = "dataset_form_defs"
    __table_args__ = (
        UniqueConstraint("dataset_id", "form_def_id", name="uq_dataset_form_def"),
        Index("ix_dataset_form_defs_def", "form_def_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    dataset_id: int = Field(foreign_key="datasets.id")
    form_def_id: int = Field(foreign_key="form_defs.id")
    actions: list[str] = Field(sa_column=Column(JSON, nullable=False))


class Entity(SQLModel, table=True):
    __tablename__ = "entities"
    __table_args__ = (
        UniqueConstraint("uuid", name="uq_entity_uuid"),
        Index("ix_entities_dataset_created", "dataset_id", "created_at", "id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    uuid: str = Field(max_length=36)
    dataset_id: int = Field(foreign_key="datasets.id")
    creator_id: int | None = Field(default=None, foreign_key="actors.id")
    conflict: str | None = Field(default=None, max_length=10)
    created_at: datetime
    updated_at: datetime | None = None
    deleted_at: datetime | None = None


class EntityDef(SQLModel, table=True):
    """One version of an entity: its label and data, and where it came from."""

    __tablename__ = "entity_defs"
    __table_args__ = (
        UniqueConstraint("entity_id", "version", name="uq_entity_def_version"),
        Index("ix_entity_defs_submission_def", "submission_def_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    entity_id: int = Field(foreign_key="entities.id")
    version: int
    current: bool
    label: str = Field(sa_column=Column(Text, nullable=False))
    data: dict[str, str] = Field(sa_column=Column(JSON, nullable=False))
    data_received: dict[str, str] = Field(sa_column=Column(JSON, nullable=False))
    creator_id: int | None = Field(default=None, foreign_key="actors.id")
    user_agent: str | None = Field(default=None, max_length=500)
    base_version: int | None = None
    conflicting_properties: list[str] | None = Field(
        default=None, sa_column=Column(JSON, nullable=True)
    )
    conflict: str | None = Field(default=None, max_length=10)
    branch_id: str | None = Field(default=None, max_length=36)
    trunk_version: int | None = None
    branch_base_version: int | None = None
    submission_def_id: int | None = Field(default=None, foreign_key="submission_defs.id")
    source: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    created_at: datetime


class EntitySubmissionBacklog(SQLModel, table=True):
    """An offline update held until the version it was made on arrives."""

    __tablename__ = "entity_submission_backlog"
    __table_args__ = (
        UniqueConstraint(
            "branch_id", "branch_base_version", name="uq_entity_backlog_branch_version"
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    submission_id: int = Field(foreign_key="submissions.id")
    submission_def_id: int = Field(foreign_key="submission_defs.id")
    entity_uuid: str = Field(max_length=36)
    branch_id: str = Field(max_length=36)
    branch_base_version: int
    event: str = Field(max_length=60)
    logged_at: datetime


class Atlas(SQLModel, table=True):
    """A public atlas of a form's approved submissions: what is published and how.

    ``fields`` and ``photos`` are the field paths chosen to be public (everything else
    stays private); ``changed_at`` moves whenever the settings or the withdrawals change,
    so every cached public page is dropped at once."""

    __tablename__ = "atlases"
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=60, unique=True)
    project_id: int = Field(foreign_key="projects.id", index=True)
    xml_form_id: str = Field(max_length=300)
    title_id: str = Field(max_length=300)
    title_en: str = Field(max_length=300)
    intro_id: str = Field(default="", sa_column=Column(Text, nullable=False))
    intro_en: str = Field(default="", sa_column=Column(Text, nullable=False))
    licence: str = Field(max_length=100)
    precision: str = Field(max_length=10)
    fields: list[str] = Field(sa_column=Column(JSON, nullable=False))
    photos: list[str] = Field(sa_column=Column(JSON, nullable=False))
    consent_field: str | None = Field(default=None, max_length=300)
    photo_consent_field: str | None = Field(default=None, max_length=300)
    noindex: bool = False
    published: bool = False
    created_by: int | None = Field(default=None, foreign_key="actors.id")
    created_at: datetime
    changed_at: datetime


class AtlasWithdrawal(SQLModel, table=True):
    """A submission hidden from an atlas: its consent withdrawn, or published in error."""

    __tablename__ = "atlas_withdrawals"
    __table_args__ = (UniqueConstraint("atlas_id", "instance_id", name="uq_atlas_withdrawals"),)
    id: int | None = Field(default=None, primary_key=True)
    atlas_id: int = Field(foreign_key="atlases.id", index=True)
    instance_id: str = Field(max_length=300)
    reason: str = Field(max_length=20)
    actor_id: int | None = Field(default=None, foreign_key="actors.id")
    withdrawn_at: datetime


class LimitedAttempt(SQLModel, table=True):
    """One attempt counted against a limit that every server process shares: a failed
    log-in (under ``account:…`` and ``address:…``) or a submission through a public link
    (``public_link:…``). Rows older than the longest window are deleted as new ones come."""

    __tablename__ = "limited_attempts"
    __table_args__ = (Index("ix_limited_attempts_key_at", "key", "at"),)
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=330)
    # Seconds since the epoch, from the limiter's clock: every machine's wall clock.
    at: float = Field(index=True)
