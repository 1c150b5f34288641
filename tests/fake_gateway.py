"""A fake SMS gateway for tests and benchmarks: a small threaded HTTP server on 127.0.0.1 that answers like
a bulk-SMS gateway (or Twilio) and keeps every request it received.

``behaviours`` is a list the gateway works through, one per request, then answers ``"ok"`` to the rest:
``"ok"`` (200, JSON with an id), ``"fail"`` (503), ``"reject"`` (400: an invalid number), ``"timeout"``
(answers after ``hang`` seconds, longer than the client waits), ``"slow"`` (answers after ``slow``
seconds, within the client's timeout).

    with FakeGateway() as gateway:
        app.config.update(SMS_BACKEND="http", SMS_URL=gateway.url)
        ...
        assert gateway.keys() == [...]
"""

import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Received:
    method: str
    path: str
    fields: dict[str, str]
    headers: dict[str, str]
    answered: str = ""


@dataclass
class FakeGateway:
    behaviours: list[str] = field(default_factory=list)
    hang: float = 3.0
    slow: float = 0.3
    received: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        self.first_at = self.last_at = 0.0  # time.perf_counter() of the first and the last request
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real gateways and the client's session use
            # Headers and body go in two writes: without TCP_NODELAY the body waits for the client's delayed
            # ACK (40 ms a request on Linux), which would measure the kernel, not the sender.
            disable_nagle_algorithm = True

            def log_message(self, *args) -> None:  # quiet: tests read ``received`` instead
                pass

            def do_GET(self) -> None:
                self.answer(dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True)))

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length).decode()
                self.answer(dict(parse_qsl(body, keep_blank_values=True)))

            def answer(self, fields: dict[str, str]) -> None:
                with gateway.lock:
                    behaviour = gateway.behaviours.pop(0) if gateway.behaviours else "ok"
                    received = Received(self.command, urlsplit(self.path).path, fields, dict(self.headers), behaviour)
                    gateway.received.append(received)
                    number = len(gateway.received)
                    gateway.last_at = time.perf_counter()
                    gateway.first_at = gateway.first_at or gateway.last_at
                if behaviour == "timeout":
                    time.sleep(gateway.hang)
                elif behaviour == "slow":
                    time.sleep(gateway.slow)
                status, payload = {
                    "fail": (503, {"error": "service unavailable"}),
                    "reject": (400, {"error": "invalid number"}),
                }.get(behaviour, (200, {"sid": f"SM{number:06d}", "status": "queued"}))
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting (a timeout)
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/api/send"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "FakeGateway":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def keys(self, name: str = "id") -> list[str]:
        """The idempotency key of each request received, in order (the field ``name``)."""
        with self.lock:
            return [request.fields.get(name, "") for request in self.received]

    def accepted(self, name: str = "id") -> Counter:
        """How many times each key was accepted (answered ok or slow): what a gateway without
        de-duplication would have delivered."""
        with self.lock:
            return Counter(
                request.fields.get(name, "") for request in self.received if request.answered in ("ok", "slow")
            )
