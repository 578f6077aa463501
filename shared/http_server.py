"""uvicorn's server, without its ten wake-ups a second.

uvicorn's main loop sleeps 0.1 s at a time to see whether it should exit and, every tenth time,
to refresh the Date header. An idle service runs two servers (its API and the operators' port):
that alone is twenty wake-ups a second for nothing. This one wakes once a second for the Date
header, and at once when told to exit.
"""

import asyncio
import contextlib
from types import FrameType

import uvicorn


class Server(uvicorn.Server):
    TICK_S = 1.0

    def __init__(self, config: uvicorn.Config):
        super().__init__(config)
        self._exiting: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def main_loop(self) -> None:
        self._loop, self._exiting = asyncio.get_running_loop(), asyncio.Event()
        counter = 0
        while not await self.on_tick(counter):
            counter = (counter + 10) % 864000  # uvicorn refreshes the Date header on every tenth count
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._exiting.wait(), self.TICK_S)

    def exit(self) -> None:
        """Stops serving: what a signal does."""
        self.should_exit = True
        if self._loop and self._exiting:
            self._loop.call_soon_threadsafe(self._exiting.set)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_exit(sig, frame)
        if self._loop and self._exiting:
            self._loop.call_soon_threadsafe(self._exiting.set)
