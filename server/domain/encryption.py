"""Managed encryption and the keys behind encrypted forms.

`enable_managed_encryption` is Central's ``POST /projects/{id}/key``: a key pair made
here, its private key kept only sealed under the analysts' passphrase, every form of the
project (and every form added later, see `server.domain.forms`) rewritten to encrypt
with the public key. It cannot be turned off. The passphrase is never stored or logged:
it lives for the request that brings it.

`open_keys` turns the passphrases a caller gives for an export into the private keys of
those managed keys (400.12 for a wrong one), for that export alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from server import problems
from server.data.encryption import DecryptionFailed, generate_managed_key, open_managed_key
from server.domain import Services, audits, utcnow
from server.domain.access import PROJECT_UPDATE, SUBMISSION_READ, Actor
from server.domain.forms import authorised_form, draft_view, set_managed_key
from server.domain.projects import get_project
from server.store import keys as store
from server.store.tables import Key

MIN_PASSPHRASE = 10  # Central's rule (JavaScript string length)
MAX_PASSPHRASE = 1000
MAX_HINT = 1000


def check_passphrase(passphrase: object) -> str:
    """The passphrase, if Central would take it for a new key (400.2, 400.21) and it is
    not absurdly long (400.8)."""
    if not isinstance(passphrase, str) or not passphrase.strip():
        raise problems.missing_parameter("passphrase")
    if len(passphrase.encode("utf-16-le")) // 2 < MIN_PASSPHRASE:
        raise problems.password_too_short()
    if len(passphrase) > MAX_PASSPHRASE:
        raise problems.unexpected_value(
            "passphrase", "…", f"a passphrase has at most {MAX_PASSPHRASE} characters."
        )
    return passphrase


def enable_managed_encryption(
    services: Services, actor: Actor, *, project_id: int, passphrase: object, hint: object
) -> Key:
    """Turn managed encryption on for the project (409.4 if it is on already)."""
    project = get_project(services, actor, project_id)
    actor.require(PROJECT_UPDATE, project_id=project_id)
    passphrase = check_passphrase(passphrase)
    if hint is not None and not isinstance(hint, str):
        raise problems.unexpected_value("hint", hint, "expected text.")
    if hint is not None and len(hint) > MAX_HINT:
        raise problems.unexpected_value("hint", hint[:40], f"at most {MAX_HINT} characters.")
    if project.key_id is not None:
        raise problems.already_activated("managed encryption")
    public, sealed = generate_managed_key(passphrase)
    now = utcnow()
    with services.db.write() as session:
        locked = store.project_for_update(session, project_id=project_id)
        if locked is None:
            raise problems.not_found()
        if locked.key_id is not None:
            raise problems.already_activated("managed encryption")
        key = store.insert_managed_key(
            session, public=public, private=sealed, hint=hint or None, now=now
        )
        locked.key_id = key.id
        locked.updated_at = now
        session.add(locked)
        set_managed_key(session, project_id=project_id, public_key=public, now=now)
        audits.record(
            session, actor, "project.update", f"project:{project_id}", {"encrypted": True}
        )
    return key


def project_key(services: Services, actor: Actor, *, project_id: int) -> Key | None:
    """The project's managed key (public part and hint), if encryption is on."""
    project = get_project(services, actor, project_id)
    if project.key_id is None:
        return None
    with services.db.read() as session:
        return store.key_by_id(session, key_id=project.key_id)


def submission_keys(
    services: Services, actor: Actor, *, project_id: int, xml_form_id: str, draft: bool = False
) -> list[Key]:
    """``…/submissions/keys``: the keys of the form's current encrypted submissions."""
    form = authorised_form(services, actor, project_id, xml_form_id, SUBMISSION_READ)
    draft_def_id = None
    if draft:
        view = draft_view(services, actor, project_id=project_id, xml_form_id=xml_form_id)
        assert view.definition is not None
        draft_def_id = view.definition.id
    assert form.id is not None
    with services.db.read() as session:
        return store.keys_of_submissions(session, form_id=form.id, draft_def_id=draft_def_id)


@dataclass(frozen=True)
class OpenKeys:
    """The private keys opened for one export, by key id; empty when none was given."""

    private: dict[int, RSAPrivateKey]

    @property
    def given(self) -> bool:
        return bool(self.private)


NO_KEYS = OpenKeys({})


def open_keys(services: Services, passphrases: dict[int, str]) -> OpenKeys:
    """The managed keys named by ``passphrases`` (key id -> passphrase), opened; a wrong
    passphrase fails the whole request (400.12). Ids of keys that are not managed keys
    are ignored, as Central ignores them."""
    if not passphrases:
        return NO_KEYS
    for passphrase in passphrases.values():
        if len(passphrase) > MAX_PASSPHRASE:
            raise problems.undecryptable()
    with services.db.read() as session:
        keys = store.managed_keys(session, key_ids=list(passphrases))
    opened: dict[int, RSAPrivateKey] = {}
    for key in keys:
        assert key.id is not None and key.private is not None
        try:
            opened[key.id] = open_managed_key(key.private, passphrases[key.id])
        except DecryptionFailed as error:
            raise problems.undecryptable() from error
    return OpenKeys(opened)
