"""The one exception the client raises for a refused or failed request."""
from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

__all__ = ["DMLError", "DMLConnectionError", "DMLIntegrityError"]


class DMLError(Exception):
    """A request the server refused, with its honest status and the API's error body
    ``{code, message, details}`` (docs/api.md). ``status`` is 0 when no reply came."""

    def __init__(self, status: int, code: str, message: str, details: Optional[Dict[str, Any]] = None,
                 method: str = "", path: str = "", retry_after: Optional[float] = None) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.details: Dict[str, Any] = dict(details or {})
        self.method = method
        self.path = path
        self.retry_after = retry_after
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f" ({self.method} {self.path})" if self.method else ""
        details = f" {self.details}" if self.details else ""
        return f"{self.status} {self.code}: {self.message}{details}{where}"

    def __reduce__(self) -> Tuple[Any, ...]:  # pragma: no cover - pickling support
        return (type(self), (self.status, self.code, self.message, self.details, self.method, self.path, self.retry_after))


class DMLConnectionError(DMLError):
    """No reply: the server could not be reached, or the connection broke mid-request."""


class DMLIntegrityError(DMLError):
    """Bytes that do not match what they claim: a CID, a SHA-256, a length, a signature."""
