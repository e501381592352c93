"""Component values at the level of wasmtime's C API, for the package's host
functions and its calls into the component.

wasmtime-py converts every argument and result by walking the function's WIT
type through the C API again on every call (about 70 µs per host call here,
and some 30 host calls per HTTP request), converts ``list<u8>`` one byte at a
time, and lowers untagged variants through one process-wide scratch set that
concurrent threads corrupt. So the package registers its host functions with
``wasmtime_component_linker_instance_add_func`` and calls the component's
exports with ``wasmtime_component_func_call`` directly, converting with
codecs that are built once: declared here for the host functions, compiled
from the component's own types for its exports. ``list<u8>`` moves in one
copy, and nothing is shared between threads.

Python values: a ``record`` is a dict of its WIT field names; a ``variant``
a ``(case, payload)`` pair; an ``enum`` its case name; an ``option`` None
or the value; a ``result`` read is :class:`Ok` or :class:`Err`, and written
is :class:`Err` for err and anything else for ok. A host resource the
component passes in is its ``rep``; a new one is the object itself, which
the codec stores in the call's table. A component resource (the client) is
a wasmtime-py ``ResourceAny``.
"""

from __future__ import annotations

import ctypes
from ctypes import POINTER, byref
from dataclasses import dataclass
from typing import Any, Callable, Optional, Sequence

import wasmtime
from wasmtime import _ffi as ffi
from wasmtime.component import (
    BorrowType,
    EnumType,
    Func,
    FuncType,
    LinkerInstance,
    ListType,
    OptionType,
    OwnType,
    RecordType,
    ResourceAny,
    ResultType,
    TupleType,
    ValType,
    VariantType,
)
from wasmtime.component import Bool as BoolType
from wasmtime.component import String as StringType
from wasmtime.component import U8 as U8Type
from wasmtime.component import U16 as U16Type
from wasmtime.component import U32 as U32Type
from wasmtime.component import U64 as U64Type

from ._host import Stop, current, log

Val = Any  # a ffi.wasmtime_component_val_t
Context = Any  # a POINTER(ffi.wasmtime_context_t)

_VAL_BYTES = ctypes.sizeof(ffi.wasmtime_component_val_t)
_PAYLOAD_AT = ffi.wasmtime_component_val_t.of.offset
_U8 = bytes([ffi.WASMTIME_COMPONENT_U8.value])


@dataclass(frozen=True)
class Ok:
    """The ok case of a ``result``."""

    value: Any = None


@dataclass(frozen=True)
class Err:
    """The err case of a ``result``."""

    value: Any = None


class Codec:
    """How one WIT type reads from and writes to a C component value."""

    def read(self, ctx: Context, val: Val) -> Any:
        raise NotImplementedError

    def write(self, ctx: Context, value: Any, val: Val) -> None:
        raise NotImplementedError


class _Number(Codec):
    def __init__(self, field: str, kind: Any) -> None:
        self.field = field
        self.kind = kind

    def read(self, ctx: Context, val: Val) -> Any:
        return getattr(val.of, self.field)

    def write(self, ctx: Context, value: Any, val: Val) -> None:
        val.kind = self.kind
        setattr(val.of, self.field, value)


BOOL = _Number("boolean", ffi.WASMTIME_COMPONENT_BOOL)
U8 = _Number("u8", ffi.WASMTIME_COMPONENT_U8)
U16 = _Number("u16", ffi.WASMTIME_COMPONENT_U16)
U32 = _Number("u32", ffi.WASMTIME_COMPONENT_U32)
U64 = _Number("u64", ffi.WASMTIME_COMPONENT_U64)


class _String(Codec):
    def read(self, ctx: Context, val: Val) -> str:
        text = val.of.string
        return ctypes.string_at(text.data, text.size).decode("utf-8")

    def write(self, ctx: Context, value: str, val: Val) -> None:
        val.kind = ffi.WASMTIME_COMPONENT_STRING
        val.of.string = ffi.str_to_capi(value)


STRING = _String()


class _Enum(Codec):
    def read(self, ctx: Context, val: Val) -> str:
        name = val.of.enumeration
        return ctypes.string_at(name.data, name.size).decode()

    def write(self, ctx: Context, value: str, val: Val) -> None:
        val.kind = ffi.WASMTIME_COMPONENT_ENUM
        val.of.enumeration = ffi.str_to_capi(value)


