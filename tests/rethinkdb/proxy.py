"""A TCP proxy on loopback that can lose the server's answers, to test what a lost reply does to a commit."""

from __future__ import annotations

import contextlib
import socket
import threading


class LossyProxy:
    """Forwards 127.0.0.1:``port`` to a RethinkDB driver port.

    ``lose_next_reply()`` makes the proxy swallow the next bytes the server sends back and cut the client's
    connection: the server did the work, the client never hears of it. ``refuse()`` cuts every connection
    and closes the port, as a dead server would; ``accept()`` opens it again.
    """

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._lose = threading.Event()
        self._refusing = threading.Event()
        self._lost = threading.Event()
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._serve, daemon=True).start()

    def lose_next_reply(self) -> None:
        self._lost.clear()
        self._lose.set()

    def reply_was_lost(self) -> bool:
        return self._lost.is_set()

    def refuse(self) -> None:
        self._refusing.set()
        self._close_listener()  # connects are refused, as by a host whose server is down
        self._cut_all()

    def accept(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self._refusing.clear()
        threading.Thread(target=self._serve, daemon=True).start()

    def close(self) -> None:
        self._close_listener()
        self._cut_all()

    def _close_listener(self) -> None:
        # shutdown wakes the thread blocked in accept(); close alone would leave it accepting
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()

    def _serve(self) -> None:
        listener = self._listener
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.target_port))
            with self._lock:
                self._sockets += [client, server]
            threading.Thread(target=self._pump, args=(client, server, False), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, True), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, replies: bool) -> None:
        try:
            while data := source.recv(65536):
                if replies and self._lose.is_set():
                    self._lose.clear()
                    self._lost.set()
                    break  # swallow the reply and hang up on the client
                sink.sendall(data)
        except OSError:
            pass
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _cut_all(self) -> None:
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
