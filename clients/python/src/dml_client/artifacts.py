"""Upload and download helpers: size checks before sending, the CID computed locally and
compared with what the server says, and downloads written to a temporary file that becomes the
destination only once its length, CID and/or SHA-256 match."""
from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Dict, Optional, Union, cast

from .cid import BlobHasher, hash_stream
from .errors import DMLError, DMLIntegrityError
from .types import ArtifactView

if TYPE_CHECKING:
    from .client import Client

__all__ = ["ARTIFACT_BYTES_MAX", "upload_artifact", "download", "Downloaded"]

#: The API's artifact limit (64 MiB), the same as a package's.
ARTIFACT_BYTES_MAX = 64 * 1024 * 1024
Source = Union[bytes, bytearray, str, Path]


def upload_artifact(client: "Client", source: Source, *, path: str = "/v1/algorithms/artifacts",
                    max_bytes: int = ARTIFACT_BYTES_MAX) -> ArtifactView:
    """Uploads bytes or a file as the raw body; returns ``{cid, size}`` after checking that the
    server's CID and size are the ones computed here."""
    if isinstance(source, (bytes, bytearray)):
        data = bytes(source)
        size = len(data)
        _check_size(size, max_bytes, "the artifact")
        hasher = BlobHasher()
        hasher.update(data)
        reply = client.request("POST", path, data=data).json()
    else:
        file = Path(source)
        if not file.is_file():
            raise DMLError(0, "client.no_file", f"no file at {file}")
        size = file.stat().st_size
        _check_size(size, max_bytes, str(file))
        with open(file, "rb") as stream:
            hasher = hash_stream(stream)
            stream.seek(0)
            reply = client.request("POST", path, data=stream, content_length=size).json()
    view = cast(ArtifactView, reply)
    if view.get("cid") != hasher.cid or view.get("size") != size:
        raise DMLIntegrityError(0, "client.cid_mismatch",
                                f"uploaded {size} bytes with CID {hasher.cid}; the server answered {view.get('cid')} ({view.get('size')} bytes)")
    return view


def _check_size(size: int, max_bytes: int, what: str) -> None:
    if size == 0:
        raise DMLError(0, "client.empty", f"{what} is empty; the server stores nothing for an empty body")
    if size > max_bytes:
        raise DMLError(0, "client.too_large", f"{what} is {size} bytes; at most {max_bytes} are accepted")


class _HashingWriter:
    def __init__(self, target: BinaryIO) -> None:
        self.target = target
        self.hasher = BlobHasher()

    def write(self, data: bytes) -> int:
        self.hasher.update(data)
        return self.target.write(data)


class Downloaded:
    """What a download produced: where (or the bytes), the size, CID and SHA-256."""

    def __init__(self, path: Optional[Path], data: Optional[bytes], size: int, cid: str, sha256: str, content_type: str) -> None:
        self.path = path
        self.data = data
        self.size = size
        self.cid = cid
        self.sha256 = sha256
        self.content_type = content_type

    def __repr__(self) -> str:
        return f"Downloaded({self.path or '<memory>'}, {self.size} bytes, {self.cid})"


def download(client: "Client", path: str, destination: Optional[Union[str, Path]] = None, *, query: Optional[Dict[str, Any]] = None,
             expected_cid: Optional[str] = None, expected_sha256: Optional[str] = None,
             max_bytes: Optional[int] = None, headers: Optional[Dict[str, str]] = None, auth: bool = True) -> Downloaded:
    """GETs ``path`` into ``destination`` (or memory when None). The bytes must match the
    reply's ``Content-Length`` and, when given, the expected CID and SHA-256; otherwise
    nothing is written to ``destination`` and ``DMLIntegrityError`` says what differed."""
    target = Path(destination) if destination is not None else None
    directory = target.parent if target is not None else Path(tempfile.gettempdir())
    directory.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".dml-download-", dir=str(directory))
    try:
        with os.fdopen(handle, "wb") as file:
            writer = _HashingWriter(file)
            reply = client.request("GET", path, query=query, write_to=cast(BinaryIO, writer), headers=headers, auth=auth)
            file.flush()
            os.fsync(file.fileno())
        size = reply.bytes_written
        length = reply.headers.get("content-length")
        if length is not None and int(length) != size:
            raise DMLIntegrityError(0, "client.truncated", f"{path}: received {size} of {length} bytes")
        if max_bytes is not None and size > max_bytes:
            raise DMLIntegrityError(0, "client.too_large", f"{path}: {size} bytes, more than the {max_bytes} expected")
        cid = writer.hasher.cid
        sha = writer.hasher.sha256
        if expected_cid is not None and cid != expected_cid:
            raise DMLIntegrityError(0, "client.cid_mismatch", f"{path}: the bytes hash to {cid}, not {expected_cid}")
        if expected_sha256 is not None and sha != expected_sha256.lower():
            raise DMLIntegrityError(0, "client.sha256_mismatch", f"{path}: the bytes hash to SHA-256 {sha}, not {expected_sha256}")
        content_type = reply.headers.get("content-type", "")
        if target is None:
            data = Path(temporary).read_bytes()
            return Downloaded(None, data, size, cid, sha, content_type)
        os.replace(temporary, target)
        temporary = ""
        return Downloaded(target, None, size, cid, sha, content_type)
    finally:
        if temporary and os.path.exists(temporary):
            os.unlink(temporary)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
