"""A real SMTP server for tests (aiosmtpd on a free loopback port) that a test can stop, start,
turn into a tarpit, slow down, or make refuse given recipients.

It records every message it accepted with the time, the recipients and the ``Message-ID``, so
a test counts deliveries and duplicates from what actually crossed the wire.
"""

import asyncio
import contextlib
import email
import logging
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Received:
    at: float
    to: list[str]
    message_id: str
    subject: str


@dataclass
class _Handler:
    sink: "SmtpSink"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: Any) -> str:
        if address in self.sink.refuse:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content)
        if self.sink.data_reply and self.sink.data_reply[0] in str(message.get("Subject", "")):
            return self.sink.data_reply[1]
        with self.sink.lock:
            self.sink.messages.append(Received(
                at=time.time(), to=list(envelope.rcpt_tos),
                message_id=str(message.get("Message-ID", "")),
                subject=str(message.get("Subject", "")),
            ))
        if self.sink.delay:
            # Accepted but not yet acknowledged: a sender killed now does not know it went.
            await asyncio.sleep(self.sink.delay)
        return "250 Message accepted"


@dataclass
class SmtpSink:
    port: int = field(default_factory=free_port)
    refuse: set[str] = field(default_factory=set)
    delay: float = 0.0
    #: (subject fragment, reply): answer DATA of such messages with this instead of 250.
    data_reply: tuple[str, str] | None = None
    messages: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _controller: Controller | None = None
    _tarpit: socket.socket | None = None
    _held: list[socket.socket] = field(default_factory=list)

    def start(self) -> "SmtpSink":
        logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every command
        self._close_tarpit()
        for _ in range(50):  # the port may linger for a moment after a stop
            try:
                self._controller = Controller(_Handler(self), hostname="127.0.0.1",
                                              port=self.port, ready_timeout=10)
                self._controller.start()
                return self
            except (OSError, RuntimeError):
                self._controller = None
                time.sleep(0.1)
        raise RuntimeError(f"the SMTP sink could not listen on port {self.port}")

    def stop(self) -> None:
        """Down: nothing listens, connections are refused."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
        self._close_tarpit()

    def tarpit(self) -> None:
        """Down the worst way: the port accepts connections and never answers, so every
        client waits for its own timeout."""
        self.stop()
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        sock.listen(1024)
        sock.settimeout(0.2)
        self._tarpit = sock

        def hold() -> None:
            while self._tarpit is sock:
                try:
                    conn, _addr = sock.accept()
                except OSError:
                    continue
                self._held.append(conn)

        threading.Thread(target=hold, daemon=True).start()

    def _close_tarpit(self) -> None:
        sock, self._tarpit = self._tarpit, None
        if sock is not None:
            sock.close()
        for conn in self._held:
            with contextlib.suppress(OSError):
                conn.close()
        self._held.clear()

    def received(self) -> list[Received]:
        with self.lock:
            return list(self.messages)

    def settings(self, timeout: int = 2) -> dict[str, Any]:
        """Django settings that send through this server."""
        return {"EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": self.port, "EMAIL_TIMEOUT": timeout,
                "EMAIL_USE_TLS": False, "EMAIL_USE_SSL": False, "EMAIL_HOST_USER": "",
                "EMAIL_HOST_PASSWORD": ""}
