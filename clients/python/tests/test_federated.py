"""Federated learning: privacy budgets, a plain job trained by a Python device round after
round, the report, the model, publishing it; refusals."""
from __future__ import annotations

import hashlib
import random
import time

import pytest

from dml_client import DML, DMLError, Dataset, ModelWeights
from dml_client.learning import accuracy, plan_digest

from conftest import now_ms

PLAN = {
    "model": {"kind": "logistic", "inputs": 2, "classes": 2, "hidden": []},
    "strategy": {"name": "fedavg"},
    "training": {"learningRate": 0.5, "batchSize": 8, "epochs": 3},
    "rounds": 2, "devicesPerRound": 1, "minimumDevices": 1, "initialSeed": 7,
}


def separable(rows: int, seed: int) -> Dataset:
    """Points labelled 1 above the line y = x, 0 below."""
    rng = random.Random(seed)
    features, labels = [], []
    for _ in range(rows):
        x, y = rng.uniform(-1, 1), rng.uniform(-1, 1)
        features.append([x, y])
        labels.append(1 if y > x else 0)
    return Dataset(features, labels)


def as_csv(data: Dataset) -> str:
    return "".join(f"{x},{y},{label}\n" for (x, y), label in zip(data.features, data.labels))


def test_privacy_budgets(make) -> None:
    owner, other = make.custodial(1), make.custodial(1)
    name = f"clinic/{time.time_ns()}"
    owner.privacy.set_budget(name, 8.5, 1e-5)
    budget = owner.privacy.budget(name)
    assert (budget["dataset"], budget["owner"], budget["epsilon"], budget["spent"], budget["deltaMax"]) == (name, owner.account, 8.5, 0, 1e-5)
    with pytest.raises(DMLError) as not_owner:
        other.privacy.set_budget(name, 100)
    assert not_owner.value.status == 403
    with pytest.raises(DMLError) as missing:
        owner.privacy.budget("nobody/has-this")
    assert missing.value.status == 404
    with pytest.raises(DMLError) as bad_name:
        owner.privacy.set_budget("Not A Name", 1)
    assert (bad_name.value.status, bad_name.value.details.get("field")) == (422, "dataset")


def test_a_plain_federated_job_trained_by_a_python_device(make, moderator, tmp_path) -> None:
    requester = make.custodial(10, "fl-requester")
    evaluation = separable(60, 1)
    created = requester.federated.create(PLAN, DML, now_ms() + 600_000, evaluation_csv=as_csv(evaluation))
    job = created["id"]
    assert requester.ledger.balance() == 8 * DML  # 2 rounds × 1 device × 1 DML escrowed
    view = requester.federated.get(job)
    assert (view["status"], view["rounds"], view["devicesPerRound"], view["roundsRecorded"]) == ("open", 2, 1, 0)
    assert view["planDetails"]["model"] == PLAN["model"] and view["plan"] == plan_digest(PLAN)
    assert job in [j["id"] for j in requester.federated.list(status="open")["items"]]

    with pytest.raises(DMLError) as own:
        requester.federated.exchange(job, {"round": 1, "phase": "join"})
    assert (own.value.status, own.value.code) == (403, "federated.requester_cannot_train")

    device = make.self_custody(0)
    steps = []
    log = device.federated.train(job, separable(80, 2), wait_seconds=1, log=steps.append)
    assert [s.outcome for s in log.rounds] == ["aggregated", "aggregated"]
    assert [s.round for s in steps] == [1, 2]
    assert device.ledger.balance() == 2 * DML

    done = requester.federated.get(job)
    assert (done["status"], done["roundsRecorded"], done["rewardsHeld"]) == ("completed", 2, "0")
    assert len(done["recorded"]) == 2 and done["finalModel"]
    report = requester.federated.report(job)
    assert report["status"] == "completed" and report["totalPaid"] == str(2 * DML)
    assert [p["devices"] for p in report["payouts"]] == [[device.account], [device.account]]
    assert [r["round"] for r in report["rounds"]] == [1, 2] and all(r["devices"] == 1 for r in report["rounds"])
    assert report["finalModel"] == done["finalModel"]

    result = requester.federated.model(job, tmp_path / "model.dmlw")
    data = (tmp_path / "model.dmlw").read_bytes()
    assert hashlib.sha256(data).hexdigest() == done["finalModel"] == result.sha256
    model = ModelWeights.decode(data)
    assert model.kind == "logistic" and model.widths == [2, 1]
    assert accuracy(model, evaluation) > 0.8  # the device's training taught it the line
    assert report["rounds"][-1]["accuracy"] > 0.8
    html = requester.federated.save_report(job, tmp_path / "report.html")
    assert html.size > 0

    listed = requester.federated.publish(job, "Line classifier", "Trained by Python devices", 3 * DML, tags=["federated"])
    listing = requester.algorithms.get(listed["id"])
    assert listing["status"] == "pending_review" and listing["creator"] == requester.account


def test_federated_refusals(make) -> None:
    requester = make.custodial(5)
    with pytest.raises(DMLError) as bad_plan:
        requester.federated.create(dict(PLAN, minimumDevices=3), DML, now_ms() + 60_000)
    assert (bad_plan.value.status, bad_plan.value.details.get("field")) == (422, "plan")
    dp = dict(PLAN, training={"learningRate": 1, "batchSize": 4, "epochs": 1,
                              "differentialPrivacy": {"clipNorm": 1, "noiseMultiplier": 1.0, "samplingRate": 0.5, "stepsPerRound": 10}})
    with pytest.raises(DMLError) as no_dataset:
        requester.federated.create(dp, DML, now_ms() + 60_000)
    assert (no_dataset.value.status, no_dataset.value.details.get("field")) == (422, "dataset")
    name = f"tiny/{time.time_ns()}"
    requester.privacy.set_budget(name, 0.5)
    with pytest.raises(DMLError) as over:
        requester.federated.create(dp, DML, now_ms() + 60_000, dataset=name)
    assert (over.value.status, over.value.code) == (409, "privacy.budget_exceeded")
    assert requester.ledger.balance() == 5 * DML  # nothing escrowed
    with pytest.raises(DMLError) as missing:
        requester.federated.get(424_242)
    assert missing.value.status == 404


def test_a_federated_job_closed_after_its_deadline(make) -> None:
    requester = make.custodial(5)
    job = requester.federated.create(PLAN, DML, now_ms() + 1500)["id"]
    assert requester.ledger.balance() == 3 * DML
    time.sleep(2)
    requester.federated.close(job)
    assert requester.federated.get(job)["status"] == "closed"
    assert requester.ledger.balance() == 5 * DML
