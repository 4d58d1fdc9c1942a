"""``/v1/vouchers``: payment hubs, vouchers signed off the ledger, and redemptions."""
from __future__ import annotations

from typing import Any, Dict, Optional, cast

from . import calls
from .client import Resource
from .errors import DMLError
from .protocol import Voucher, account_bytes
from .types import HubView, VoucherNonceView, VoucherView, WriteView

__all__ = ["VouchersAPI"]


class VouchersAPI(Resource):
    def open_hub(self, fee_percent: int) -> WriteView:
        return self._write("/v1/vouchers/hubs", {"feePercent": fee_percent}, lambda: calls.Vouchers.open_hub(fee_percent),
                           created="hubOpened")

    def hub(self, hub: int) -> HubView:
        return cast(HubView, self._get(f"/v1/vouchers/hubs/{hub}"))

    def set_fee(self, hub: int, fee_percent: int) -> WriteView:
        return self._write(f"/v1/vouchers/hubs/{hub}", {"feePercent": fee_percent}, lambda: calls.Vouchers.set_fee(hub, fee_percent),
                           id=hub, method="PATCH")

    def fund(self, hub: int, amount: int) -> WriteView:
        return self._write(f"/v1/vouchers/hubs/{hub}/fund", {"amount": str(amount)}, lambda: calls.Vouchers.fund(hub, amount), id=hub)

    def blacklist(self, hub: int, account: str) -> WriteView:
        return self._write(f"/v1/vouchers/hubs/{hub}/blacklist", {"account": account}, lambda: calls.Vouchers.blacklist(hub, account), id=hub)

    def withdraw(self, hub: int, amount: int) -> WriteView:
        return self._write(f"/v1/vouchers/hubs/{hub}/withdraw", {"amount": str(amount)}, lambda: calls.Vouchers.withdraw(hub, amount), id=hub)

    def next_nonce(self, hub: int, recipient: str) -> VoucherNonceView:
        return cast(VoucherNonceView, self._get(f"/v1/vouchers/hubs/{hub}/nonces/{recipient}"))

    def issue(self, hub: int, recipient: str, amount: int, nonce: Optional[int] = None) -> VoucherView:
        """A voucher for ``recipient``: signed here with the issuer's key when the client signs
        locally, else by the server for a custodial issuer. ``nonce`` defaults to the next one."""
        if nonce is None:
            nonce = int(self.next_nonce(hub, recipient).get("nextNonce", 1))
        if self._client.signs_locally and self._client.key is not None:
            voucher = Voucher(hub, account_bytes(recipient, "recipient"), amount, nonce)
            message = voucher.signing_message(self._client.chain_id)
            return cast(VoucherView, {"hub": hub, "recipient": recipient, "amount": str(amount), "nonce": nonce,
                                      "signature": self._client.key.sign(message).hex(), "message": message.hex()})
        body = {"recipient": recipient, "amount": str(amount), "nonce": nonce}
        return cast(VoucherView, self._post(f"/v1/vouchers/hubs/{hub}/vouchers", body))

    def redeem(self, voucher: VoucherView) -> WriteView:
        """Redeems a voucher (the recipient); the hub keeps its fee."""
        recipient = voucher["recipient"]
        body: Dict[str, Any] = {"hub": voucher["hub"], "recipient": recipient, "amount": str(voucher["amount"]),
                                "nonce": voucher["nonce"], "signature": voucher["signature"]}
        try:
            signature = bytes.fromhex(voucher["signature"])
        except ValueError:
            raise DMLError(0, "client.bad_signature", "a voucher's signature is 64 bytes of hex") from None
        typed = Voucher(int(voucher["hub"]), account_bytes(recipient, "recipient"), int(voucher["amount"]), int(voucher["nonce"]))
        return self._write("/v1/vouchers/redemptions", body, lambda: calls.Vouchers.redeem(typed, signature), id=int(voucher["hub"]))