ENUM = _Enum()


class _Bytes(Codec):
    """``list<u8>``, moved as one block: each element is a whole component
    value, of which the byte is one field."""

    def read(self, ctx: Context, val: Val) -> bytes:
        items = val.of.list
        return ctypes.string_at(items.data, items.size * _VAL_BYTES)[_PAYLOAD_AT::_VAL_BYTES]

    def write(self, ctx: Context, value: bytes, val: Val) -> None:
        size = len(value)
        block = bytearray(size * _VAL_BYTES)
        block[0::_VAL_BYTES] = _U8 * size
        block[_PAYLOAD_AT::_VAL_BYTES] = value
        items = ffi.wasmtime_component_vallist_t()
        ffi.wasmtime_component_vallist_new_uninit(byref(items), size)
        if size:
            ctypes.memmove(items.data, (ctypes.c_char * len(block)).from_buffer(block), len(block))
        val.kind = ffi.WASMTIME_COMPONENT_LIST
        val.of.list = items


BYTES = _Bytes()


class List(Codec):
    """``list<T>``."""

    def __init__(self, item: Codec) -> None:
        self.item = item

    def read(self, ctx: Context, val: Val) -> list[Any]:
        items = val.of.list
        return [self.item.read(ctx, items.data[i]) for i in range(items.size)]

    def write(self, ctx: Context, value: Sequence[Any], val: Val) -> None:
        items = ffi.wasmtime_component_vallist_t()
        ffi.wasmtime_component_vallist_new_uninit(byref(items), len(value))
        for i, item in enumerate(value):
            self.item.write(ctx, item, items.data[i])
        val.kind = ffi.WASMTIME_COMPONENT_LIST
        val.of.list = items


class Tuple(Codec):
    """``tuple<...>``, as a Python tuple."""

    def __init__(self, *items: Codec) -> None:
        self.items = items

    def read(self, ctx: Context, val: Val) -> tuple[Any, ...]:
        data = val.of.tuple.data
        return tuple(codec.read(ctx, data[i]) for i, codec in enumerate(self.items))

    def write(self, ctx: Context, value: Sequence[Any], val: Val) -> None:
        items = ffi.wasmtime_component_valtuple_t()
        ffi.wasmtime_component_valtuple_new_uninit(byref(items), len(self.items))
        for i, (codec, item) in enumerate(zip(self.items, value)):
            codec.write(ctx, item, items.data[i])
        val.kind = ffi.WASMTIME_COMPONENT_TUPLE
        val.of.tuple = items


class Record(Codec):
    """``record``, as a dict of its WIT field names (``info_code`` for ``info-code``)."""

    def __init__(self, **fields: Codec) -> None:
        self.fields = {name.replace("_", "-"): codec for name, codec in fields.items()}

    def read(self, ctx: Context, val: Val) -> dict[str, Any]:
        data = val.of.record.data
        return {name: codec.read(ctx, data[i].val) for i, (name, codec) in enumerate(self.fields.items())}

    def write(self, ctx: Context, value: dict[str, Any], val: Val) -> None:
        entries = ffi.wasmtime_component_valrecord_t()
        ffi.wasmtime_component_valrecord_new_uninit(byref(entries), len(self.fields))
        for i, (name, codec) in enumerate(self.fields.items()):
            entries.data[i].name = ffi.str_to_capi(name)
            codec.write(ctx, value.get(name), entries.data[i].val)
        val.kind = ffi.WASMTIME_COMPONENT_RECORD
        val.of.record = entries


def _boxed(ctx: Context, codec: Optional[Codec], value: Any) -> Any:
    """A heap copy of ``value`` as ``codec`` writes it, or null without a codec."""
    if codec is None:
        return None
    scratch = ffi.wasmtime_component_val_t()
    codec.write(ctx, value, scratch)
    return ffi.wasmtime_component_val_new(byref(scratch))


class Option(Codec):
    """``option<T>``: None or the value."""

    def __init__(self, some: Codec) -> None:
        self.some = some

    def read(self, ctx: Context, val: Val) -> Any:
        inner = val.of.option
        return self.some.read(ctx, inner.contents) if inner else None

    def write(self, ctx: Context, value: Any, val: Val) -> None:
        val.kind = ffi.WASMTIME_COMPONENT_OPTION
        val.of.option = None if value is None else _boxed(ctx, self.some, value)


