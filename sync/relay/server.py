"""Running the relay under uvicorn: in the foreground (`relay serve`) or in a thread (tests, bench).

`build_service` turns the operator's inputs (keyring file, database URL, blob folder) into a
`RelayService`; `serve` runs it until interrupted and prints `{"listening": URL}` once the socket
accepts connections; `RelayThread` runs one on a free loopback port inside this process.
"""

from __future__ import annotations

import json
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

import uvicorn

from sync.keyring_doc import load_keyring
from sync.relay.app import create_app
from sync.relay.blobs import BlobStore
from sync.relay.db import make_engine
from sync.relay.service import RelayService
from sync.relay.settings import RelaySettings


def build_service(keyring_file: Path, db_url: str, blobs: Path, settings: RelaySettings | None = None) -> RelayService:
    """A relay over `db_url` and the blob folder `blobs`, trusting the root of `keyring_file`.

    The newest keyring wins: one stored by an earlier update stays in force over an older file.

    Raises:
        OSError: the keyring file cannot be read or the blob folder cannot be made.
        sync.keyring_doc.KeyringError: the keyring file is not a valid signed keyring.
        ValueError: an unsupported database URL.
        sqlalchemy.exc.OperationalError: the database cannot be reached.
    """
    keyring = load_keyring(Path(keyring_file).read_bytes())
    engine = make_engine(db_url)
    return RelayService(engine, BlobStore(Path(blobs)), keyring, settings or RelaySettings())


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on `host`:`port` (0 picks a free port)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit this. Without it a response written in two pieces (headers,
    # then body) waits for the client's delayed ACK: 40 ms on every request, measured.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(512)
    return sock


def url_of(sock: socket.socket) -> str:
    """The http:// URL a bound socket serves."""
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, on_ready: Callable[[], None]) -> None:
        super().__init__(config)
        self._on_ready = on_ready

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if not self.should_exit:
            self._on_ready()


def _config(service: RelayService, log_level: str) -> uvicorn.Config:
    # No access log: request lines name bundle ids and peers, which belong in no log.
    return uvicorn.Config(create_app(service), log_level=log_level, access_log=False, lifespan="on")


def serve(service: RelayService, host: str = "127.0.0.1", port: int = 8765) -> None:
    """Run the relay in the foreground until SIGINT/SIGTERM; print `{"listening": URL}` when ready.

    Returns normally after a graceful shutdown on either signal.

    Raises:
        OSError: the address cannot be bound.
    """
    sock = bind(host, port)
    url = url_of(sock)

    def ready() -> None:
        print(json.dumps({"listening": url}), flush=True)

    def stop_asked(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    # uvicorn shuts down gracefully on SIGINT/SIGTERM, then re-raises the signal to the handler
    # that was there before: ours turns it into a normal return (a clean exit for systemd).
    previous = signal.signal(signal.SIGTERM, stop_asked)
    try:
        _Server(_config(service, "warning"), ready).run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        sock.close()
        service.store.engine.dispose()
    sys.stdout.flush()


class RelayThread:
    """A relay on a free 127.0.0.1 port in a background thread; use as a context manager.

    Attributes:
        url: the base URL, set once started.
        service: the relay's service (tests reach its settings and blob folder).
    """

    def __init__(self, service: RelayService, host: str = "127.0.0.1") -> None:
        self.service = service
        self._sock = bind(host, 0)
        self.url = url_of(self._sock)
        self._ready = threading.Event()
        self._server = _Server(_config(service, "error"), self._ready.set)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True)

    def __enter__(self) -> RelayThread:
        self._thread.start()
        if not self._ready.wait(30):
            raise RuntimeError("the relay did not start within 30 s")
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def stop(self) -> None:
        """Stop serving and wait for the thread (at most 120 s), then close the database pool."""
        self._server.should_exit = True
        self._thread.join(120)
        self._sock.close()
        if self._thread.is_alive():
            return
        # A worker thread may still be finishing a query the event loop stopped waiting for;
        # let it hand its connection back so that dispose() closes every one.
        pool = self.service.store.engine.pool
        deadline = time.monotonic() + 10
        while getattr(pool, "checkedout", lambda: 0)() and time.monotonic() < deadline:
            time.sleep(0.01)
        self.service.store.engine.dispose()
