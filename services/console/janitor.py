"""Deletes expired sessions and sign-in failures past their window, now and then. (An expired
session is refused whether or not it has been deleted yet: this only keeps the tables small.)"""

import asyncio
import logging
from datetime import timedelta

from services.console import sessions
from services.console.rules import Expiry

log = logging.getLogger(__name__)


def janitor(db, expiry: Expiry, window: timedelta, interval_s: float):
    async def console_janitor() -> None:
        while True:
            if gone := await sessions.prune(db, expiry, window):
                log.info("%d expired session(s) deleted", gone)
            await asyncio.sleep(interval_s)

    return console_janitor