class Result(Codec):
    """``result<T, E>``: read as :class:`Ok` or :class:`Err`; written from
    :class:`Err` for err, anything else (an :class:`Ok` unwrapped) for ok."""

    def __init__(self, ok: Optional[Codec] = None, err: Optional[Codec] = None) -> None:
        self.ok = ok
        self.err = err

    def read(self, ctx: Context, val: Val) -> Any:
        result = val.of.result
        codec, wrap = (self.ok, Ok) if result.is_ok else (self.err, Err)
        return wrap(codec.read(ctx, result.val.contents) if codec is not None and result.val else None)

    def write(self, ctx: Context, value: Any, val: Val) -> None:
        failed = isinstance(value, Err)
        if isinstance(value, (Ok, Err)):
            value = value.value
        val.kind = ffi.WASMTIME_COMPONENT_RESULT
        val.of.result.is_ok = not failed
        val.of.result.val = _boxed(ctx, self.err if failed else self.ok, value)


class Variant(Codec):
    """``variant``, as ``(case, payload)``; ``cases`` names the payload codec
    of each case that has one."""

    def __init__(self, **cases: Codec) -> None:
        self.cases = cases

    def read(self, ctx: Context, val: Val) -> tuple[str, Any]:
        variant = val.of.variant
        case = ctypes.string_at(variant.discriminant.data, variant.discriminant.size).decode()
        payload = self.cases.get(case)
        return case, payload.read(ctx, variant.val.contents) if payload is not None and variant.val else None

    def write(self, ctx: Context, value: tuple[str, Any], val: Val) -> None:
        case, payload = value
        val.kind = ffi.WASMTIME_COMPONENT_VARIANT
        val.of.variant.discriminant = ffi.str_to_capi(case)
        val.of.variant.val = _boxed(ctx, self.cases.get(case), payload)


class Handle(Codec):
    """A resource the component passes in (``borrow`` or ``own``), read as its
    ``rep``. Reading an ``own`` takes it over from the component."""

    def read(self, ctx: Context, val: Val) -> int:
        host = POINTER(ffi.wasmtime_component_resource_host_t)()
        error = ffi.wasmtime_component_resource_any_to_host(ctx, val.of.resource, byref(host))
        if error:
            raise wasmtime.WasmtimeError._from_ptr(error)
        try:
            return int(ffi.wasmtime_component_resource_host_rep(host))
        finally:
            ffi.wasmtime_component_resource_host_delete(host)


HANDLE = Handle()


class New(Codec):
    """A new resource of type ``kind`` given to the component: the object is
    stored in the current call's table, and the component owns its handle."""

    def __init__(self, kind: int) -> None:
        self.kind = kind

    def write(self, ctx: Context, value: object, val: Val) -> None:
        host = ffi.wasmtime_component_resource_host_new(True, current().host.table.push(value), self.kind)
        handle = POINTER(ffi.wasmtime_component_resource_any_t)()
        try:
            error = ffi.wasmtime_component_resource_host_to_any(ctx, host, byref(handle))
        finally:
            ffi.wasmtime_component_resource_host_delete(host)
        if error:
            raise wasmtime.WasmtimeError._from_ptr(error)
        val.kind = ffi.WASMTIME_COMPONENT_RESOURCE
        val.of.resource = handle


class Guest(Codec):
    """A resource of the component (its ``client``): read as a wasmtime-py
    ``ResourceAny``, taken out of the value; written as a copy of the handle."""

    def read(self, ctx: Context, val: Val) -> ResourceAny:
        handle = ResourceAny._from_ptr(ffi.take_pointer(val.of, "resource"))
        val.kind = ffi.WASMTIME_COMPONENT_BOOL  # what is left for the value's delete to free
        return handle

    def write(self, ctx: Context, value: ResourceAny, val: Val) -> None:
        val.kind = ffi.WASMTIME_COMPONENT_RESOURCE
        val.of.resource = ffi.wasmtime_component_resource_any_clone(value.ptr())


_SCALARS: dict[type, Codec] = {
    BoolType: BOOL,
    U8Type: U8,
    U16Type: U16,
    U32Type: U32,
    U64Type: U64,
    StringType: STRING,
    EnumType: ENUM,
}


