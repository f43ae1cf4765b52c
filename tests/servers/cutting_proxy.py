"""A TCP proxy on loopback in front of a PostgreSQL server that can cut a connection at its COMMIT's answer.

Armed with :meth:`CuttingProxy.cut_next_commit`, it forwards everything the server sends up to the answer of
the next COMMIT (``CommandComplete "COMMIT"``), then closes both sides of that connection instead of
forwarding the answer: the server has committed, the client never hears it. With ``refuse`` set, new
connections are closed at once (the server looks down to the client).
"""

from __future__ import annotations

import contextlib
import socket
import threading
from types import TracebackType

#: PostgreSQL's CommandComplete message for COMMIT: 'C', length 11, "COMMIT\0"
COMMIT_ANSWER = b"C\x00\x00\x00\x0bCOMMIT\x00"


class CuttingProxy:
    def __init__(self, host: str, port: int) -> None:
        self._target = (host, port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._armed = False
        self._lock = threading.Lock()
        #: connections cut at a COMMIT's answer
        self.cuts = 0
        #: close new connections at once
        self.refuse = False
        #: set ``refuse`` at the moment of the next cut
        self.refuse_after_cut = False
        self._closed = False
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def url(self, database: str, query: str = "") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}{query}"

    def cut_next_commit(self) -> None:
        with self._lock:
            self._armed = True

    def _take_cut(self) -> bool:
        with self._lock:
            armed, self._armed = self._armed, False
            if armed:
                self.cuts += 1
                if self.refuse_after_cut:
                    self.refuse = True
            return armed

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self.refuse:
                client.close()
                continue
            try:
                server = socket.create_connection(self._target, timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            threading.Thread(target=self._pump, args=(client, server, False), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, True), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, from_server: bool) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                at = data.find(COMMIT_ANSWER) if from_server else -1
                if at >= 0 and self._take_cut():
                    sink.sendall(data[:at])  # the notices before it (the transaction's id) still go through
                    break
                sink.sendall(data)
        except OSError:
            pass
        for side in (source, sink):
            with contextlib.suppress(OSError):
                side.shutdown(socket.SHUT_RDWR)
            side.close()

    def close(self) -> None:
        self._closed = True
        self._listener.close()

    def __enter__(self) -> CuttingProxy:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
