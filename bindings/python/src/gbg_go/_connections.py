"""HTTP/1.1 exchanges over keep-alive connections, for the component's
``wasi:http/outgoing-handler``: :mod:`http.client` connections kept in a
pool per origin, the three timeouts of ``wasi:http`` (clamped by the host),
and the WASI ``error-code`` of each failure.
"""

from __future__ import annotations

import errno
import http.client
import select
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Optional

from . import _facts

IDLE_S = 20.0
"""How long an unused connection stays in the pool."""

MAX_IDLE = 8
"""The most unused connections kept per origin."""


@dataclass(frozen=True)
class Timeouts:
    """An exchange's timeouts, in seconds, already clamped to the host's ceilings."""

    connect: float
    first_byte: float
    between_bytes: float

    @classmethod
    def clamped(cls, connect_ns: Optional[int], first_byte_ns: Optional[int], between_ns: Optional[int]) -> "Timeouts":
        """The component's request options (nanoseconds; None when unset),
        each bounded by the contract's ceiling."""

        def bound(ns: Optional[int], ceiling_ms: int) -> float:
            ceiling = ceiling_ms / 1000
            return ceiling if ns is None else min(ns / 1e9, ceiling)

        return cls(
            bound(connect_ns, _facts.CONNECT_TIMEOUT_MS),
            bound(first_byte_ns, _facts.FIRST_BYTE_TIMEOUT_MS),
            bound(between_ns, _facts.BETWEEN_BYTES_TIMEOUT_MS),
        )


class Failure(Exception):
    """An exchange failed; ``code`` is the WASI ``error-code`` case and
    ``payload`` its payload (a dict of WIT field names, a string or None)."""

    def __init__(self, code: str, payload: Any = None) -> None:
        super().__init__(code)
        self.code = code
        self.payload = payload


Origin = tuple[str, str, int]
"""``(scheme, host, port)``."""

Guard = Callable[[Callable[[], None], Callable[[], Any]], Any]
"""Runs a blocking step (the second function) so that stopping the call
runs the first, which ends the step."""


class Pool:
    """Idle keep-alive connections by origin, shared by the stores of one
    runtime, newest first."""

    def __init__(self) -> None:
        self._idle: dict[Origin, list[tuple[float, http.client.HTTPConnection]]] = {}
        self._lock = threading.Lock()
        self._tls: Optional[ssl.SSLContext] = None

    def take(self, origin: Origin, connect_timeout: float) -> tuple[http.client.HTTPConnection, bool]:
        """A live idle connection to ``origin`` (and True), or a new,
        unconnected one (and False)."""
        now = time.monotonic()
        while True:
            with self._lock:
                idle = self._idle.get(origin)
                if not idle:
                    break
                since, connection = idle.pop()
            if now - since < IDLE_S and not _dropped(connection):
                return connection, True
            connection.close()
        scheme, host, port = origin
        if scheme == "https":
            with self._lock:
                if self._tls is None:
                    self._tls = ssl.create_default_context()
                tls = self._tls
            return http.client.HTTPSConnection(host, port, timeout=connect_timeout, context=tls), False
        return http.client.HTTPConnection(host, port, timeout=connect_timeout), False

    def give(self, origin: Origin, connection: http.client.HTTPConnection) -> None:
        """Keeps a connection whose last answer was read to its end."""
        with self._lock:
            idle = self._idle.setdefault(origin, [])
            idle.append((time.monotonic(), connection))
            extra = idle[:-MAX_IDLE]
            del idle[:-MAX_IDLE]
        for _, connection in extra:
            connection.close()

    def close(self) -> None:
        """Closes every idle connection."""
        with self._lock:
            idle = [c for entries in self._idle.values() for _, c in entries]
            self._idle.clear()
        for connection in idle:
            connection.close()


def _dropped(connection: http.client.HTTPConnection) -> bool:
    """Whether an idle connection was closed by the server (it is readable:
    an end of stream or bytes nobody asked for)."""
    sock = connection.sock
    if sock is None:
        return True
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(sock, select.POLLIN)
        return bool(poller.poll(0))
    return bool(select.select([sock], [], [], 0)[0])


