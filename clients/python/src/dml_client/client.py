"""``Client``: one server, one session, and a typed API per resource.

    from dml_client import Client
    client = Client("http://127.0.0.1:8080")
    client.users.login("ada@example.org", "correct horse")
    client.bounties.list(status="enrollment_open")

Writes go through the server for custodial users (the server keeps their key and signs). A
client given a ``key`` whose user keeps their own key (self-custody, or no session at all)
builds the same ledger call, signs it here and posts it to ``/v1/ledger/transactions``.
"""
from __future__ import annotations

import re
from typing import Any, Callable, Dict, List, Mapping, Optional, cast

from .errors import DMLError
from .http import _MISSING, Response, Transport
from .keys import Key
from .protocol import Call
from .types import EventView, ReadyView, SessionView, TransactionReceipt, UserView, WriteView

__all__ = ["Client", "Resource", "created_id"]


class Resource:
    """Base of the per-resource APIs: a reference to the client and its helpers."""

    def __init__(self, client: "Client") -> None:
        self._client = client

    def _get(self, path: str, query: Optional[Mapping[str, Any]] = None, auth: bool = True) -> Any:
        return self._client.request("GET", path, query=query, auth=auth).json()

    def _post(self, path: str, body: Any = _MISSING, idempotency_key: Optional[str] = None, **kwargs: Any) -> Any:
        return self._client.request("POST", path, json_body=body, idempotency_key=idempotency_key, **kwargs).json()

    def _patch(self, path: str, body: Any) -> Any:
        return self._client.request("PATCH", path, json_body=body).json()

    def _write(self, path: str, body: Any, call: Callable[[], Call], *, id: Optional[int] = None,
               created: Optional[str] = None, method: str = "POST", idempotency_key: Optional[str] = None) -> WriteView:
        """A ledger write: through the server for a custodial user, else signed here.
        ``created`` names the event (``posted``, ``published``, …) whose first number is the new id."""
        client = self._client
        if client.signs_locally:
            receipt = client.ledger.submit(call())
            view: Dict[str, Any] = {"transaction": receipt}
            new_id = created_id(receipt, created) if created else id
            if new_id is not None:
                view["id"] = new_id
            return cast(WriteView, view)
        if method == "PATCH":
            return cast(WriteView, self._patch(path, body))
        return cast(WriteView, self._post(path, _MISSING if body is None else body, idempotency_key=idempotency_key))


_FIRST_NUMBER = re.compile(r"^[A-Za-z]+\((?:[A-Za-z]+: )?#?(\d+)")


def created_id(receipt: TransactionReceipt, event_name: str) -> Optional[int]:
    """The id a create reported: the first number of the named event (``posted(3, …)``)."""
    for event in receipt.get("events", []):
        if event.get("name") == event_name:
            match = _FIRST_NUMBER.match(event.get("text", ""))
            if match:
                return int(match.group(1))
    return None


class Client:
    """A DML server. ``token``/``refresh_token`` resume a session; ``key`` signs locally."""

    def __init__(self, server: str, *, token: Optional[str] = None, refresh_token: Optional[str] = None,
                 key: Optional[Key] = None, timeout: float = 60.0, retries: int = 4,
                 on_session: Optional[Callable[[SessionView], None]] = None) -> None:
        from .algorithms import AlgorithmsAPI
        from .bounties import BountiesAPI
        from .federated import FederatedAPI, PrivacyAPI
        from .jobs import JobsAPI
        from .ledger import LedgerAPI
        from .storage import StorageAPI
        from .tasks import TasksAPI
        from .users import UsersAPI
        from .vouchers import VouchersAPI

        self.transport = Transport(server, token=token, timeout=timeout, retries=retries)
        self.refresh_token = refresh_token
        self.key = key
        self.user: Optional[UserView] = None
        self.on_session = on_session
        self._chain: Optional[str] = None
        self.system = SystemAPI(self)
        self.users = UsersAPI(self)
        self.ledger = LedgerAPI(self)
        self.bounties = BountiesAPI(self)
        self.algorithms = AlgorithmsAPI(self)
        self.tasks = TasksAPI(self)
        self.jobs = JobsAPI(self)
        self.federated = FederatedAPI(self)
        self.privacy = PrivacyAPI(self)
        self.storage = StorageAPI(self)
        self.vouchers = VouchersAPI(self)

    @property
    def server(self) -> str:
        return self.transport.base_url

    @property
    def token(self) -> Optional[str]:
        return self.transport.token

    # Sessions ------------------------------------------------------------------------------

    def use_session(self, session: SessionView) -> SessionView:
        self.transport.token = session["accessToken"]
        self.refresh_token = session["refreshToken"]
        self.user = session["user"]
        if self.on_session:
            self.on_session(session)
        return session

    def sign_out(self) -> None:
        self.transport.token = None
        self.refresh_token = None
        self.user = None

    @property
    def signs_locally(self) -> bool:
        """True when writes are signed here: a key, and no custodial user signed in."""
        if self.key is None:
            return False
        if self.user is None and self.transport.token:
            self.user = self.users.me()
        return self.user is None or not self.user.get("custodial", False)

    @property
    def account(self) -> str:
        """The signed-in user's account, else the key's."""
        if self.user is not None:
            return self.user["account"]
        if self.key is not None:
            return self.key.address
        if self.transport.token:
            self.user = self.users.me()
            return self.user["account"]
        raise DMLError(0, "client.no_account", "sign in or give the client a key first")

    @property
    def chain_id(self) -> str:
        """The chain's ID in hex (from ``/ready``), what every transaction names."""
        if self._chain is None:
            self._chain = self.system.ready()["chain"]
        return self._chain

    # Requests ------------------------------------------------------------------------------

    def request(self, method: str, path: str, **kwargs: Any) -> Response:
        """One request; a 401 on an expired access token is answered by refreshing the
        session once (refresh tokens work once each) and sending the request again."""
        data: Any = kwargs.get("data")
        stream = data is not None and not isinstance(data, (bytes, bytearray))
        start = data.tell() if stream and hasattr(data, "tell") else None
        try:
            return self.transport.request(method, path, **kwargs)
        except DMLError as error:
            if (error.status != 401 or not self.refresh_token or not kwargs.get("auth", True) or not self.transport.token
                    or path.startswith("/v1/users/") and path != "/v1/users/me" or (stream and start is None)):
                raise
            try:
                self.users.refresh()
            except DMLError:
                raise error from None
            if stream and start is not None:
                data.seek(start)
            return self.transport.request(method, path, **kwargs)


class SystemAPI(Resource):
    def health(self) -> Dict[str, str]:
        return cast(Dict[str, str], self._get("/health", auth=False))

    def ready(self) -> ReadyView:
        """``{ready, head, indexed, chain, sequencer}``; a 503 (index behind, shutting down) is returned too."""
        reply = self._client.request("GET", "/ready", auth=False, expect=(503,))
        return cast(ReadyView, reply.json())

    def metrics(self) -> str:
        return self._client.request("GET", "/metrics", auth=False).text

    def openapi(self) -> Dict[str, Any]:
        return cast(Dict[str, Any], self._get("/openapi.json", auth=False))


def events_named(receipt: TransactionReceipt, name: str) -> List[EventView]:
    return [event for event in receipt.get("events", []) if event.get("name") == name]
