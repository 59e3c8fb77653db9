"""A Stripe stand-in of its own for one test, behind a small loopback relay the test can cut
and restore: the stand-in keeps everything it knows while the site cannot reach it.

`cut()` closes the relay's listening socket (new requests are refused at once, as when the
provider is down) and drops the site's side of every open connection (a request in flight
never gets its answer), but lets the stand-in finish what it was asked: with a delay at the
stand-in, that is "Stripe took the payment, the answer was lost". `restore()` listens again on
the same port. `pause()` / `resume()` stop and continue the stand-in process itself
(SIGSTOP / SIGCONT): requests then wait for their read time-out.
"""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import suppress

from tests.shop.standin import standin_config
from tests.support import ROOT
from tests.support.processes import free_port, wait_for_port

_CHUNK = 65536


class StripeOutage:
    """The stand-in's process and the relay the site talks to (``url``)."""

    def __init__(self) -> None:
        self.standin_port = free_port()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.standin_url = f"http://127.0.0.1:{self.standin_port}"
        self._process: subprocess.Popen | None = None
        self._listener: socket.socket | None = None
        self._site_sides: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._paused = False

    # The process

    def start(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, str(ROOT / "scripts" / "stripe_standin.py")]
            + ["--port", str(self.standin_port)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.standin_port)
        self.restore()

    def stop(self) -> None:
        self.cut()
        if self._process is not None:
            if self._paused:
                os.kill(self._process.pid, signal.SIGCONT)
            self._process.terminate()
            self._process.wait(timeout=10)
            self._process = None

    def pause(self) -> None:
        os.kill(self._process.pid, signal.SIGSTOP)
        self._paused = True

    def resume(self) -> None:
        os.kill(self._process.pid, signal.SIGCONT)
        self._paused = False

    # The relay

    def cut(self) -> None:
        with self._lock:
            listener, self._listener = self._listener, None
            sides, self._site_sides = self._site_sides, set()
        if listener is not None:
            # Shut down first: a bare close leaves the accepting thread's socket listening.
            with suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        for side in sides:
            with suppress(OSError):
                side.shutdown(socket.SHUT_RDWR)
            side.close()

    def restore(self) -> None:
        if self._listener is not None:
            return
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                site_side, _ = listener.accept()
            except OSError:
                return  # cut
            standin_side = socket.create_connection(("127.0.0.1", self.standin_port))
            with self._lock:
                if self._listener is not listener:
                    site_side.close()
                    standin_side.close()
                    return
                self._site_sides.add(site_side)
            threading.Thread(target=self._from_site, args=(site_side, standin_side)).start()
            threading.Thread(target=self._to_site, args=(standin_side, site_side)).start()

    @staticmethod
    def _copy(source: socket.socket, target: socket.socket) -> None:
        with suppress(OSError):
            while data := source.recv(_CHUNK):
                target.sendall(data)

    def _from_site(self, site_side: socket.socket, standin_side: socket.socket) -> None:
        self._copy(site_side, standin_side)
        with self._lock:
            was_cut = site_side not in self._site_sides
            self._site_sides.discard(site_side)
        if not was_cut:
            # The site closed it: pass that on. A cut leaves the stand-in's side open, so
            # the stand-in finishes the request it holds.
            with suppress(OSError):
                standin_side.shutdown(socket.SHUT_WR)

    def _to_site(self, standin_side: socket.socket, site_side: socket.socket) -> None:
        self._copy(standin_side, site_side)
        standin_side.close()
        with suppress(OSError):
            site_side.close()

    # What the stand-in knows

    def requests(self) -> list[dict[str, str]]:
        return standin_config(self.standin_url, "GET", "/_config/requests")["requests"]

    def requests_clear(self) -> None:
        standin_config(self.standin_url, "DELETE", "/_config/requests")

    def delay(self, request: str, seconds: float) -> None:
        standin_config(self.standin_url, "POST", "/_config/delays", {request: seconds})

    def wait_until(self, condition, *, timeout: float = 10.0) -> None:
        """Wait for something the stand-in does on its own time (a delayed request)."""
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError("the stand-in did not get there in time")
            time.sleep(0.1)


def stripe_outage_running() -> Iterator[StripeOutage]:
    """A stand-in and its relay, stopped on the way out whatever state the test left."""
    outage = StripeOutage()
    outage.start()
    try:
        yield outage
    finally:
        outage.stop()
