"""Content addresses (docs/blobs.md): CIDv1 over SHA-256, ``raw`` for blobs of at most 1 MiB,
``dag-cbor`` of a manifest for larger ones. Computed in one streaming pass, so a client can
check what a server or a download claims without trusting it.
"""
from __future__ import annotations

import base64
import hashlib
from typing import BinaryIO, Iterable, List, Optional, Tuple

__all__ = ["CHUNK_BYTES", "CIDError", "BlobHasher", "cid_of", "cid_of_file", "cid_to_bytes", "cid_from_bytes", "is_cid"]

CHUNK_BYTES = 1 << 20
CHUNKS_MAX = 65_536
RAW = 0x55
DAG_CBOR = 0x71


class CIDError(ValueError):
    """A text that is not a DML content address, with the reason."""


def _binary(codec: int, digest: bytes) -> bytes:
    return bytes([0x01, codec, 0x12, 0x20]) + digest


def cid_from_bytes(binary: bytes) -> str:
    """The text form (``b`` + base32 lower case, no padding) of a 36-byte binary CID."""
    binary = bytes(binary)
    _check_binary(binary)
    return _text(binary)


def _check_binary(binary: bytes) -> None:
    if len(binary) != 36:
        raise CIDError(f"a binary CID is 36 bytes, got {len(binary)}")
    if binary[0] != 0x01:
        raise CIDError(f"CID version {binary[0]}, only 1 is used")
    if binary[1] not in (RAW, DAG_CBOR):
        raise CIDError(f"codec 0x{binary[1]:02x}, expected raw (0x55) or dag-cbor (0x71)")
    if binary[2] != 0x12 or binary[3] != 0x20:
        raise CIDError("the multihash must be sha2-256 with a 32-byte digest")


def cid_to_bytes(text: str) -> bytes:
    """The 36-byte binary form of a CID text; raises CIDError saying why it is not one."""
    if not isinstance(text, str) or not text:
        raise CIDError("a CID is a non-empty text")
    if text[0] != "b":
        raise CIDError(f"'{text}' does not start with the multibase prefix 'b' (base32 lower case)")
    if len(text) != 59:
        raise CIDError(f"'{text}' is {len(text)} characters; a CID is 59")
    body = text[1:]
    if any(c not in "abcdefghijklmnopqrstuvwxyz234567" for c in body):
        raise CIDError(f"'{text}' has characters outside base32 lower case")
    padded = body.upper() + "=" * (-len(body) % 8)
    binary = base64.b32decode(padded)
    if _text(binary) != text:
        raise CIDError(f"'{text}' has non-zero leftover bits")
    _check_binary(binary)
    return binary


def _text(binary: bytes) -> str:
    return "b" + base64.b32encode(binary).decode("ascii").lower().rstrip("=")


def is_cid(text: str) -> bool:
    try:
        cid_to_bytes(text)
        return True
    except CIDError:
        return False


def _cbor_head(major: int, value: int) -> bytes:
    if value < 24:
        return bytes([major << 5 | value])
    for extra, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if value < 1 << (8 * size):
            return bytes([major << 5 | extra]) + value.to_bytes(size, "big")
    raise CIDError("value too large for CBOR")


def manifest_bytes(size: int, chunk_digests: List[bytes]) -> bytes:
    """The DAG-CBOR manifest ``{"size": n, "chunks": [links]}`` of a chunked blob (blobs.md §2.2)."""
    out = bytearray(b"\xa2" + b"\x64size" + _cbor_head(0, size) + b"\x66chunks" + _cbor_head(4, len(chunk_digests)))
    for digest in chunk_digests:
        out += b"\xd8\x2a\x58\x25\x00" + _binary(RAW, digest)
    return bytes(out)


class BlobHasher:
    """Hashes a blob fed in pieces of any size, keeping only digests (blobs.md §3)."""

    def __init__(self) -> None:
        self._chunk = hashlib.sha256()
        self._in_chunk = 0
        self._digests: List[bytes] = []
        self._whole = hashlib.sha256()
        self.size = 0

    def update(self, data: bytes) -> None:
        view = memoryview(data)
        self._whole.update(view)
        while len(view):
            if self._in_chunk == CHUNK_BYTES:
                # A full chunk closes only when the next byte arrives: exactly 1 MiB is one block.
                self._digests.append(self._chunk.digest())
                self._chunk = hashlib.sha256()
                self._in_chunk = 0
            take = min(len(view), CHUNK_BYTES - self._in_chunk)
            self._chunk.update(view[:take])
            self._in_chunk += take
            self.size += take
            view = view[take:]

    @property
    def sha256(self) -> str:
        """SHA-256 of the whole blob, in hex (what package addresses are)."""
        return self._whole.hexdigest()

    def result(self) -> Tuple[str, Optional[bytes]]:
        """The CID text and, for a chunked blob, its manifest."""
        if not self._digests:
            return cid_from_bytes(_binary(RAW, self._chunk.digest())), None
        digests = self._digests + [self._chunk.digest()]
        if len(digests) > CHUNKS_MAX:
            raise CIDError(f"a blob has at most {CHUNKS_MAX} chunks (64 GiB)")
        manifest = manifest_bytes(self.size, digests)
        return cid_from_bytes(_binary(DAG_CBOR, hashlib.sha256(manifest).digest())), manifest

    @property
    def cid(self) -> str:
        return self.result()[0]


def cid_of(data: bytes) -> str:
    """The CID of bytes in memory."""
    hasher = BlobHasher()
    hasher.update(data)
    return hasher.cid


def hash_stream(stream: BinaryIO, piece: int = CHUNK_BYTES) -> BlobHasher:
    hasher = BlobHasher()
    while True:
        data = stream.read(piece)
        if not data:
            return hasher
        hasher.update(data)


def cid_of_file(path: str) -> str:
    """The CID of a file, hashed in one streaming pass."""
    with open(path, "rb") as stream:
        return hash_stream(stream).cid


def iter_pieces(stream: BinaryIO, piece: int = 1 << 16) -> Iterable[bytes]:
    while True:
        data = stream.read(piece)
        if not data:
            return
        yield data
