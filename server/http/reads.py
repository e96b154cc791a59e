"""Running a phone's short read from an async endpoint: on the event loop or in a thread.

On SQLite, reading a form list or an XForm is a few hundred microseconds of work on a
local file: less than a trip through the worker-thread pool costs a busy server (two
thread switches, and a contest for the GIL with every other worker thread). Such reads
run right on the event loop. On PostgreSQL a read waits on the network, and a web
user's password check is slow on purpose, so those go to a worker thread as usual.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ParamSpec, TypeVar

from fastapi.concurrency import run_in_threadpool

from server.domain import Services
from server.domain.accounts import Credentials

P = ParamSpec("P")
T = TypeVar("T")


async def run_phone_read(
    services: Services,
    credentials: Credentials,
    read: Callable[P, T],
    *args: P.args,
    **kwargs: P.kwargs,
) -> T:
    """``read(*args, **kwargs)``, a read-only piece of domain work for an app user."""
    if services.db.is_sqlite and credentials.app_user_token is not None:
        return read(*args, **kwargs)
    return await run_in_threadpool(read, *args, **kwargs)
