"""Where the station keeps its data and its log."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from platformdirs import user_data_dir

APP_NAME = "station-app"
APP_AUTHOR = "MoheCity"


def default_data_dir() -> Path:
    return Path(user_data_dir(APP_NAME, APP_AUTHOR))


def setup_logging(data_dir: Path) -> None:
    """A rotating log in the data folder. Callers never log personal data, only codes."""
    folder = data_dir / "logs"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.handlers.RotatingFileHandler(
            folder / "station.log", maxBytes=1_000_000, backupCount=3, encoding="utf-8"
        )
    except OSError:
        handler = logging.NullHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger("station_app")
    if not any(not isinstance(h, logging.NullHandler) for h in root.handlers):
        root.addHandler(handler)
        root.setLevel(logging.INFO)
