"""The linker the component runs with: wasmtime's WASI 0.2 for what holds
no resource of ours (random, wall clock, environment, exit, terminals), and
the package's own ``wasi:io``, monotonic clock, standard streams and
``wasi:http``, which shadow wasmtime's (wasmtime-py's ``wasi:http`` sends
whatever the component asks, with no hook to refuse a request or reuse a
connection)."""

from __future__ import annotations

from typing import Any

import wasmtime
from wasmtime.component import Component, Linker, ResourceType

from . import _abi, _wasi_http, _wasi_io
from ._host import dropped
from ._wasi_io import Interface

INTERFACES: dict[str, Interface] = {
    **_wasi_io.INTERFACES,
    "wasi:http/types": _wasi_http.TYPES,
    "wasi:http/outgoing-handler": _wasi_http.OUTGOING_HANDLER,
}
"""What the package serves itself, by interface name without its version."""


class HostLinker(Linker):
    """A linker that keeps its host functions' C callbacks alive."""

    callbacks: list[Any]


def linker(engine: wasmtime.Engine, component: Component) -> Linker:
    """A linker for ``component``: each interface of :data:`INTERFACES` it
    imports is defined under the exact name (and version) it imports."""
    result = HostLinker(engine)
    result.callbacks = []
    result.add_wasip2()
    result.allow_shadowing = True
    imported = {name.split("@")[0]: name for name in component.type.imports(engine)}
    with result.root() as root:
        for name, (resources, functions) in INTERFACES.items():
            if name not in imported:
                continue
            with root.add_instance(imported[name]) as instance:
                for resource, kind in resources.items():
                    instance.add_resource(resource, ResourceType.host(kind), dropped)
                for function, implementation in functions.items():
                    _abi.define(instance, function, implementation, result.callbacks)
    return result
