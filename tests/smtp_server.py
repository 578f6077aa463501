"""A real SMTP server for tests (aiosmtpd, on its own thread): keeps every message it accepts, and
can be told to refuse the next few with a temporary failure."""

import email
import email.policy
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

from shared.stack import free_port


@dataclass
class Mailbox:
    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    refuse_next: int = 0  # answer this many DATA commands with 451, then accept
    refused: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            if self.refuse_next:
                self.refuse_next -= 1
                self.refused += 1
                return "451 4.3.0 try again later"
            m = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
            self.messages.append(m)
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [m for m in self.messages if m["To"] == address]


@pytest.fixture(scope="module")
def smtp():
    box = Mailbox(free_port())
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    yield box
    controller.stop()
