"""A real SMTP server on a free local port that counts what it receives (the standard library's
``socketserver``, no extra dependency): a worker process sends to it through Django's SMTP
backend, as production sends to its mail server."""

import socket
import socketserver
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager


class Received:
    def __init__(self) -> None:
        self.recipients: list[str] = []
        self.messages = 0
        self.lock = threading.Lock()

    def wait_for(self, count: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.messages >= count:
                return True
            time.sleep(0.2)
        return self.messages >= count


class _Handler(socketserver.StreamRequestHandler):
    received: Received

    def reply(self, line: str) -> None:
        self.wfile.write(f"{line}\r\n".encode())
        self.wfile.flush()

    def handle(self) -> None:
        self.reply("220 sink ESMTP")
        rcpts: list[str] = []
        while True:
            line = self.rfile.readline()
            if not line:
                return
            command = line.decode(errors="replace").strip()
            verb = command.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250 sink")
            elif verb == "MAIL":
                rcpts = []
                self.reply("250 OK")
            elif verb == "RCPT":
                rcpts.append(command.split(":", 1)[1].strip().strip("<>"))
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                while self.rfile.readline() not in (b".\r\n", b".\n", b""):
                    pass
                with self.received.lock:
                    self.received.messages += 1
                    self.received.recipients.extend(rcpts)
                self.reply("250 OK: queued")
            elif verb == "QUIT":
                self.reply("221 Bye")
                return
            else:  # RSET, NOOP, anything else
                self.reply("250 OK")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def smtp_server() -> Iterator[tuple[Received, int]]:
    received = Received()
    handler = type("Handler", (_Handler,), {"received": received})
    server = _Server(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield received, server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
