"""Ed25519 account keys and the files that hold them.

A key file holds the 32-byte seed in hex and a newline — the format of ``dml keys`` (its
``KeyStore``), so the same files work with both tools. Files are created 0600 (never
overwritten) in a folder created 0700; a key file others can read is refused when loaded.
"""
from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Tuple, Union

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from .protocol import encode_address

__all__ = ["Key", "KeyFileError", "KeyStore", "save_key", "load_key"]


class KeyFileError(Exception):
    """A key file that cannot be written or read; the message says which and why."""


@dataclass(frozen=True)
class Key:
    """An account key: the seed stays in memory; ``address`` is the account."""

    seed: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.seed) != 32:
            raise KeyFileError(f"an Ed25519 seed is 32 bytes, got {len(self.seed)}")

    @classmethod
    def generate(cls) -> "Key":
        return cls(os.urandom(32))

    @classmethod
    def from_hex(cls, text: str) -> "Key":
        try:
            return cls(bytes.fromhex(text.strip()))
        except ValueError:
            raise KeyFileError("a key is 32 bytes of hex (64 characters)") from None

    @property
    def _private(self) -> Ed25519PrivateKey:
        return Ed25519PrivateKey.from_private_bytes(self.seed)

    @property
    def public_key(self) -> bytes:
        return self._private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    @property
    def address(self) -> str:
        return encode_address(self.public_key)

    def sign(self, message: bytes) -> bytes:
        """Pure Ed25519 (RFC 8032) over ``message``."""
        return self._private.sign(bytes(message))

    def __repr__(self) -> str:
        return f"Key({self.address})"


def save_key(key: Key, path: Union[str, Path]) -> Path:
    """Writes ``key`` to a new file, mode 0600 from its first byte; refuses to overwrite."""
    path = Path(path)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        descriptor = os.open(str(path), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise KeyFileError(f"{path} already exists; a key is never overwritten") from None
    except OSError as error:
        raise KeyFileError(f"cannot write {path}: {error.strerror}") from None
    with os.fdopen(descriptor, "w") as handle:
        handle.write(key.seed.hex() + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return path


def load_key(path: Union[str, Path]) -> Key:
    """Reads a key file; refuses one that other users may read (keep it 0600)."""
    path = Path(path)
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise KeyFileError(f"no key file at {path}") from None
    except OSError as error:
        raise KeyFileError(f"cannot read {path}: {error.strerror}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyFileError(f"{path} is readable by others (mode {oct(mode & 0o777)}); run: chmod 600 {path}")
    try:
        return Key.from_hex(text)
    except KeyFileError:
        raise KeyFileError(f"{path} does not hold a 32-byte hex seed") from None


_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class KeyStore:
    """Named keys in ``DIR/NAME.key`` — point it at a ``dml`` data folder's ``keys`` folder to share keys."""

    def __init__(self, directory: Union[str, Path]) -> None:
        self.directory = Path(directory)

    def path(self, name: str) -> Path:
        if not _NAME.match(name):
            raise KeyFileError(f"key name '{name}' must be 1–64 letters, digits, - or _")
        return self.directory / f"{name}.key"

    def create(self, name: str) -> Key:
        key = Key.generate()
        save_key(key, self.path(name))
        return key

    def store(self, name: str, key: Key) -> Key:
        save_key(key, self.path(name))
        return key

    def load(self, name: str) -> Key:
        path = self.path(name)
        if not path.exists():
            raise KeyFileError(f"no key named '{name}' in {self.directory} (create one with: dml-client keys create {name})")
        return load_key(path)

    def list(self) -> List[Tuple[str, Key]]:
        if not self.directory.is_dir():
            return []
        return [(p.stem, load_key(p)) for p in sorted(self.directory.glob("*.key")) if _NAME.match(p.stem)]
