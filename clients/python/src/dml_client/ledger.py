"""``/v1/ledger``: accounts, blocks, transactions (signed here), events and their live stream."""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Iterator, List, Optional, Union, cast

from . import calls
from .client import Resource
from .errors import DMLConnectionError, DMLError
from .keys import Key
from .protocol import Call, SignedTransaction, account_bytes, sign_transaction
from .types import AccountView, BlockView, EventRow, TransactionReceipt, TransactionView

__all__ = ["LedgerAPI"]


class LedgerAPI(Resource):
    def account(self, address: Optional[str] = None) -> AccountView:
        """Balance (``free``, ``held``: base units as strings) and ``nextNonce`` of an account
        (the signed-in user's by default)."""
        return cast(AccountView, self._get(f"/v1/ledger/accounts/{address or self._client.account}"))

    def balance(self, address: Optional[str] = None) -> int:
        """Free base units of an account."""
        return int(self.account(address)["free"])

    # Signing -------------------------------------------------------------------------------

    def sign(self, call: Call, *, key: Optional[Key] = None, nonce: Optional[int] = None) -> SignedTransaction:
        """Signs ``call`` with ``key`` (the client's by default) at the account's next nonce."""
        key = key or self._client.key
        if key is None:
            raise DMLError(0, "client.no_key", "signing a transaction needs the account's key")
        if nonce is None:
            nonce = int(self.account(key.address)["nextNonce"])
        return sign_transaction(key, self._client.chain_id, nonce, call)

    def submit_signed(self, transaction: Union[SignedTransaction, bytes, str]) -> TransactionReceipt:
        """Posts a signed transaction as it is; the reply is its receipt once in a durable block."""
        if isinstance(transaction, SignedTransaction):
            text = transaction.hex()
        elif isinstance(transaction, (bytes, bytearray)):
            text = bytes(transaction).hex()
        else:
            text = transaction
        receipt = cast(TransactionReceipt, self._post("/v1/ledger/transactions", {"transaction": text}, auth=False))
        # Custodial writes reply after the server's query index has caught up with their block;
        # POST /v1/ledger/transactions replies as soon as the block is durable, before the
        # index sees it. Wait (briefly) for the index, so that reads right after a signed
        # write — the transaction, a list of bounties — see it as they do for custodial users.
        self.wait_indexed(int(receipt["height"]))
        return receipt

    def wait_indexed(self, height: int, timeout: float = 10.0) -> None:
        """Waits until the server's query index has reached block ``height``."""
        deadline = time.monotonic() + timeout
        while True:
            ready = self._client.system.ready()
            if int(ready["indexed"]) >= height:
                return
            if time.monotonic() > deadline:
                raise DMLError(0, "client.index_behind",
                               f"the server's index is at block {ready['indexed']}, still behind block {height} after {timeout} s")
            time.sleep(0.02)

    def submit(self, call: Call, *, key: Optional[Key] = None, attempts: int = 3) -> TransactionReceipt:
        """Signs ``call`` at the next nonce and submits it. If another transaction of the same
        account took that nonce meanwhile (refused, so nothing ran), signs again at the next one."""
        for attempt in range(attempts):
            transaction = self.sign(call, key=key)
            try:
                return self.submit_signed(transaction)
            except DMLError as error:
                if error.code not in ("tx.nonce_already_used", "tx.nonce_too_high") or attempt == attempts - 1:
                    raise
        raise AssertionError("unreachable")

    # Reads ---------------------------------------------------------------------------------

    def transaction(self, hash: str) -> TransactionView:
        return cast(TransactionView, self._get(f"/v1/ledger/transactions/{hash}"))

    def block(self, height: int) -> BlockView:
        return cast(BlockView, self._get(f"/v1/ledger/blocks/{height}"))

    def events(self, after: int = 0, limit: int = 100) -> List[EventRow]:
        """Events of blocks after height ``after``, oldest first."""
        return cast(List[EventRow], self._get("/v1/ledger/events", {"after": after, "limit": limit}))

    def stream_events(self, after: int = 0, seconds: int = 60) -> Iterator[EventRow]:
        """The server-sent event stream: yields each event as it is indexed, for ``seconds``."""
        transport = self._client.transport
        request = urllib.request.Request(transport.url("/v1/ledger/events/stream", {"after": after, "seconds": seconds}),
                                         headers={"Accept": "text/event-stream"})
        try:
            stream = urllib.request.urlopen(request, timeout=seconds + 30)
        except urllib.error.HTTPError as failure:
            raise transport._error(failure.code, {}, failure.read(), "GET", "/v1/ledger/events/stream") from None
        except (urllib.error.URLError, OSError) as failure:
            raise DMLConnectionError(0, "client.unreachable", f"no reply from {transport.base_url}: {failure}") from None
        with stream:
            data: List[str] = []
            for raw in stream:
                line = raw.decode("utf-8").rstrip("\r\n")
                if line.startswith("data:"):
                    data.append(line[5:].lstrip())
                elif not line and data:
                    yield cast(EventRow, json.loads("\n".join(data)))
                    data = []

    # Money ---------------------------------------------------------------------------------

    def transfer(self, to: str, amount: int) -> TransactionReceipt:
        """Moves ``amount`` base units to ``to``: by the server for a custodial user, else signed here."""
        account_bytes(to, "to")
        if self._client.signs_locally:
            return self.submit(calls.Balances.transfer(to, amount))
        return cast(TransactionReceipt, self._post("/v1/ledger/transfers", {"to": to, "amount": str(amount)}))

    def faucet(self, amount: int, *, key: Optional[Key] = None) -> TransactionReceipt:
        """Mints ``amount`` to the key's account (development chains only; signed here)."""
        return self.submit(calls.Balances.faucet(amount), key=key)

    def grant_role(self, role: calls.Role, to: str, *, key: Optional[Key] = None) -> TransactionReceipt:
        """Grants a role (signed here by a super-admin, a moderator for moderators, or a provider for its trust)."""
        return self.submit(calls.Roles.grant(role, to), key=key)

    def revoke_role(self, role: calls.Role, holder: str, *, key: Optional[Key] = None) -> TransactionReceipt:
        return self.submit(calls.Roles.revoke(role, holder), key=key)

