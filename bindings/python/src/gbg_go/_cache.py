"""The on-disk cache of the compiled component, so that a new process does
not compile it again (about 0.4 s).

A cache entry is native code that runs in the process holding the
credentials, so it is trusted only as far as it can be checked, as the Rust
host's cache is: the folder must be a real folder of this user that nobody
else can write (it is created ``0700``), the entry a regular file of this
user that nobody else can write, opened without following links, and its
HMAC-SHA256 tag, keyed by a secret kept outside the cache folder, must match
its name and content (the Rust host tags the file's identity instead; hashing
the 1.4 MB entry takes about 1 ms, small beside Python's start-up). An entry
that fails a check is compiled again and replaced, with a warning. Entries are written to a new file in the checked
folder and renamed into place.

Where: ``$GBG_GO_CACHE_DIR``, else ``$XDG_CACHE_HOME/gbg-go``, else
``~/.cache/gbg-go``; the key in ``$XDG_STATE_HOME/gbg-go/compile-cache.key``,
else ``~/.local/state/gbg-go/compile-cache.key`` (the Rust host's places).
Without Unix ownership and ``O_NOFOLLOW`` there is no cache.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import stat
from pathlib import Path
from typing import Optional

import wasmtime
from wasmtime.component import Component

from . import _facts

log = logging.getLogger("gbg_go")

TAG_BYTES = 32
KEY_BYTES = 32


def default_dir() -> Optional[Path]:
    """The per-user cache folder, or None when no variable names one."""
    return (
        _env_dir("GBG_GO_CACHE_DIR")
        or _join(_env_dir("XDG_CACHE_HOME"), "gbg-go")
        or _join(_env_dir("HOME"), ".cache/gbg-go")
    )


def _key_file() -> Optional[Path]:
    state = _join(_env_dir("XDG_STATE_HOME"), "gbg-go") or _join(_env_dir("HOME"), ".local/state/gbg-go")
    return _join(state, "compile-cache.key")


def _env_dir(name: str) -> Optional[Path]:
    value = os.environ.get(name)
    return Path(value) if value else None


def _join(base: Optional[Path], name: str) -> Optional[Path]:
    return None if base is None else base / name


def load(engine: wasmtime.Engine, wasm: bytes, cache_dir: Optional[Path]) -> Component:
    """The component compiled from ``wasm``: from the cache in ``cache_dir``
    when a trusted entry is there, else compiled (and stored there)."""
    if cache_dir is None or not hasattr(os, "O_NOFOLLOW"):
        return Component(engine, wasm)
    try:
        cache = _Cache(cache_dir)
    except OSError as error:
        log.warning("compile cache %s not used: %s", cache_dir, error)
        return Component(engine, wasm)
    name = _entry_name(wasm)
    try:
        compiled = cache.read(name)
    except (OSError, ValueError) as error:
        log.warning("compile cache entry %s not trusted (%s); compiling again", cache.dir / name, error)
        compiled = None
    if compiled is not None:
        try:
            return Component.deserialize(engine, compiled)
        except wasmtime.WasmtimeError as error:
            log.warning("discarding unusable compile cache entry %s: %s", name, error)
    component = Component(engine, wasm)
    try:
        cache.write(name, bytes(component.serialize()))
    except OSError as error:
        log.warning("cannot write the compile cache %s: %s", cache_dir, error)
    return component


def _entry_name(wasm: bytes) -> str:
    """``py-<sha-256>.cwasm`` of this package's version, the wasmtime
    library it runs on and the component."""
    digest = hashlib.sha256(f"gbg-go-python {_facts.VERSION}\0".encode())
    digest.update(_wasmtime_library_id())
    digest.update(wasm)
    return f"py-{digest.hexdigest()}.cwasm"


def _wasmtime_library_id() -> bytes:
    """Which wasmtime shared library this process loaded: its size and
    modification time (an upgrade of wasmtime-py changes them)."""
    folder = Path(wasmtime.__file__).parent
    found = sorted(folder.glob("*/*wasmtime*"))
    return b"".join(f"{p.name}:{p.stat().st_size}:{p.stat().st_mtime_ns};".encode() for p in found)


class _Cache:
    """A checked cache folder and the key of its entries' tags."""

    def __init__(self, folder: Path) -> None:
        key_file = _key_file()
        if key_file is None:
            raise OSError("no place for its key: neither XDG_STATE_HOME nor HOME is set")
        if key_file.resolve().is_relative_to(folder.resolve()):
            raise OSError(f"its key {key_file} would be inside it")
        self.key = _key(key_file)
        _private_folder(folder)
        self.dir = folder

    def read(self, name: str) -> Optional[bytes]:
        """The compiled component under ``name``; None when there is none.
        Raises when there is one that cannot be trusted."""
        content = _read_private(self.dir / name)
        if content is None:
            return None
        if len(content) < TAG_BYTES:
            raise ValueError("the entry is truncated")
        tag, compiled = content[:TAG_BYTES], content[TAG_BYTES:]
        if not hmac.compare_digest(tag, self._tag(name, compiled)):
            raise ValueError("the entry's tag does not match its content")
        return compiled

    def write(self, name: str, compiled: bytes) -> None:
        """Stores ``compiled`` under ``name``, atomically."""
        partial = _new_private_file(self.dir, name, self._tag(name, compiled) + compiled)
        try:
            os.replace(partial, self.dir / name)
        except OSError:
            partial.unlink(missing_ok=True)
            raise

    def _tag(self, name: str, compiled: bytes) -> bytes:
        # The name is covered so that a valid entry cannot be moved under
        # another component's name.
        mac = hmac.new(self.key, name.encode() + b"\0", hashlib.sha256)
        mac.update(compiled)
        return mac.digest()


