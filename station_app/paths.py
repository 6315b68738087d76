"""Where the station keeps its data and its log, and who may read them.

The data folder and its subfolders are 0700 and every file in them 0600 (the umask at
start, and explicit modes where files are made), so another account on a shared PC reads
nothing, not even encrypted pages.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
from pathlib import Path

from platformdirs import user_data_dir

APP_NAME = "station-app"
APP_AUTHOR = "MoheCity"


def default_data_dir() -> Path:
    """The per-user data folder for this platform (platformdirs); it may not exist yet."""
    return Path(user_data_dir(APP_NAME, APP_AUTHOR))


PRIVATE_DIR, PRIVATE_FILE = 0o700, 0o600


def private_umask() -> None:
    """From here on this process makes files 0600 and folders 0700.

    POSIX only; on Windows the user profile's own access rules apply.
    """
    if os.name == "posix":
        os.umask(0o077)


def make_private_dir(folder: Path, parents: bool = False) -> None:
    """Make `folder` (0700) when it is missing, and make sure an existing one is 0700."""
    folder.mkdir(mode=PRIVATE_DIR, parents=parents, exist_ok=True)
    restrict(folder)


def restrict(path: Path) -> None:
    """Set `path` to 0700 (a folder) or 0600 (a file) when it exists.

    A file system that keeps no modes (FAT on a stick) is left as it is.
    """
    if os.name != "posix":
        return
    try:
        os.chmod(path, PRIVATE_DIR if path.is_dir() else PRIVATE_FILE)
    except OSError:  # gone meanwhile, or a file system without modes
        pass


class _PrivateLog(logging.handlers.RotatingFileHandler):
    """A rotating log whose files are 0600 whatever the umask."""

    def _open(self):  # type: ignore[no-untyped-def]
        stream = super()._open()
        restrict(Path(self.baseFilename))
        return stream


def setup_logging(data_dir: Path) -> None:
    """Send this process's log to a rotating file in the data folder's `logs` (0700, files 0600).

    A data folder that does not exist is never made here (a mistyped --data-dir), and a log
    that is not a plain file (a pipe, a link, a folder) is not opened: the log goes nowhere then.
    Callers never log personal data, only codes.
    """
    folder = data_dir / "logs"
    try:
        if not data_dir.is_dir():
            raise FileNotFoundError(str(data_dir))
        make_private_dir(folder)
        log = folder / "station.log"
        if log.is_symlink() or (log.exists() and not log.is_file()):  # a pipe would block the open
            raise IsADirectoryError(str(log))
        handler: logging.Handler = _PrivateLog(log, maxBytes=1_000_000, backupCount=3, encoding="utf-8")
    except OSError:
        handler = logging.NullHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger("station_app")
    if not any(not isinstance(h, logging.NullHandler) for h in root.handlers):
        root.addHandler(handler)
        root.setLevel(logging.INFO)
