"""Real receivers on 127.0.0.1 for `statusgen notify`: an HTTP server and an SMTP server.

Plain helpers, no tests (import it, never a test module). Each records what arrives, parsed.
"""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass
class Request:
    path: str
    body: Any  # the JSON body


class HttpReceiver:
    """Takes JSON POSTs (and PUTs) on any path; paths starting with one in ``failing`` get a 500,
    in ``moved`` a redirect, in ``broken`` an answer that is not HTTP."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.failing: set[str] = set()
        self.moved: set[str] = set()
        self.broken: set[str] = set()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                data = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if any(self.path.startswith(prefix) for prefix in receiver.broken):
                    self.wfile.write(b"garbage\r\n\r\n")
                    self.close_connection = True
                    return
                if any(self.path.startswith(prefix) for prefix in receiver.moved):
                    self.send_response(302)
                    self.send_header("Location", "/elsewhere")
                    self.end_headers()
                    return
                if any(self.path.startswith(prefix) for prefix in receiver.failing):
                    self.send_response(500)
                    self.end_headers()
                    return
                receiver.requests.append(Request(self.path, json.loads(data)))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            do_PUT = do_POST

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def at(self, prefix: str) -> list[Request]:
        return [r for r in self.requests if r.path.startswith(prefix)]

    def ntfy(self, topic: str) -> list[dict[str, Any]]:
        """ntfy posts every topic's message to / with the topic in the body."""
        return [r.body for r in self.requests if r.path == "/" and r.body.get("topic") == topic]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class SmtpReceiver:
    """A real SMTP server (aiosmtpd) that requires a login; ``refusing`` makes it refuse mail."""

    user: str
    password: str
    messages: list[email.message.EmailMessage] = field(default_factory=list)
    refusing: bool = False

    def start(self) -> None:
        with socket.socket() as probe:  # aiosmtpd needs a port number up front
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = Controller(
            self,
            hostname="127.0.0.1",
            port=self.port,
            authenticator=self._authenticate,
            auth_require_tls=False,
        )
        self.controller.start()

    def _authenticate(
        self, server: object, session: object, envelope: object, mechanism: str, data: object
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login.decode(), data.password.decode()) == (
            self.user,
            self.password,
        )
        return AuthResult(success=ok)

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:  # noqa: N802
        if self.refusing:
            return "554 refused for this test"
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))  # type: ignore[arg-type]
        return "250 OK"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for m in self.messages if address in str(m["To"])]

    def stop(self) -> None:
        self.controller.stop()