def compile(ty: ValType) -> Codec:
    """The codec of a WIT type of the component, read once from its type."""
    scalar = _SCALARS.get(type(ty))
    if scalar is not None:
        return scalar
    if isinstance(ty, ListType):
        element = ty.element
        return BYTES if isinstance(element, U8Type) else List(compile(element))
    if isinstance(ty, RecordType):
        record = Record()
        record.fields = {name: compile(field) for name, field in ty.fields}
        return record
    if isinstance(ty, TupleType):
        return Tuple(*(compile(element) for element in ty.elements))
    if isinstance(ty, VariantType):
        return Variant(**{name: compile(payload) for name, payload in ty.cases if payload is not None})
    if isinstance(ty, OptionType):
        return Option(compile(ty.payload))
    if isinstance(ty, ResultType):
        ok, err = ty.ok, ty.err
        return Result(None if ok is None else compile(ok), None if err is None else compile(err))
    if isinstance(ty, (OwnType, BorrowType)):
        return Guest()
    raise TypeError(f"no codec for {type(ty).__name__}")


class Export:
    """A function the component exports, with the codecs of its signature."""

    def __init__(self, ty: FuncType) -> None:
        self.params = [compile(param) for _, param in ty.params]
        result = ty.result
        self.result = None if result is None else compile(result)

    def call(self, store: wasmtime.Store, func: Func, args: Sequence[Any]) -> Any:
        """Calls ``func`` in ``store`` with ``args``; returns its result."""
        ctx = store._context()
        values = (ffi.wasmtime_component_val_t * len(args))()
        written = 0
        result = ffi.wasmtime_component_val_t()
        try:
            for codec, arg in zip(self.params, args):
                codec.write(ctx, arg, values[written])
                written += 1
            error = ffi.wasmtime_component_func_call(
                byref(func._func), ctx, values, written, byref(result), 0 if self.result is None else 1
            )
            if error:
                raise wasmtime.WasmtimeError._from_ptr(error)
            return None if self.result is None else self.result.read(ctx, result)
        finally:
            for i in range(written):
                ffi.wasmtime_component_val_delete(byref(values[i]))
            ffi.wasmtime_component_val_delete(byref(result))


@dataclass(frozen=True)
class Function:
    """A host function: the codecs of its parameters and result, and its
    implementation, which takes and returns Python values."""

    params: tuple[Codec, ...]
    result: Optional[Codec]
    implementation: Callable[..., Any]


def signature(*params: Codec, returns: Optional[Codec] = None) -> Callable[[Callable[..., Any]], Function]:
    """Declares a host function's WIT signature."""
    return lambda implementation: Function(params, returns, implementation)


_CALLBACK = ffi.wasmtime_component_func_callback_t


def _nothing_to_free(data: Any) -> None:
    """The finalizer of a callback's data: the callbacks carry none."""


_NO_FINALIZER = ctypes.CFUNCTYPE(None, ctypes.c_void_p)(_nothing_to_free)


def define(instance: LinkerInstance, name: str, function: Function, keep: list[Any]) -> None:
    """Defines ``name`` in ``instance`` as ``function``; ``keep`` holds the
    C callback alive as long as the linker."""
    params, result, implementation = function.params, function.result, function.implementation

    def callback(data: Any, ctx: Context, ty: Any, args: Any, nargs: int, results: Any, nresults: int) -> int:
        try:
            value = implementation(*(codec.read(ctx, args[i]) for i, codec in enumerate(params)))
            if result is not None:
                result.write(ctx, value, results[0])
            return 0
        except wasmtime.WasmtimeError as error:
            return ctypes.cast(error._consume(), ctypes.c_void_p).value or 0
        except Exception as error:  # a host function must trap, never unwind through C
            log.debug("WASI host function %s failed: %s", name, type(error).__name__)
            stop = Stop(f"the host's {name} failed")
            return ctypes.cast(stop._consume(), ctypes.c_void_p).value or 0

    native = _CALLBACK(callback)
    keep.append(native)
    encoded = name.encode()
    error = ffi.wasmtime_component_linker_instance_add_func(
        instance.ptr(), ctypes.create_string_buffer(encoded), len(encoded), native, None, _NO_FINALIZER
    )
    if error:
        raise wasmtime.WasmtimeError._from_ptr(error)
