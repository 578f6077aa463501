"""The mail server's connections, kept open between messages and reused: a connection per message
would cost a TCP (and TLS, and AUTH) handshake and a QUIT for every e-mail.

At most `size` connections are open, one message on each at a time. One left idle for `IDLE_S` is
closed (QUIT), as the server would close it before long anyway. A kept connection the server
dropped while it waited (its idle timeout, a restart) is found out at its next use, by the first
command failing: the message then goes at once over another connection, so a dropped connection
costs neither the message nor a retry's wait. Any other failure (a timeout, a broken connection
mid-message) closes the connection and is the caller's to retry, as is a refusal: the server
answered and the envelope was reset, so that connection is kept. All are closed (QUIT) on shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from email.message import EmailMessage

import aiosmtplib

from services.notify.settings import NotifySettings

IDLE_S = 30.0
CLOSING = 421  # "service not available, closing transmission channel": what a server says as it drops us


def _was_closed(error: BaseException) -> bool:
    """Whether a kept connection failed because the server had let it go, not because of the message."""
    if isinstance(error, aiosmtplib.SMTPResponseException):
        return error.code == CLOSING
    return isinstance(error, ConnectionError)


class Connections:
    def __init__(self, settings: NotifySettings, idle_s: float = IDLE_S):
        self.settings, self.idle_s = settings, idle_s
        self._slots = asyncio.Semaphore(settings.smtp_concurrency)
        self._idle: list[tuple[aiosmtplib.SMTP, float]] = []  # with when each was last used; latest last

    async def send(self, message: EmailMessage) -> None:
        async with self._slots:
            while kept := self._take():
                try:
                    await self._send_on(kept, message)
                    return
                except Exception as error:
                    if not _was_closed(error):
                        raise
                    # Dropped by the server while it waited: the message goes over another.
            await self._send_on(await self._open(), message)

    async def close_idle(self) -> None:
        """QUIT the connections unused for `idle_s`."""
        now = time.monotonic()
        stale = [smtp for smtp, used in self._idle if now - used >= self.idle_s]
        self._idle = [(smtp, used) for smtp, used in self._idle if now - used < self.idle_s]
        await asyncio.gather(*(_quit(smtp) for smtp in stale))

    async def close(self) -> None:
        """QUIT every connection not in use (those in use close as their send ends)."""
        idle, self._idle = self._idle, []
        await asyncio.gather(*(_quit(smtp) for smtp, _ in idle))

    def _take(self) -> aiosmtplib.SMTP | None:
        while self._idle:
            smtp, _ = self._idle.pop()
            if smtp.is_connected:
                return smtp
            smtp.close()
        return None

    async def _open(self) -> aiosmtplib.SMTP:
        s = self.settings
        smtp = aiosmtplib.SMTP(
            hostname=s.smtp_host,
            port=s.smtp_port,
            username=s.smtp_username,
            password=s.smtp_password.get_secret_value() if s.smtp_password else None,
            use_tls=s.smtp_security == "tls",
            start_tls=s.smtp_security == "starttls",
            timeout=s.smtp_timeout_s,
        )
        try:
            await smtp.connect()
        except BaseException:
            smtp.close()
            raise
        return smtp

    async def _send_on(self, smtp: aiosmtplib.SMTP, message: EmailMessage) -> None:
        try:
            await smtp.send_message(message)
        except (aiosmtplib.SMTPResponseException, aiosmtplib.SMTPRecipientsRefused) as error:
            # The server answered, and the envelope was reset: the connection serves the next message.
            self._release(smtp, reusable=not _was_closed(error))
            raise
        except BaseException:  # a timeout, or a broken connection: in no state to be used again
            smtp.close()
            raise
        self._release(smtp)

    def _release(self, smtp: aiosmtplib.SMTP, reusable: bool = True) -> None:
        if reusable and smtp.is_connected:
            self._idle.append((smtp, time.monotonic()))
        else:
            smtp.close()


QUIT_WITHIN_S = 2.0


async def _quit(smtp: aiosmtplib.SMTP) -> None:
    with contextlib.suppress(Exception):  # it is going anyway; a server already gone is no matter
        await asyncio.wait_for(smtp.quit(), QUIT_WITHIN_S)  # a server gone silent must not hold up a shutdown
    smtp.close()
