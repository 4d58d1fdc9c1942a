"""Jobs: a requester runs a marketplace package on devices; Python devices take leases, run the
package in the dml sandbox (``dml algo run``), sign receipts with their keys and get paid."""
from __future__ import annotations

import base64
import hashlib
import struct
import time

import pytest

from dml_client import DML, DMLError, DmlRunner, Key
from dml_client.protocol import RunReceipt

from conftest import dml_binary, now_ms
from test_algorithms import publish_approved


@pytest.fixture(scope="module")
def algorithm(make, moderator):
    developer = make.custodial(1, "job-dev")
    algorithm, cid, package = publish_approved(developer, moderator, price=DML, title="Byte counter for jobs")
    return {"id": algorithm, "cid": cid, "package": package, "developer": developer}


def test_a_job_run_by_two_python_devices(make, algorithm, tmp_path) -> None:
    requester = make.custodial(20, "requester")
    requester.algorithms.purchase(algorithm["id"])
    created = requester.jobs.create(algorithm["id"], 2, 3 * DML, now_ms() + 600_000, requirements="any file")
    job = created["id"]
    assert requester.ledger.balance() == 13 * DML  # 1 for the algorithm, 2 × 3 escrowed
    view = requester.jobs.get(job)
    assert (view["status"], view["devices"], view["accepted"], view["rewardPerDevice"]) == ("open", 2, 0, str(3 * DML))
    assert view["algorithm"] == hashlib.sha256(algorithm["package"]).hexdigest() and view["artifact"] == algorithm["cid"]
    assert job in [j["id"] for j in requester.jobs.list(mine=True)["items"]]

    runner = DmlRunner(dml_binary())
    inputs = {"hello world": None, "12345": None}
    for text in inputs:
        device = make.self_custody(0)
        data = tmp_path / f"{len(text)}.txt"
        data.write_text(text)
        accepted = device.jobs.run_once(data, runner=runner, wait_seconds=1)
        assert accepted is not None
        assert (accepted["job"], accepted["device"], accepted["paid"]) == (job, device.account, str(3 * DML))
        assert device.ledger.balance() == 3 * DML
        inputs[text] = device
        # Nothing more for this device: its one result per job is in.
        assert device.jobs.work(0) is None or device.jobs.work(0)["job"] != job

    final = requester.jobs.get(job)
    assert (final["status"], final["accepted"], final["rewardsHeld"]) == ("completed", 2, "0")
    results = requester.jobs.results(job)
    assert results["total"] == 2
    assert sorted(r["output"] for r in results["items"]) == [[5.0], [11.0]]
    report = requester.jobs.report(job)
    assert report["fields"] == ["bytes"] and report["aggregate"] == [16.0]
    assert report["results"] == 2 and report["totalPaid"] == str(6 * DML)
    assert {p["device"] for p in report["payments"]} == {d.account for d in inputs.values()}
    html = requester.jobs.save_report(job, tmp_path / "report.html")
    assert html.size > 0 and "<svg" in (tmp_path / "report.html").read_text()
    csv = requester.jobs.save_report(job, tmp_path / "report.csv", "csv")
    assert "bytes,16" in (tmp_path / "report.csv").read_text() and csv.size > 0
    with pytest.raises(DMLError) as stranger:
        inputs["12345"].jobs.report(job)
    assert stranger.value.status == 403


def test_results_that_are_not_honest_are_refused(make, algorithm, tmp_path) -> None:
    requester = make.custodial(10)
    requester.algorithms.purchase(algorithm["id"])
    job = requester.jobs.create(algorithm["id"], 1, DML, now_ms() + 600_000)["id"]
    device = make.self_custody(0)
    lease = device.jobs.work(1)
    assert lease is not None and lease["job"] == job and lease["manifest"]["fields"] == ["bytes"] and lease["package"] == f"/v1/jobs/{job}/package"
    package = tmp_path / "package.json"
    device.jobs.package(lease, package)
    assert package.read_bytes() == algorithm["package"]
    data = tmp_path / "in.txt"
    data.write_text("abc")
    run = DmlRunner(dml_binary()).run(package, input_file=data)
    assert run.output == struct.pack("<d", 3.0) and run.input_digest == hashlib.sha256(b"abc").digest()

    honest = device.jobs.receipt(lease, run)
    stranger = Key.generate()
    forged = RunReceipt(honest.algorithm, honest.input_digest, honest.output_digest, honest.fuel_used, stranger.public_key,
                        honest.nonce).signed(stranger)
    with pytest.raises(DMLError) as not_yours:
        device.jobs.submit_result(job, lease["lease"], run.output, forged)
    assert (not_yours.value.status, not_yours.value.code) == (403, "jobs.receipt_not_yours")
    with pytest.raises(DMLError) as mismatch:
        device.jobs.submit_result(job, lease["lease"], struct.pack("<d", 4.0), honest)
    assert (mismatch.value.status, mismatch.value.code) == (422, "jobs.receipt_mismatch")
    with pytest.raises(DMLError) as no_lease:
        device.jobs.submit_result(job, "not-a-lease", run.output, honest)
    assert (no_lease.value.status, no_lease.value.code) == (409, "jobs.no_lease")

    challenge = None
    if lease.get("challenge"):
        answer = DmlRunner(dml_binary()).run(package, input_bytes=base64.b64decode(lease["challenge"]))
        challenge = {"output": base64.b64encode(answer.output).decode(), "receipt": device.jobs.receipt(lease, answer).to_json()}
    accepted = device.jobs.submit_result(job, lease["lease"], run.output, honest, challenge=challenge, audit_input=b"abc")
    assert accepted["audited"] is True and accepted["paid"] == str(DML)
    with pytest.raises(DMLError) as duplicate:
        device.jobs.submit_result(job, lease["lease"], run.output, honest, challenge=challenge)
    assert duplicate.value.status == 409 and duplicate.value.code in ("jobs.duplicate_result", "jobs.job_not_open")


def test_a_job_closed_after_its_deadline_refunds_the_requester(make, algorithm) -> None:
    requester = make.custodial(10)
    requester.algorithms.purchase(algorithm["id"])
    job = requester.jobs.create(algorithm["id"], 4, DML, now_ms() + 1500)["id"]
    assert requester.ledger.balance() == 5 * DML
    with pytest.raises(DMLError) as early:
        requester.jobs.close(job)
    assert early.value.status == 409
    time.sleep(2)
    requester.jobs.close(job)
    assert requester.jobs.get(job)["status"] == "closed"
    assert requester.ledger.balance() == 9 * DML


def test_a_job_needs_a_package_and_an_owned_algorithm(make, moderator, algorithm) -> None:
    requester = make.custodial(5)
    with pytest.raises(DMLError) as not_bought:
        requester.jobs.create(algorithm["id"], 1, DML, now_ms() + 60_000)
    assert (not_bought.value.status, not_bought.value.code) == (403, "jobs.algorithm_not_owned")
    developer = make.custodial(5)
    plain, _, _ = publish_approved(developer, moderator, title="Not a package", package=b"just some bytes")
    with pytest.raises(DMLError) as not_package:
        developer.jobs.create(plain, 1, DML, now_ms() + 60_000)
    assert not_package.value.status == 422
    with pytest.raises(DMLError) as missing:
        requester.jobs.get(987_654)
    assert missing.value.status == 404
