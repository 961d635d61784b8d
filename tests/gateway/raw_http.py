"""Raw HTTP/1.1 on plain sockets for the strangler tests: nothing here normalises a message."""

from __future__ import annotations

import io
import socket
import threading
from dataclasses import dataclass


def http(head: str, body: bytes = b"") -> bytes:
    return head.replace("\n", "\r\n").encode("latin-1") + b"\r\n" + body


@dataclass
class Message:
    start: bytes
    lines: list[tuple[str, bytes]]  # (name as sent, raw value)
    body: bytes

    @property
    def headers(self) -> list[tuple[str, bytes]]:  # names lower-cased, to pick lines by name
        return [(name.lower(), value) for name, value in self.lines]


def read_message(stream, on_head=None) -> Message:
    start = stream.readline().rstrip(b"\r\n")
    headers = []
    while (line := stream.readline()) not in (b"\r\n", b"\n", b""):
        name, _, value = line.rstrip(b"\r\n").partition(b":")
        headers.append((name.decode("latin-1"), value.strip(b" \t")))
    fields = {name.lower(): value for name, value in headers}
    if on_head is not None and start:
        on_head()
    if b"chunked" in fields.get("transfer-encoding", b""):
        body = b""
        while size := int(stream.readline().split(b";")[0], 16):
            body += stream.read(size)
            stream.readline()
        stream.readline()
    else:
        body = stream.read(int(fields.get("content-length", b"0")))
    return Message(start, headers, body)


def parse(raw: bytes) -> Message:
    return read_message(io.BytesIO(raw))


class RawLegacy:
    """A legacy system on a raw socket: records each request's bytes, answers the next canned response."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.received: list[Message] = []
        self.answer = b""
        self._accepted = 0
        self.pending: list[int] = []  # connections whose request head is in and whose body is awaited
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self._accepted += 1
            threading.Thread(target=self._connection, args=(conn,), daemon=True).start()

    def _connection(self, conn: socket.socket) -> None:
        with conn, conn.makefile("rb") as stream:
            while True:  # keep-alive: the gateway's pool reuses connections
                message = read_message(stream, on_head=lambda: self.pending.append(conn.fileno()))
                if self.pending:
                    self.pending.remove(conn.fileno())
                if not message.start:
                    return
                self.received.append(message)
                conn.sendall(self.answer)

    def close(self) -> None:
        self.sock.close()

    @property
    def connections(self) -> int:
        return self._accepted
