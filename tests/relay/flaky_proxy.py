"""A TCP proxy on 127.0.0.1 that cuts the first connections after some bytes: a line that drops."""

from __future__ import annotations

import socket
import threading


class FlakyProxy:
    """Forward to `upstream_port`; each of the first `drops` connections is cut once `cut_after`
    bytes went from the client to the relay (mid-request, as a failing line does)."""

    def __init__(self, upstream_port: int, cut_after: int, drops: int = 1) -> None:
        self.upstream_port, self.cut_after, self.drops = upstream_port, cut_after, drops
        self.cuts = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._stop = False
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while not self._stop:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            limit = self.cut_after if self.cuts < self.drops else None
            if limit is not None:
                self.cuts += 1
            threading.Thread(target=self._pipe, args=(client, upstream, limit), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, None), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket, limit: int | None) -> None:
        sent = 0
        try:
            while data := src.recv(65536):
                if limit is not None and sent + len(data) >= limit:
                    dst.sendall(data[: limit - sent])
                    break
                dst.sendall(data)
                sent += len(data)
        except OSError:
            pass
        for sock in (src, dst):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def close(self) -> None:
        self._stop = True
        self._listener.close()
