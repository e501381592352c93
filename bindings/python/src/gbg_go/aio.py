"""The GBG GO client for asyncio.

The same client as :mod:`gbg_go`, with coroutine methods of the same names and
arguments. Each call runs the component on a thread of the client's own
executor (wasmtime-py calls the runtime through ctypes, which releases the
GIL), so the event loop keeps running while a call waits on the network or
in ``wait_for_completion``. Errors are the :class:`gbg_go.GbgGoError`
subclasses of the sync client.

A client runs up to ``max_concurrency`` calls at once, each in its own store
(component instance) with its own token cache; more calls wait their turn.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import functools
from os import PathLike
from typing import Any, Optional, Union

import gbg_go

DEFAULT_MAX_CONCURRENCY = 4
"""How many calls one client runs at once unless told otherwise."""


class Runtime:
    """The compiled component; ``await runtime.open(config)`` opens a :class:`Client`.

    ``component`` and ``memory_bytes`` are those of :class:`gbg_go.Runtime`.
    """

    def __init__(
        self,
        component: Union[str, PathLike, None] = None,
        memory_bytes: int = 64 << 20,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
    ):
        self._runtime = gbg_go.Runtime(component, memory_bytes)
        self._max_concurrency = max_concurrency

    async def open(self, config: gbg_go.ClientConfig) -> "Client":
        """Validates ``config`` and opens a client. Sends nothing."""
        client = Client(self._runtime, config, self._max_concurrency)
        client._release(await client._open())
        return client


class Client:
    """A GBG GO client whose methods are coroutines; none blocks the event loop."""

    def __init__(self, runtime: gbg_go.Runtime, config: gbg_go.ClientConfig, max_concurrency: int):
        self._runtime = runtime
        self._config = config
        self._max = max_concurrency
        self._executor = concurrent.futures.ThreadPoolExecutor(max_concurrency, thread_name_prefix="gbg-go")
        self._idle: list[gbg_go.Client] = []
        self._waiting: collections.deque[asyncio.Future] = collections.deque()
        self._opened = 0

    async def authenticate(self) -> gbg_go.TokenInfo:
        """Fetches a new customer access token; returns its lifetime."""
        return await self._call(gbg_go.Client.authenticate)

    async def start_journey(
        self, resource_id: str, delivery: str = "page", subject: Optional[str] = None
    ) -> gbg_go.StartedJourney:
        """Starts a journey (``delivery``: ``page`` or ``api``; ``subject``: JSON object text)."""
        return await self._call(gbg_go.Client.start_journey, resource_id, delivery, subject)

    async def fetch_journey_state(
        self, instance_id: str, filter_keys: Optional[list[str]] = None
    ) -> gbg_go.JourneyState:
        """Fetches an instance's state."""
        return await self._call(gbg_go.Client.fetch_journey_state, instance_id, filter_keys)

    async def wait_for_completion(
        self, instance_id: str, poll_interval_ms: int, timeout_ms: int
    ) -> gbg_go.JourneyState:
        """Polls until the instance is no longer in progress; raises
        :class:`gbg_go.WaitTimeoutError` once ``timeout_ms`` has passed."""
        return await self._call(gbg_go.Client.wait_for_completion, instance_id, poll_interval_ms, timeout_ms)

    async def delete_instance(self, instance_id: str) -> None:
        """Permanently deletes an instance's state."""
        await self._call(gbg_go.Client.delete_instance, instance_id)

    async def health(self) -> str:
        """The service's health message, ``OK`` when healthy."""
        return await self._call(gbg_go.Client.health)

    async def fetch_interaction(self, instance_id: str) -> Union[gbg_go.Interaction, gbg_go.NotReady]:
        """Fetches the interaction an API journey waits on."""
        return await self._call(gbg_go.Client.fetch_interaction, instance_id)

    async def submit_interaction(
        self, instance_id: str, interaction_id: str, participants: list[gbg_go.Participant], subject: str
    ) -> None:
        """Submits collected data (``subject``: JSON object text) for an interaction."""
        await self._call(gbg_go.Client.submit_interaction, instance_id, interaction_id, participants, subject)

    async def close(self) -> None:
        """Releases the component's client resources once running calls have ended."""
        await asyncio.get_running_loop().run_in_executor(None, self._executor.shutdown)
        for client in self._idle:
            client.close()
        self._idle.clear()

    async def __aenter__(self) -> "Client":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    async def _call(self, method: Any, *args: Any) -> Any:
        client = await self._acquire()
        loop = asyncio.get_running_loop()
        running = self._executor.submit(functools.partial(method, client, *args))
        # The store goes back to the pool when the call has really ended, not
        # when an awaiting task is cancelled.
        running.add_done_callback(lambda _: loop.call_soon_threadsafe(self._release, client))
        return await asyncio.wrap_future(running)

    async def _open(self) -> gbg_go.Client:
        self._opened += 1
        try:
            return await asyncio.wrap_future(self._executor.submit(self._runtime.open, self._config))
        except BaseException:
            self._opened -= 1
            raise

    async def _acquire(self) -> gbg_go.Client:
        if self._idle:
            return self._idle.pop()
        if self._opened < self._max:
            return await self._open()
        waiter = asyncio.get_running_loop().create_future()
        self._waiting.append(waiter)
        try:
            return await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self._release(waiter.result())
            raise

    def _release(self, client: gbg_go.Client) -> None:
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(client)
                return
        self._idle.append(client)
