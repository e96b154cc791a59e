"""The one read a phone's submission starts with: its app user and the form it names.

Each is a statement of its own elsewhere (`accounts.app_user_by_token_hash`,
`forms.form_for_submission`); on the phones' hot path they are read together, in one
round trip to the database instead of two.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import sqlalchemy as sa

from server.store.accounts import APP_USER
from server.store.driver import Driver, Statement
from server.store.forms import FORM_FOR_SUBMISSION

_app_user = APP_USER.statement.subquery("app_user")  # type: ignore[attr-defined]
_form = FORM_FOR_SUBMISSION.statement.subquery("form")  # type: ignore[attr-defined]
_one = sa.select(sa.literal(1).label("one")).subquery("one")
_APP_USER_AND_FORM = Statement(
    sa.select(
        *(column.label(f"user_{column.key}") for column in _app_user.c),
        *(column.label(f"form_{column.key}") for column in _form.c),
    ).select_from(_one.outerjoin(_app_user, sa.true()).outerjoin(_form, sa.true()))
)


class AppUserAndForm(NamedTuple):
    """What `app_user_and_form` found: each as its own statement would return it."""

    app_user: Any | None
    form: Any | None


def app_user_and_form(
    driver: Driver, *, token_hash: str, project_id: int, xml_form_id: str, version: str
) -> AppUserAndForm:
    """The live app user with this token hash and the form a submission names (as
    `accounts.app_user_by_token_hash` and `forms.form_for_submission`), in one statement."""
    params = {
        "token_hash": token_hash,
        "project_id": project_id,
        "xml_form_id": xml_form_id,
        "version": version,
    }
    row = driver.first(_APP_USER_AND_FORM, params)
    assert row is not None  # the one-row "one" always gives a row
    # Each half as the rows of its own statement (their named tuples; the values are
    # converted already).
    user_row = APP_USER.for_dialect(driver.dialect).row
    form_row = FORM_FOR_SUBMISSION.for_dialect(driver.dialect).row
    assert user_row is not None and form_row is not None
    width = len(_app_user.c)
    user, form = row[:width], row[width:]
    return AppUserAndForm(
        user_row(*user) if user[0] is not None else None,
        form_row(*form) if form[0] is not None else None,
    )
