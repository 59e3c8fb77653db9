"""Stripe's answers about disputes, recorded, served over real HTTP on loopback: the
stand-in has no disputes, files or evidence. The server keeps every request it received
(path, form fields, uploaded files) for the test to check what the shop sent."""

import contextlib
import json
import threading
from dataclasses import dataclass, field
from email import message_from_bytes
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

RECORDED = Path(__file__).resolve().parent / "recorded" / "stripe_disputes"
# The ports this test module may use.
PORTS = range(8740, 8750)


def recorded(name: str) -> dict:
    return json.loads((RECORDED / name).read_text())


@dataclass
class Received:
    method: str
    path: str
    fields: dict[str, str]
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    idempotency_key: str = ""


@dataclass
class RecordedStripe:
    url: str
    requests: list[Received] = field(default_factory=list)
    # Disputes Stripe answers "already closed" for.
    closed: set[str] = field(default_factory=set)
    # Set when an upload arrives; while ``hold`` is set, uploads wait for ``release``.
    upload_arrived: threading.Event = field(default_factory=threading.Event)
    hold: bool = False
    release: threading.Event = field(default_factory=threading.Event)

    def of(self, prefix: str) -> list[Received]:
        return [r for r in self.requests if r.path.startswith(prefix)]


def _multipart(content_type: str, body: bytes) -> tuple[dict[str, str], dict]:
    message = message_from_bytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body, policy=HTTP
    )
    fields, files = {}, {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if part.get_filename():
            files[name] = (part.get_filename(), payload)
        else:
            fields[name] = payload.decode()
    return fields, files


def _handler(state: RecordedStripe):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _answer(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Request-Id", "req_recorded")
            self.end_headers()
            self.wfile.write(data)

        def _received(self) -> Received:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            content_type = self.headers.get("Content-Type", "")
            if content_type.startswith("multipart/form-data"):
                fields, files = _multipart(content_type, body)
            else:
                fields = {k: v[-1] for k, v in parse_qs(body.decode()).items()}
                files = {}
            received = Received(
                self.command,
                self.path,
                fields,
                files,
                self.headers.get("Idempotency-Key", ""),
            )
            state.requests.append(received)
            return received

        def do_GET(self):
            self._received()
            if self.path.startswith("/v1/charges/"):
                return self._answer(200, recorded("charge.json"))
            return self._answer(404, {"error": {"type": "invalid_request_error"}})

        def do_POST(self):
            received = self._received()
            if self.path == "/v1/files":
                state.upload_arrived.set()
                if state.hold:
                    state.release.wait(timeout=30)
                return self._answer(200, recorded("file_created.json"))
            if self.path.startswith("/v1/disputes/"):
                dispute_id = self.path.rsplit("/", 1)[-1]
                if dispute_id in state.closed:
                    return self._answer(400, recorded("dispute_already_closed.json"))
                answer = recorded("dispute_submitted.json")
                answer["id"] = dispute_id
                answer["evidence"]["uncategorized_file"] = received.fields.get(
                    "evidence[uncategorized_file]"
                )
                return self._answer(200, answer)
            return self._answer(404, {"error": {"type": "invalid_request_error"}})

    return Handler


@contextlib.contextmanager
def recorded_stripe_running():
    """A server of recorded answers on the first free port of ``PORTS``."""
    state = RecordedStripe(url="")
    server = None
    for port in PORTS:
        try:
            server = ThreadingHTTPServer(("127.0.0.1", port), _handler(state))
            break
        except OSError:
            continue
    if server is None:
        raise RuntimeError(f"no free port in {PORTS.start}-{PORTS.stop - 1}")
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
