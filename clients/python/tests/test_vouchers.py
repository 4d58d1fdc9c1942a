"""Voucher hubs: open, fund, vouchers signed by the server (custodial issuer) or here
(self-custody issuer), redemptions, replay refusals, blacklist, fee, withdrawal."""
from __future__ import annotations

import pytest

from dml_client import DML, DMLError
from dml_client.protocol import Voucher, decode_address, verify_signature


def test_custodial_issuer_and_recipients(make) -> None:
    issuer, recipient, own = make.custodial(20, "issuer"), make.custodial(0, "recipient"), make.self_custody(0)
    hub = issuer.vouchers.open_hub(10)["id"]
    issuer.vouchers.fund(hub, 10 * DML)
    view = issuer.vouchers.hub(hub)
    assert (view["issuer"], view["feePercent"], view["balance"]) == (issuer.account, 10, str(10 * DML))
    assert issuer.vouchers.next_nonce(hub, recipient.account)["nextNonce"] == 0

    voucher = issuer.vouchers.issue(hub, recipient.account, 2 * DML)
    # The server signed exactly the message protocol.md describes, with the issuer's key.
    local = Voucher(hub, decode_address(recipient.account), 2 * DML, voucher["nonce"]).signing_message(issuer.chain_id)
    assert voucher["message"] == local.hex()
    assert verify_signature(issuer.account, local, bytes.fromhex(voucher["signature"]))

    recipient.vouchers.redeem(voucher)
    assert recipient.ledger.balance() == 2 * DML - 2 * DML // 10  # the hub keeps 10 %
    assert issuer.vouchers.next_nonce(hub, recipient.account)["lastNonce"] == voucher["nonce"]
    with pytest.raises(DMLError) as replay:
        recipient.vouchers.redeem(voucher)
    assert (replay.value.status, replay.value.code) == (409, "vouchers.nonce_not_increasing")

    second = issuer.vouchers.issue(hub, own.account, DML)
    own.vouchers.redeem(second)  # a self-custody recipient signs the redemption itself
    assert own.ledger.balance() == DML - DML // 10

    issuer.vouchers.set_fee(hub, 0)
    assert issuer.vouchers.hub(hub)["feePercent"] == 0
    issuer.vouchers.blacklist(hub, recipient.account)
    third = issuer.vouchers.issue(hub, recipient.account, DML)
    with pytest.raises(DMLError) as blocked:
        recipient.vouchers.redeem(third)
    assert (blocked.value.status, blocked.value.code) == (409, "vouchers.recipient_blacklisted")
    left = int(issuer.vouchers.hub(hub)["balance"])
    before = issuer.ledger.balance()
    issuer.vouchers.withdraw(hub, left)
    assert issuer.ledger.balance() == before + left and issuer.vouchers.hub(hub)["balance"] == "0"


def test_self_custody_issuer_signs_vouchers_here(make) -> None:
    issuer, recipient = make.self_custody(10), make.custodial(0)
    hub = issuer.vouchers.open_hub(0)["id"]
    issuer.vouchers.fund(hub, 5 * DML)
    voucher = issuer.vouchers.issue(hub, recipient.account, 3 * DML, nonce=7)
    assert voucher["nonce"] == 7
    assert verify_signature(issuer.account, bytes.fromhex(voucher["message"]), bytes.fromhex(voucher["signature"]))
    recipient.vouchers.redeem(voucher)  # the server checks the signature made here
    assert recipient.ledger.balance() == 3 * DML
    forged = dict(voucher, amount=str(4 * DML))
    with pytest.raises(DMLError) as bad:
        recipient.vouchers.redeem(dict(forged, nonce=8))
    assert (bad.value.status, bad.value.code) == (403, "vouchers.invalid_signature")
    with pytest.raises(DMLError) as custodial_only:
        issuer.request("POST", f"/v1/vouchers/hubs/{hub}/vouchers", json_body={"recipient": recipient.account, "amount": "1", "nonce": 9})
    assert (custodial_only.value.status, custodial_only.value.code) == (409, "users.self_custody")
