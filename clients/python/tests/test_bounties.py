"""Bounties end to end: post, enroll, submit, award, pay out — custodial and self-custody."""
from __future__ import annotations

import pytest

from dml_client import DML, DMLError

from conftest import now_ms


def dates(minutes: int = 60):
    now = now_ms()
    return dict(enrollment_end=now + minutes * 60_000, submission_end=now + 2 * minutes * 60_000,
                evaluation_deadline=now + 3 * minutes * 60_000)


def test_bounty_lifecycle_to_payout(make) -> None:
    owner = make.custodial(50, "owner")
    first, second, late = make.custodial(1, "first"), make.self_custody(1), make.custodial(1, "late")
    created = owner.bounties.create("Classify digits", "Best accuracy wins", [10 * DML, 5 * DML], **dates())
    bounty = created["id"]
    assert [e["name"] for e in created["transaction"]["events"]][-2:] == ["posted", "funded"]
    view = owner.bounties.get(bounty)
    assert view["status"] == "pending" and view["prizes"] == [str(10 * DML), str(5 * DML)]
    assert view["funded"] == str(15 * DML) and view["expiryRule"] == "refund_owner"
    assert owner.ledger.account()["held"] == "0" and owner.ledger.balance() == 35 * DML

    listed = owner.bounties.list(owner=owner.account)
    assert listed["total"] == 1 and listed["items"][0]["id"] == bounty and listed["items"][0]["prizePool"] == str(15 * DML)
    assert any(i["id"] == bounty for i in owner.bounties.list(q="digits")["items"])

    with pytest.raises(DMLError) as early:
        first.bounties.enroll(bounty)
    assert (early.value.status, early.value.code) == (409, "bounties.wrong_status")

    owner.bounties.open_enrollment(bounty)
    first.bounties.enroll(bounty)
    second.bounties.enroll(bounty)  # self-custody: signed by its own key
    with pytest.raises(DMLError) as own:
        owner.bounties.enroll(bounty)
    assert (own.value.status, own.value.code) == (403, "bounties.owner_cannot_enroll")
    owner.bounties.close_enrollment(bounty)
    with pytest.raises(DMLError) as closed:
        late.bounties.enroll(bounty)
    assert closed.value.code == "bounties.wrong_status"
    owner.bounties.open_submissions(bounty)

    artifact = first.algorithms.upload_artifact(b"first model weights")["cid"]
    first.bounties.submit(bounty, artifact, "94% on the hold-out")
    second.bounties.submit(bounty, "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e", "self-signed")
    owner.bounties.close_submissions(bounty)

    everything = owner.bounties.submissions(bounty)
    assert {s["participant"]: (s["artifact"], s["note"]) for s in everything} == {
        first.account: (artifact, "94% on the hold-out"),
        second.account: ("bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e", "self-signed")}
    assert [s["participant"] for s in first.bounties.submissions(bounty)] == [first.account]

    with pytest.raises(DMLError) as stranger:
        late.bounties.award(bounty, [first.account, second.account])
    assert stranger.value.status == 403
    owner.bounties.award(bounty, [second.account, first.account])
    assert owner.bounties.get(bounty)["status"] == "evaluated"
    paid = owner.bounties.payout(bounty)
    assert [e["name"] for e in paid["transaction"]["events"]].count("prizePaid") == 2
    final = owner.bounties.get(bounty)
    assert final["status"] == "paid" and final["winners"] == [second.account, first.account]
    assert second.ledger.balance() == 11 * DML and first.ledger.balance() == 6 * DML


def test_self_custody_owner_signs_every_step(make) -> None:
    owner = make.self_custody(20)
    created = owner.bounties.create("Self-signed", "every call signed by the owner's key", [3 * DML], fund=False, **dates())
    bounty = created["id"]
    assert owner.bounties.get(bounty)["funded"] == "0"
    owner.bounties.fund(bounty, 3 * DML)
    assert owner.bounties.get(bounty)["funded"] == str(3 * DML)
    # The index sees a self-signed bounty as soon as the call returns.
    assert owner.bounties.list(owner=owner.account)["items"][0]["id"] == bounty
    cancelled = owner.bounties.cancel(bounty)
    assert "refunded" in [e["name"] for e in cancelled["transaction"]["events"]]
    assert owner.bounties.get(bounty)["status"] == "cancelled"
    assert owner.ledger.balance() == 20 * DML


def test_bounty_refusals(make) -> None:
    owner = make.custodial(5)
    with pytest.raises(DMLError) as zero:
        owner.bounties.create("Zero", "no prize", [0], **dates())
    assert (zero.value.status, zero.value.code, zero.value.details) == (422, "bounties.prize_zero", {"ledger": "refused"})
    with pytest.raises(DMLError) as rich:
        owner.bounties.create("Too rich", "more than I hold", [50 * DML], **dates())
    assert (rich.value.status, rich.value.code) == (409, "balances.insufficient_balance")
    with pytest.raises(DMLError) as order:
        now = now_ms()
        owner.bounties.create("Order", "dates", [DML], enrollment_end=now + 100_000, submission_end=now + 50_000,
                              evaluation_deadline=now + 200_000)
    assert (order.value.status, order.value.code) == (422, "bounties.dates_out_of_order")
    with pytest.raises(DMLError) as missing:
        owner.bounties.get(999_999)
    assert (missing.value.status, missing.value.code) == (404, "request.not_found")
    with pytest.raises(DMLError) as status:
        owner.bounties.list(status="nonsense")
    assert (status.value.status, status.value.code) == (400, "request.bad_query")
