"""When the app's server starts, the objects it starts with (which live as long as the
process) are kept out of the cycle collector's full passes."""

from __future__ import annotations

import asyncio
import gc

from server.app import create_app
from server.settings import Settings


def test_start_up_freezes_what_lives_as_long_as_the_process(settings: Settings) -> None:
    app = create_app(settings)
    gc.unfreeze()

    async def frozen_while_serving() -> int:
        async with app.router.lifespan_context(app):
            return gc.get_freeze_count()

    try:
        frozen = asyncio.run(frozen_while_serving())
    finally:
        gc.unfreeze()
    assert frozen > 10_000  # the app, its routes and its libraries
