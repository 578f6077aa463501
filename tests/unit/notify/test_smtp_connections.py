"""E-mails go over kept SMTP connections (`services/notify/smtp.py`), against a real SMTP server."""

import asyncio
import email
import email.policy
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage

import aiosmtplib
import pytest
from aiosmtpd.controller import Controller

from services.notify.settings import NotifySettings
from services.notify.smtp import Connections
from shared.stack import free_port


@dataclass
class Server:
    """Notes over which connection (the client's port) each message came; can drop a connection
    as the next message starts, as a server that timed it out would, and refuse the next message."""

    port: int
    received: list[tuple[int, str]] = field(default_factory=list)  # (client port, subject)
    quits: int = 0
    drop_next: bool = False
    refuse_next: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        with self._lock:
            drop, self.drop_next = self.drop_next, False
        if drop:
            server.transport.close()
            return "421 4.4.2 idle too long, closing"
        envelope.mail_from, envelope.mail_options = address, list(mail_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            if self.refuse_next:
                self.refuse_next = False
                return "451 4.3.0 try again later"
            m = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
            self.received.append((session.peer[1], str(m["Subject"])))
        return "250 OK"

    async def handle_QUIT(self, server, session, envelope):
        with self._lock:
            self.quits += 1
        return "221 Bye"

    def connections(self) -> set[int]:
        with self._lock:
            return {port for port, _ in self.received}

    def subjects(self) -> list[str]:
        with self._lock:
            return [subject for _, subject in self.received]


@pytest.fixture
def server():
    s = Server(free_port())
    controller = Controller(s, hostname="127.0.0.1", port=s.port)
    controller.start()
    yield s
    controller.stop()


def settings(server: Server, concurrency: int = 4) -> NotifySettings:
    return NotifySettings(
        service_name="notify",
        smtp_host="127.0.0.1",
        smtp_port=server.port,
        smtp_security="none",
        smtp_concurrency=concurrency,
    )


def mail(n: int) -> EmailMessage:
    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = "noreply@subsidy.localhost", "applicant@example.cn", f"message {n}"
    m.set_content(f"body {n}")
    return m


async def test_several_emails_one_after_another_go_over_one_connection_closed_with_quit(server):
    smtp = Connections(settings(server))
    for n in range(5):
        await smtp.send(mail(n))
    await smtp.close()

    assert server.subjects() == [f"message {n}" for n in range(5)]
    assert len(server.connections()) == 1
    assert server.quits == 1


async def test_emails_sent_at_once_open_no_more_connections_than_allowed(server):
    smtp = Connections(settings(server, concurrency=2))
    await asyncio.gather(*(smtp.send(mail(n)) for n in range(10)))
    await smtp.close()

    assert sorted(server.subjects()) == sorted(f"message {n}" for n in range(10))
    assert len(server.connections()) <= 2
    assert server.quits == len(server.connections())


async def test_a_connection_the_server_dropped_is_reopened_and_the_message_still_goes(server):
    smtp = Connections(settings(server))
    await smtp.send(mail(1))
    server.drop_next = True  # the server let the kept connection go: found out as the next message starts

    await smtp.send(mail(2))  # no exception: it went over a new connection
    await smtp.close()

    assert server.subjects() == ["message 1", "message 2"]
    [(first, _), (second, _)] = server.received
    assert first != second


async def test_a_connection_closed_while_idle_is_not_used_again(server):
    smtp = Connections(settings(server), idle_s=0)
    await smtp.send(mail(1))
    await smtp.close_idle()  # idle for longer than idle_s: QUIT
    assert server.quits == 1

    await smtp.send(mail(2))
    await smtp.close()
    assert server.subjects() == ["message 1", "message 2"]
    assert len(server.connections()) == 2


async def test_a_refused_message_is_the_callers_to_retry_and_the_connection_serves_the_next(server):
    smtp = Connections(settings(server))
    await smtp.send(mail(1))
    server.refuse_next = True
    with pytest.raises(aiosmtplib.SMTPDataError) as refused:
        await smtp.send(mail(2))
    assert refused.value.code == 451

    await smtp.send(mail(2))
    await smtp.close()
    assert server.subjects() == ["message 1", "message 2"]
    assert len(server.connections()) == 1


async def test_a_server_that_is_away_fails_the_send():
    away = NotifySettings(service_name="notify", smtp_port=free_port(), smtp_security="none", smtp_timeout_s=2)
    with pytest.raises(aiosmtplib.SMTPConnectError):
        await Connections(away).send(mail(1))
