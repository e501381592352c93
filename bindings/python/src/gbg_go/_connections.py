"""HTTP/1.1 exchanges over keep-alive connections, for the component's
``wasi:http/outgoing-handler``: sockets kept in a pool per origin, each
request written in one piece and its answer read by :mod:`http.client`'s
parser, the three timeouts of ``wasi:http`` (clamped by the host), and the
WASI ``error-code`` of each failure.
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
        self._idle: dict[Origin, list[tuple[float, socket.socket]]] = {}
        self._lock = threading.Lock()
        self._tls: Optional[ssl.SSLContext] = None

    def take(self, origin: Origin) -> Optional[socket.socket]:
        """A live idle connection to ``origin``, if there is one."""
        now = time.monotonic()
        while True:
            with self._lock:
                idle = self._idle.get(origin)
                if not idle:
                    return None
                since, sock = idle.pop()
            if now - since < IDLE_S and not _dropped(sock):
                return sock
            sock.close()

    def connect(self, origin: Origin, timeout: float, guard: Guard) -> socket.socket:
        """A new connection to ``origin`` (TLS for ``https``)."""
        scheme, host, port = origin
        name = host.strip("[]")
        sock: socket.socket = guard(_nothing, lambda: socket.create_connection((name, port), timeout))
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if scheme == "https":
                with self._lock:
                    if self._tls is None:
                        self._tls = ssl.create_default_context()
                    tls = self._tls
                sock = guard(lambda: _shutdown(sock), lambda: tls.wrap_socket(sock, server_hostname=name))
        except BaseException:
            sock.close()
            raise
        return sock

    def give(self, origin: Origin, sock: socket.socket) -> None:
        """Keeps a connection whose last answer was read to its end."""
        with self._lock:
            idle = self._idle.setdefault(origin, [])
            idle.append((time.monotonic(), sock))
            extra = idle[:-MAX_IDLE]
            del idle[:-MAX_IDLE]
        for _, sock in extra:
            sock.close()

    def close(self) -> None:
        """Closes every idle connection."""
        with self._lock:
            idle = [sock for entries in self._idle.values() for _, sock in entries]
            self._idle.clear()
        for sock in idle:
            sock.close()


def _dropped(sock: socket.socket) -> bool:
    """Whether an idle connection was closed by the server (it is readable:
    an end of stream or bytes nobody asked for)."""
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(sock, select.POLLIN)
        return bool(poller.poll(0))
    return bool(select.select([sock], [], [], 0)[0])


class Exchange:
    """One request and its answer on a pooled connection.

    Every blocking step runs through ``guard(on_stop, step)``, which calls
    ``on_stop`` (shutting the socket down) should the call be stopped
    meanwhile; ``send`` and ``read`` raise :class:`Failure`.
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
        self._request = _request_bytes(origin, method, target, headers, body)
        self._timeouts = timeouts
        self._deadline = 0.0
        self._sock: Optional[socket.socket] = None
        self._response: Optional[http.client.HTTPResponse] = None
        self.status = 0
        self.headers: list[tuple[str, bytes]] = []

    def send(self, guard: Guard) -> None:
        """Sends the request and reads the answer's head."""
        self._deadline = time.monotonic() + _facts.EXCHANGE_DEADLINE_MS / 1000
        sock = self._pool.take(self._origin)
        if sock is not None:
            try:
                return self._exchange(sock, guard)
            except Failure as failure:
                # A pooled connection the server closed just before the
                # request: the request never reached it, so an idempotent
                # one goes again on a new connection.
                if failure.code != "connection-terminated" or self._method not in ("GET", "HEAD", "OPTIONS"):
                    raise
        try:
            sock = self._pool.connect(self._origin, self._bounded(self._timeouts.connect), guard)
        except Exception as error:
            raise failure_of(error, "connect") from None
        self._exchange(sock, guard)

    def _exchange(self, sock: socket.socket, guard: Guard) -> None:
        self._sock = sock
        try:
            sock.settimeout(self._bounded(self._timeouts.first_byte))

            def exchange() -> http.client.HTTPResponse:
                sock.sendall(self._request)
                response = http.client.HTTPResponse(sock, method=self._method)
                response.begin()
                return response

            response: http.client.HTTPResponse = guard(lambda: _shutdown(sock), exchange)
        except Exception as error:
            self.close()
            raise failure_of(error, "head") from None
        self._response = response
        self.status = response.status
        self.headers = [(name.lower(), value.encode("latin-1")) for name, value in response.getheaders()]

    def read(self, size: int, guard: Guard) -> bytes:
        """Up to ``size`` bytes of the body; ``b""`` at its end."""
        response, sock = self._response, self._sock
        if response is None or sock is None:
            return b""
        try:
            sock.settimeout(self._bounded(self._timeouts.between_bytes))
            chunk: bytes = guard(lambda: _shutdown(sock), lambda: response.read1(size))
        except Exception as error:
            self.close()
            raise failure_of(error, "body") from None
        if not chunk or response.length == 0:
            self._finish(response, sock)
        return chunk

    def _finish(self, response: http.client.HTTPResponse, sock: socket.socket) -> None:
        """The body was read to its end: the connection goes back to the pool
        unless the server closes it."""
        self._sock = None
        keep = not response.will_close
        response.close()
        if keep:
            self._pool.give(self._origin, sock)
        else:
            sock.close()

    def close(self) -> None:
        """Drops the exchange: an answer not read to its end closes the connection."""
        sock, self._sock = self._sock, None
        if self._response is not None:
            self._response.close()
        if sock is not None:
            sock.close()

    def _bounded(self, timeout: float) -> float:
        """``timeout``, cut to what is left of the exchange's deadline."""
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise Failure("connection-read-timeout")
        return min(timeout, left)


def _request_bytes(
    origin: Origin, method: str, target: str, headers: list[tuple[str, bytes]], body: bytes
) -> bytes:
    """The request, head and body, to be written in one piece. Every part was
    checked by ``wasi:http/types`` (no line breaks anywhere)."""
    scheme, host, port = origin
    authority = host if port == _default_port(scheme) else f"{host}:{port}"
    head = [f"{method} {target} HTTP/1.1".encode(), b"Host: " + authority.encode()]
    head += [name.encode("latin-1") + b": " + value for name, value in headers]
    return b"\r\n".join(head) + b"\r\n\r\n" + body


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
