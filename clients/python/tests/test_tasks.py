"""Tasks: create (rewards escrowed), assign, send results, validate, settle, withdraw."""
from __future__ import annotations

import pytest

from dml_client import DML, DMLError, Key, calls
from dml_client.calls import StoredArtifact, TaskDraft


def head(client) -> int:
    return int(client.system.ready()["head"])


def test_annotation_task_with_manual_validation(make) -> None:
    creator = make.custodial(20, "creator")
    worker, rejected = make.custodial(1, "worker"), make.self_custody(1)
    draft = TaskDraft(kind="data_annotation", question="Which digit is in each image?", reward_per_result=2 * DML,
                      max_assignments=3, expires_at_height=head(creator) + 1000, validation="manual_accept",
                      stake_per_assignment=DML // 2, annotation_type="image", files=["digits/1.png", "digits/2.png"],
                      files_storage="ipfs", class_labels="0,1,2,3,4,5,6,7,8,9")
    created = creator.tasks.create(draft)
    task = created["id"]
    assert creator.ledger.balance() == 14 * DML  # 3 × 2 DML escrowed
    view = creator.tasks.get(task)
    assert view["kind"] == {"type": "data_annotation", "annotationType": "image", "files": ["digits/1.png", "digits/2.png"],
                            "filesStorage": "ipfs", "mediaSamples": [], "classLabels": "0,1,2,3,4,5,6,7,8,9"}
    assert (view["status"], view["rewardPerResult"], view["maxAssignments"], view["validation"]) == (
        "created", str(2 * DML), 3, {"strategy": "manual_accept"})
    assert task in [t["id"] for t in worker.tasks.list("open", limit=100)["items"]]

    worker.tasks.assign(task)
    rejected.tasks.assign(task)  # self-custody: signed by its key
    assert worker.ledger.balance() == DML // 2  # the stake is escrowed
    assert [t["id"] for t in worker.tasks.list("assigned")["items"]] == [task]
    with pytest.raises(DMLError) as twice:
        worker.tasks.assign(task)
    assert twice.value.status == 409

    worker.tasks.send_result(task, inline="7, 2")
    rejected.tasks.send_result(task, stored=StoredArtifact("ipfs://labels.csv", "ipfs"))
    results = creator.tasks.results(task)
    assert results["total"] == 2
    by_worker = {r["worker"]: r for r in results["items"]}
    assert by_worker[worker.account]["result"] == {"inline": "7, 2"}
    assert by_worker[rejected.account]["result"] == {"stored": {"path": "ipfs://labels.csv", "storage": "ipfs"}}
    assert {r["status"] for r in results["items"]} == {"pending_validation"}
    # A worker sees only their own result.
    assert [r["worker"] for r in worker.tasks.results(task)["items"]] == [worker.account]

    with pytest.raises(DMLError) as not_creator:
        worker.tasks.validate(task, rejected.account, False)
    assert not_creator.value.status == 403
    creator.tasks.validate(task, worker.account, True)
    creator.tasks.validate(task, rejected.account, False)
    assert worker.ledger.balance() == 3 * DML  # 1 + 2 reward; the stake back
    assert rejected.ledger.balance() == DML // 2  # the stake forfeited
    statuses = {r["worker"]: r["status"] for r in creator.tasks.results(task)["items"]}
    assert statuses == {worker.account: "accepted", rejected.account: "rejected"}
    assert creator.tasks.get(task)["accepted"] == 1
    assert task in [t["id"] for t in creator.tasks.list("mine")["items"]]


def test_auto_accept_settle_and_withdraw(make, admin) -> None:
    creator, worker, idle = make.self_custody(10), make.custodial(1), make.custodial(1)
    expiry = head(creator) + 8
    draft = TaskDraft(kind="model_engineering", question="Make it faster", reward_per_result=DML, max_assignments=3,
                      expires_at_height=expiry, validation="auto_accept", model=StoredArtifact("s3://bucket/model.bin", "s3"))
    task = creator.tasks.create(draft)["id"]  # signed by the creator's key
    assert creator.tasks.get(task)["kind"] == {"type": "model_engineering", "model": {"path": "s3://bucket/model.bin", "storage": "s3"}}
    worker.tasks.assign(task)
    idle.tasks.assign(task)
    worker.tasks.send_result(task, inline="done")
    assert worker.ledger.balance() == 2 * DML  # paid at once
    while head(creator) <= expiry:  # let the chain pass the expiry height
        admin.ledger.transfer(Key.generate().address, 1)
    settled = creator.tasks.settle(task, idle.account)
    assert "abandoned" in [e["name"] for e in settled["transaction"]["events"]]
    creator.tasks.withdraw(task)
    assert creator.tasks.get(task)["status"] == "withdrawn"
    assert creator.ledger.balance() == 9 * DML  # 10 − 1 paid; the unused rewards back


def test_task_encoding_matches_the_server(make) -> None:
    # The same draft through the API (custodial) and signed here (self-custody) reads back the same.
    custodial, own = make.custodial(5), make.self_custody(5)
    draft = TaskDraft(kind="model_contribution", question="Train on your data", reward_per_result=DML, max_assignments=2,
                      expires_at_height=head(own) + 500, validation="custom_accept", validator=Key.generate().address,
                      validator_algorithm="bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e",
                      stake_per_assignment=3, script=StoredArtifact("ipfs://train.py", "ipfs", "token"))
    a = custodial.tasks.get(custodial.tasks.create(draft)["id"])
    b = own.tasks.get(own.tasks.create(draft)["id"])
    for key in ("kind", "question", "rewardPerResult", "maxAssignments", "expiresAtHeight", "validation", "stakePerAssignment"):
        assert a[key] == b[key], key
    assert a["validation"]["algorithm"] == "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"
    assert calls.Tasks.create(draft).module == 12
