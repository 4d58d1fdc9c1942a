"""The transport: JSON over HTTP with the standard library, the API's error shape, Bearer
tokens, ``Idempotency-Key`` on writes, and retries of refusals that did nothing (429, and 503
other than a queued ledger write) after ``Retry-After``.
"""
from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Callable, Dict, Mapping, Optional, Tuple, Union

from .errors import DMLConnectionError, DMLError

__all__ = ["Transport", "Response", "USER_AGENT"]

USER_AGENT = "dml-client-python/0.1"
_MISSING: Any = object()
Body = Union[bytes, BinaryIO, None]


@dataclass
class Response:
    status: int
    headers: Dict[str, str]
    body: bytes = b""
    bytes_written: int = 0

    def json(self) -> Any:
        if not self.body:
            return None
        try:
            return json.loads(self.body)
        except ValueError:
            raise DMLError(self.status, "client.bad_json", f"the reply is not JSON: {self.body[:200]!r}") from None

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:  # the API never redirects
        return None


@dataclass
class Transport:
    """One server. ``token`` is sent as ``Authorization: Bearer`` when set."""

    base_url: str
    token: Optional[str] = None
    timeout: float = 60.0
    retries: int = 4
    retry_seconds_max: float = 30.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)

    def __post_init__(self) -> None:
        parsed = urllib.parse.urlparse(self.base_url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ValueError(f"the server must be an http(s) URL like http://127.0.0.1:8080, got '{self.base_url}'")
        self.base_url = self.base_url.rstrip("/")
        self._opener = urllib.request.build_opener(_NoRedirect)

    def url(self, path: str, query: Optional[Mapping[str, Any]] = None) -> str:
        url = self.base_url + path
        if query:
            items = {k: ("true" if v is True else "false" if v is False else str(v)) for k, v in query.items() if v is not None}
            if items:
                url += "?" + urllib.parse.urlencode(items)
        return url

    def request(self, method: str, path: str, *, query: Optional[Mapping[str, Any]] = None, json_body: Any = _MISSING,
                data: Body = None, content_length: Optional[int] = None, headers: Optional[Mapping[str, str]] = None,
                idempotency_key: Optional[str] = None, auth: bool = True, timeout: Optional[float] = None,
                write_to: Optional[BinaryIO] = None, expect: Tuple[int, ...] = ()) -> Response:
        """Sends one request and returns the reply; raises ``DMLError`` for any refusal.

        POSTs get an ``Idempotency-Key`` (a fresh one unless given), so the retries below can
        never run a write twice. ``write_to`` streams the reply body into a file instead of
        memory. ``expect`` lists extra statuses that are not errors (e.g. 204)."""
        all_headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if json_body is not _MISSING:
            data = json.dumps(json_body, separators=(",", ":")).encode("utf-8")
            all_headers["Content-Type"] = "application/json"
        elif data is not None:
            all_headers["Content-Type"] = "application/octet-stream"
        if data is not None:
            length = len(data) if isinstance(data, (bytes, bytearray)) else content_length
            if length is None:
                raise ValueError("a streamed body needs its content_length")
            all_headers["Content-Length"] = str(length)
        if method in ("POST", "PATCH", "PUT") and data is None:
            all_headers["Content-Length"] = "0"
        if auth and self.token:
            all_headers["Authorization"] = f"Bearer {self.token}"
        if method == "POST" and (json_body is not _MISSING or data is None):
            # Uploads are content-addressed and need no key; every other POST gets one.
            all_headers["Idempotency-Key"] = idempotency_key or uuid.uuid4().hex
        if headers:
            all_headers.update(headers)
        start = data.tell() if data is not None and hasattr(data, "seek") and not isinstance(data, (bytes, bytearray)) else None
        attempt = 0
        while True:
            try:
                return self._once(method, self.url(path, query), data, all_headers, timeout or self.timeout, write_to, expect, path)
            except DMLError as error:
                retryable = error.status == 429 or (error.status == 503 and error.code != "ledger.queued")
                if not retryable or attempt >= self.retries:
                    raise
                if data is not None and not isinstance(data, (bytes, bytearray)):
                    if start is None:
                        raise
                    data.seek(start)
                delay = error.retry_after if error.retry_after is not None else 0.25 * 2**attempt
                self.sleep(min(max(delay, 0.05), self.retry_seconds_max))
                attempt += 1

    def _once(self, method: str, url: str, data: Body, headers: Dict[str, str], timeout: float,
              write_to: Optional[BinaryIO], expect: Tuple[int, ...], path: str) -> Response:
        request = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            reply = self._opener.open(request, timeout=timeout)
        except urllib.error.HTTPError as reply_error:
            with reply_error:
                body = reply_error.read()
                reply_headers = {k.lower(): v for k, v in reply_error.headers.items()}
            if reply_error.code in expect:
                return Response(reply_error.code, reply_headers, body)
            raise self._error(reply_error.code, reply_headers, body, method, path) from None
        except (urllib.error.URLError, ConnectionError, socket.timeout, TimeoutError) as failure:
            reason = getattr(failure, "reason", failure)
            raise DMLConnectionError(0, "client.unreachable", f"no reply from {self.base_url}: {reason}", method=method, path=path) from None
        with reply:
            reply_headers = {k.lower(): v for k, v in reply.headers.items()}
            status = reply.status
            if write_to is None:
                return Response(status, reply_headers, reply.read())
            written = 0
            try:
                while True:
                    piece = reply.read(1 << 16)
                    if not piece:
                        break
                    write_to.write(piece)
                    written += len(piece)
            except (ConnectionError, socket.timeout, TimeoutError) as failure:
                raise DMLConnectionError(0, "client.truncated", f"the reply broke off after {written} bytes: {failure}",
                                         method=method, path=path) from None
            return Response(status, reply_headers, b"", written)

    @staticmethod
    def _error(status: int, headers: Dict[str, str], body: bytes, method: str, path: str) -> DMLError:
        retry_after: Optional[float] = None
        if "retry-after" in headers:
            try:
                retry_after = float(headers["retry-after"])
            except ValueError:
                retry_after = None
        try:
            parsed = json.loads(body) if body else None
        except ValueError:
            parsed = None
        if isinstance(parsed, dict) and isinstance(parsed.get("code"), str):
            details = parsed.get("details") if isinstance(parsed.get("details"), dict) else {}
            return DMLError(status, parsed["code"], str(parsed.get("message", "")), details, method, path, retry_after)
        text = body[:300].decode("utf-8", "replace").strip()
        return DMLError(status, f"http.{status}", text or "the server gave no error body", {}, method, path, retry_after)