class Exchange:
    """One request and its answer on a pooled connection.

    Every blocking step runs through ``guard(on_stop, step)``, which calls
    ``on_stop`` (closing the socket) should the call be stopped meanwhile;
    ``send`` and ``read`` raise :class:`Failure`.
    """

    def __init__(
        self,
        pool: Pool,
        origin: Origin,
        method: str,
        target: str,
        headers: list[tuple[str, bytes]],
        body: bytes,
        timeouts: Timeouts,
    ) -> None:
        self._pool = pool
        self._origin = origin
        self._method = method
        self._target = target
        self._headers = headers
        self._body = body
        self._timeouts = timeouts
        self._deadline = 0.0
        self._connection: Optional[http.client.HTTPConnection] = None
        self._sock: Optional[socket.socket] = None
        self._response: Optional[http.client.HTTPResponse] = None
        self.status = 0
        self.headers: list[tuple[str, bytes]] = []

    def send(self, guard: Guard) -> None:
        """Sends the request and reads the answer's head."""
        self._deadline = time.monotonic() + _facts.EXCHANGE_DEADLINE_MS / 1000
        connection, reused = self._pool.take(self._origin, self._timeouts.connect)
        try:
            self._exchange(connection, guard)
        except Failure as failure:
            # A pooled connection the server closed just before the request:
            # the request never reached it, so it goes again on a new one.
            if not (reused and failure.code == "connection-terminated" and self._idempotent()):
                raise
            connection, _ = self._pool.take(self._origin, self._timeouts.connect)
            self._exchange(connection, guard)

    def _idempotent(self) -> bool:
        return self._method in ("GET", "HEAD", "OPTIONS")

    def _exchange(self, connection: http.client.HTTPConnection, guard: Guard) -> None:
        self._connection = connection
        phase = "connect"
        try:
            if connection.sock is None:
                connection.timeout = self._bounded(self._timeouts.connect)
                guard(_nothing, connection.connect)
            phase = "send"
            sock = self._sock = connection.sock
            sock.settimeout(self._bounded(self._timeouts.first_byte))
            host, port = self._origin[1], self._origin[2]
            connection.putrequest(self._method, self._target, skip_host=True, skip_accept_encoding=True)
            connection.putheader("Host", host if port == _default_port(self._origin[0]) else f"{host}:{port}")
            for name, value in self._headers:
                connection.putheader(name, value)

            def exchange() -> None:
                connection.endheaders(self._body or None)
                self._response = connection.getresponse()

            phase = "head"
            guard(lambda: _shutdown(sock), exchange)
        except BaseException as error:
            connection.close()
            self._connection = None
            if isinstance(error, Exception) and not isinstance(error, Failure):
                raise failure_of(error, phase) from None
            raise
        response = self._response
        assert response is not None
        self.status = response.status
        self.headers = [(name.lower(), value.encode("latin-1")) for name, value in response.getheaders()]

    def read(self, size: int, guard: Guard) -> bytes:
        """Up to ``size`` bytes of the body; ``b""`` at its end."""
        response, sock = self._response, self._sock
        if response is None or sock is None or self._connection is None:
            return b""
        try:
            sock.settimeout(self._bounded(self._timeouts.between_bytes))
            chunk: bytes = guard(lambda: _shutdown(sock), lambda: response.read1(size))
        except Exception as error:
            self.close()
            raise failure_of(error, "body") from None
        if not chunk or response.length == 0:
            self._finish(response)
        return chunk

    def _finish(self, response: http.client.HTTPResponse) -> None:
        """The body was read to its end: the connection goes back to the pool
        unless the server closes it."""
        connection, self._connection = self._connection, None
        response.close()  # all read: this frees the connection for its next request
        if connection is not None and connection.sock is not None:
            self._pool.give(self._origin, connection)
        elif connection is not None:
            connection.close()

    def close(self) -> None:
        """Drops the exchange: an answer not read to its end closes the connection."""
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()
        if self._response is not None:
            self._response.close()

    def _bounded(self, timeout: float) -> float:
        """``timeout``, cut to what is left of the exchange's deadline."""
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise Failure("connection-read-timeout")
        return min(timeout, left)


def _nothing() -> None:
    pass


def _default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


def _shutdown(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def failure_of(error: BaseException, phase: str) -> Failure:
    """The WASI ``error-code`` of an exception raised while ``phase`` ran
    (``connect``, ``send``, ``head`` or ``body``)."""
    if isinstance(error, Failure):
        return error
    if isinstance(error, (socket.timeout, TimeoutError)):
        return Failure("connection-timeout" if phase == "connect" else "connection-read-timeout")
    if isinstance(error, socket.gaierror):
        return Failure("DNS-error", {"rcode": error.strerror, "info-code": None})
    if isinstance(error, ConnectionRefusedError):
        return Failure("connection-refused")
    if isinstance(error, ssl.SSLCertVerificationError):
        return Failure("TLS-certificate-error")
    if isinstance(error, ssl.SSLError):
        return Failure("TLS-protocol-error")
    if isinstance(error, http.client.IncompleteRead):
        return Failure("HTTP-response-incomplete")
    if isinstance(error, (ConnectionError, http.client.RemoteDisconnected)):
        return Failure("HTTP-response-incomplete" if phase == "body" else "connection-terminated")
    if isinstance(error, http.client.HTTPException):
        return Failure("HTTP-protocol-error")
    if isinstance(error, OSError) and error.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
        return Failure("destination-unavailable")
    return Failure("internal-error", f"{type(error).__name__}: {error}")
