"""One desk app per data folder and user account: a second launch brings the running window
forward instead of opening another (two windows on one store would confuse the desk).

The first launch listens on a local socket named after the data folder; a later launch
connects, asks it to come forward and exits.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

CONNECT_MS = 500
RAISE = b"raise\n"


def server_name(data_dir: Path) -> str:
    """A socket name for this data folder and OS account (no path in it: names are short)."""
    key = f"{data_dir.resolve()}|{os.getuid() if hasattr(os, 'getuid') else os.environ.get('USERNAME', '')}"
    return "station-app-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]


class SingleInstance(QObject):
    """`claim()` is True for the first launch; later launches make it emit `raise_requested`."""

    raise_requested = Signal()

    def __init__(self, data_dir: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = server_name(data_dir)
        self.server: QLocalServer | None = None

    def claim(self) -> bool:
        """Listen as the running app; False (after asking it to come forward) if one runs."""
        if self._forward():
            return False
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not server.listen(self.name):
            QLocalServer.removeServer(self.name)  # left by a crashed launch
            server.listen(self.name)
        server.newConnection.connect(self._on_server_new_connection)
        self.server = server
        return True

    def _forward(self) -> bool:
        socket = QLocalSocket()
        socket.connectToServer(self.name)
        if not socket.waitForConnected(CONNECT_MS):
            return False
        socket.write(RAISE)
        socket.waitForBytesWritten(CONNECT_MS)
        socket.disconnectFromServer()
        return True

    def _on_server_new_connection(self) -> None:
        assert self.server is not None
        while self.server.hasPendingConnections():
            socket = self.server.nextPendingConnection()
            # the other launch writes at once and leaves: read here rather than wire the socket
            arrived = bool(socket.bytesAvailable()) or socket.waitForReadyRead(CONNECT_MS)
            if arrived and RAISE.strip() in bytes(socket.readAll().data()):
                self.raise_requested.emit()
            socket.abort()
            socket.deleteLater()

    def close(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None
