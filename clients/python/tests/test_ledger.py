"""The ledger: transactions signed here accepted by the server, refusals with the right codes,
accounts, blocks, transactions, events and the event stream."""
from __future__ import annotations

import threading

import pytest

from dml_client import DML, DMLError, Key, calls
from dml_client.protocol import SignedTransaction, sign_transaction


def test_locally_signed_transfer_is_accepted(server, admin, make) -> None:
    recipient = Key.generate()
    before = admin.ledger.account(server.admin.address)
    tx = admin.ledger.sign(calls.Balances.transfer(recipient.address, 3 * DML))
    assert tx.payload.nonce == before["nextNonce"]
    receipt = admin.ledger.submit_signed(tx)
    assert receipt["hash"] == tx.hash
    assert receipt["events"][0]["name"] == "transferred"
    assert recipient.address in receipt["events"][0]["text"]
    assert admin.ledger.account(recipient.address)["free"] == str(3 * DML)
    after = admin.ledger.account(server.admin.address)
    assert after["nextNonce"] == before["nextNonce"] + 1
    assert int(after["free"]) == int(before["free"]) - 3 * DML

    view = admin.ledger.transaction(tx.hash)
    assert view["signer"] == server.admin.address and view["module"] == "balances" and view["call"] == "transfer"
    block = admin.ledger.block(receipt["height"])
    assert block["height"] == receipt["height"]
    assert any(t["hash"] == tx.hash and t["nonce"] == tx.payload.nonce for t in block["transactions"])


def test_replayed_transaction_is_refused(admin) -> None:
    tx = admin.ledger.sign(calls.Balances.transfer(Key.generate().address, 1))
    admin.ledger.submit_signed(tx)
    with pytest.raises(DMLError) as replay:
        admin.ledger.submit_signed(tx)
    assert (replay.value.status, replay.value.code) == (409, "tx.nonce_already_used")


def test_bad_signature_is_refused_and_uses_no_nonce(admin, server) -> None:
    nonce = admin.ledger.account(server.admin.address)["nextNonce"]
    tx = admin.ledger.sign(calls.Balances.transfer(Key.generate().address, 1))
    forged = SignedTransaction(tx.payload, Key.generate().sign(tx.payload.signing_message()))
    with pytest.raises(DMLError) as refused:
        admin.ledger.submit_signed(forged)
    assert (refused.value.status, refused.value.code) == (403, "tx.bad_signature")
    assert admin.ledger.account(server.admin.address)["nextNonce"] == nonce


def test_wrong_chain_nonce_gap_and_malformed_bytes(admin, server) -> None:
    nonce = admin.ledger.account(server.admin.address)["nextNonce"]
    call = calls.Balances.transfer(Key.generate().address, 1)
    with pytest.raises(DMLError) as chain:
        admin.ledger.submit_signed(sign_transaction(server.admin, bytes(32), nonce, call))
    assert (chain.value.status, chain.value.code) == (422, "tx.wrong_chain")
    with pytest.raises(DMLError) as gap:
        admin.ledger.submit_signed(sign_transaction(server.admin, admin.chain_id, nonce + 5, call))
    assert (gap.value.status, gap.value.code) == (409, "tx.nonce_too_high")
    good = sign_transaction(server.admin, admin.chain_id, nonce, call).encode()
    with pytest.raises(DMLError) as trailing:
        admin.ledger.submit_signed(good + b"\x00")
    assert (trailing.value.status, trailing.value.code) == (400, "tx.malformed")
    with pytest.raises(DMLError) as hexed:
        admin.ledger.submit_signed("zz")
    assert hexed.value.status == 400


def test_insufficient_balance_is_a_409(make) -> None:
    poor = make.self_custody(0)
    with pytest.raises(DMLError) as short:
        poor.ledger.transfer(Key.generate().address, DML)
    assert short.value.status == 409 and short.value.code.startswith("balances.")


def test_faucet_on_a_development_chain(make) -> None:
    device = make.self_custody(0)
    receipt = device.ledger.faucet(7 * DML)
    assert receipt["events"][0]["name"] == "minted"
    assert device.ledger.balance() == 7 * DML


def test_custodial_transfer_goes_through_the_server(make) -> None:
    alice, bob = make.custodial(20), make.custodial(0)
    assert not alice.signs_locally
    receipt = alice.ledger.transfer(bob.account, 2_500_000_000)
    assert receipt["events"][0]["name"] == "transferred"
    assert bob.ledger.balance() == 2_500_000_000
    # A self-custody user asking the server to sign is refused: they sign themselves.
    own = make.self_custody(5)
    with pytest.raises(DMLError) as refused:
        own.request("POST", "/v1/ledger/transfers", json_body={"to": bob.account, "amount": "1"})
    assert (refused.value.status, refused.value.code) == (409, "users.self_custody")
    own.ledger.transfer(bob.account, 1)  # and signed here it goes through
    assert bob.ledger.balance() == 2_500_000_001


def test_events_and_stream(admin, server) -> None:
    head = admin.system.ready()["head"]
    target = Key.generate().address
    seen = []

    def listen() -> None:
        for event in admin.ledger.stream_events(after=head, seconds=10):
            seen.append(event)
            if target in event["text"]:
                return

    listener = threading.Thread(target=listen)
    listener.start()
    receipt = admin.ledger.transfer(target, 5)
    listener.join(15)
    assert not listener.is_alive()
    assert any(e["height"] == receipt["height"] and target in e["text"] for e in seen)
    rows = admin.ledger.events(after=receipt["height"] - 1, limit=10)
    assert rows[0]["height"] == receipt["height"] and rows[0]["module"] == "balances" and rows[0]["name"] == "transferred"


def test_roles_granted_by_the_super_admin(admin, make) -> None:
    user = make.custodial(0)
    receipt = admin.ledger.grant_role(calls.Role.moderator(), user.account)
    assert receipt["events"][0]["module"] == "roles"
    # A non-admin cannot grant roles.
    other = make.self_custody(1)
    with pytest.raises(DMLError) as refused:
        other.ledger.grant_role(calls.Role.super_admin(), other.account)
    assert refused.value.status == 403 and refused.value.code.startswith("roles.")


def test_system_endpoints(admin) -> None:
    assert admin.system.health() == {"status": "ok"}
    ready = admin.system.ready()
    assert ready["ready"] is True and ready["sequencer"] is True and len(ready["chain"]) == 64
    assert "dml_ledger_height" in admin.system.metrics()
    assert admin.system.openapi()["openapi"].startswith("3.1")