def _private_folder(folder: Path) -> None:
    """Creates ``folder`` (and its parents) ``0700``, or checks it: a real
    folder of this user that nobody else can write. A folder of this user
    that others can read is made private."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = os.lstat(folder)
    if not stat.S_ISDIR(info.st_mode):
        raise OSError(f"{folder} is not a folder (a symbolic link?)")
    _owned_and_unwritable(folder, info)
    if info.st_mode & 0o077:
        os.chmod(folder, 0o700)


def _read_private(path: Path) -> Optional[bytes]:
    """The content of ``path`` if it exists and is a regular file of this
    user that nobody else can write; raises naming the defect if not."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        return None
    with os.fdopen(fd, "rb") as file:
        info = os.fstat(file.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise ValueError("the entry is not a regular file")
        _owned_and_unwritable(path, info)
        return file.read()


def _key(path: Path) -> bytes:
    """The tag key in ``path``, made (random, ``0600``, in a ``0700`` folder)
    if there is none yet; a process racing to make it finds the winner's whole.
    An existing key must be a regular file of this user nobody else can read."""
    _private_folder(path.parent)
    try:
        return _existing_key(path)
    except FileNotFoundError:
        pass
    partial = _new_private_file(path.parent, path.name, secrets.token_bytes(KEY_BYTES))
    try:
        os.link(partial, path)  # unlike a rename, never replaces a key made meanwhile
    except FileExistsError:
        return _existing_key(path)
    finally:
        partial.unlink(missing_ok=True)
    return _existing_key(path)


def _existing_key(path: Path) -> bytes:
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(fd, "rb") as file:
        info = os.fstat(file.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_mode & 0o077:
            raise OSError(f"{path} is not a private regular file")
        _owned_and_unwritable(path, info)
        key = file.read()
    if len(key) != KEY_BYTES:
        raise OSError(f"{path} does not hold a key")
    return key


def _new_private_file(folder: Path, name: str, content: bytes) -> Path:
    """A new ``0600`` file in ``folder`` holding ``content``, under a random
    name made from ``name``, created without following links."""
    partial = folder / f".{name}.{secrets.token_hex(8)}.partial"
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return partial


def _owned_and_unwritable(path: Path, info: os.stat_result) -> None:
    if info.st_uid != os.geteuid():
        raise OSError(f"{path} belongs to another user")
    if info.st_mode & 0o022:
        raise OSError(f"{path} is writable by other users")
