"""A throwaway PostgreSQL cluster in a temp folder, for the relay's tests and its benchmark.

Uses the server binaries of Debian's `postgresql` package (`/usr/lib/postgresql/<major>/bin`)
or those on PATH. PostgreSQL refuses to run as root, so under root the cluster runs as the
`postgres` system user (created by the package; a `relaytest` user is made if it is missing)
through `runuser`. It listens on 127.0.0.1 on a free port, trusts local connections (nothing
else can reach it), and is stopped and deleted on `stop()`.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType

SUPERUSER = "relay"


def find_bin_dir() -> Path | None:
    """The newest PostgreSQL server binary folder on this machine, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _run_as_user() -> str | None:
    if os.geteuid() != 0:
        return None
    import pwd  # POSIX only, like the rest of this module's use

    for name in ("postgres", "relaytest"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    subprocess.run(["useradd", "--system", "--no-create-home", "relaytest"], check=True, capture_output=True)
    return "relaytest"


class TempPostgres:
    """Start a private cluster; `url(db)` names a database on it; `create_database` makes one.

    Raises (on start):
        RuntimeError: no PostgreSQL server binaries, or the server did not start (with its log).
    """

    def __init__(self) -> None:
        bin_dir = find_bin_dir()
        if bin_dir is None:
            raise RuntimeError("PostgreSQL server binaries not found (install Debian's postgresql package)")
        self._bin = bin_dir
        self._user = _run_as_user()
        self.root = Path(tempfile.mkdtemp(prefix="relay-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self._started = False

    def _cmd(self, *args: str) -> list[str]:
        return (["runuser", "-u", self._user, "--"] if self._user else []) + list(args)

    def start(self) -> TempPostgres:
        """initdb, then start the server and wait until it accepts connections."""
        if self._user:
            shutil.chown(self.root, self._user)
        log = self.root / "server.log"
        steps = [
            self._cmd(str(self._bin / "initdb"), "-D", str(self.data), "-U", SUPERUSER, "--auth=trust", "-E", "UTF8"),
            self._cmd(
                str(self._bin / "pg_ctl"),
                "-D",
                str(self.data),
                "-l",
                str(log),
                "-w",
                "-t",
                "60",
                "-o",
                f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} -c max_connections=200",
                "start",
            ),
        ]
        for step in steps:
            proc = subprocess.run(step, capture_output=True, text=True, cwd=self.root)
            if proc.returncode != 0:
                detail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
                self.stop()
                raise RuntimeError(f"PostgreSQL did not start: {proc.stderr[-2000:]}{detail}")
        self._started = True
        return self

    def url(self, database: str = "postgres") -> str:
        """The `postgresql://` URL of a database on this cluster."""
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """Create a database (a plain identifier) and return its URL."""
        import psycopg

        if not name.isidentifier():
            raise ValueError("database name must be a plain identifier")
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"'.encode())
        return self.url(name)

    def stop(self) -> None:
        """Stop the server (immediate: the cluster is thrown away) and delete its folder."""
        if self._started:
            subprocess.run(
                self._cmd(str(self._bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"),
                capture_output=True,
                cwd=self.root,
            )
            self._started = False
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> TempPostgres:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
