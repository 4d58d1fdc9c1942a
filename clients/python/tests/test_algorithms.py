"""The marketplace: upload (CID checked), publish, review by a moderator, purchase, verified
download, proceeds, prices and versions; custodial and self-custody buyers."""
from __future__ import annotations

import hashlib

import pytest

from dml_client import DML, DMLError, DMLIntegrityError, cid_of
from dml_client.artifacts import download

from packages import byte_count_package


def publish_approved(developer, moderator, price: int = 2 * DML, title: str = "Byte counter", package: bytes = b""):
    package = package or byte_count_package()
    artifact = developer.algorithms.upload_artifact(package)
    written = developer.algorithms.publish(title, "Counts the bytes of each device's input", artifact["cid"], price,
                                           tags=["Counting", "demo"], data_required="any file")
    moderator.algorithms.review(written["id"], "approve")
    return written["id"], artifact["cid"], package


def test_upload_checks_the_cid_both_ways(make, tmp_path) -> None:
    developer = make.custodial(0)
    small = developer.algorithms.upload_artifact(b"hello world")
    assert small == {"cid": "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e", "size": 11}
    big = bytes(i % 251 for i in range(2_621_440))  # chunked: the manifest CID of blobs.md §2.3
    path = tmp_path / "big.bin"
    path.write_bytes(big)
    assert developer.algorithms.upload_artifact(path) == {"cid": "bafyreibzd64xbbttugzkhmrgjbwcwbvioih6d6hrvk7arupfjwmohrfnxq",
                                                          "size": len(big)}
    with pytest.raises(DMLError) as empty:
        developer.algorithms.upload_artifact(b"")
    assert empty.value.code == "client.empty"
    with pytest.raises(DMLError) as anonymous:
        from dml_client import Client
        Client(developer.server).algorithms.upload_artifact(b"x")
    assert anonymous.value.status == 401


def test_publish_review_purchase_download_withdraw(make, moderator, tmp_path) -> None:
    developer, buyer = make.custodial(1, "dev"), make.custodial(10, "buyer")
    package = byte_count_package()
    artifact = developer.algorithms.upload_artifact(package)
    written = developer.algorithms.publish("Byte counter", "Counts bytes", artifact["cid"], 2 * DML, device_fee=DML // 10,
                                           tags=["Counting", "demo"], data_required="any file")
    algorithm = written["id"]
    view = developer.algorithms.get(algorithm)
    assert (view["status"], view["artifact"], view["price"], view["deviceFee"], view["tags"]) == (
        "pending_review", artifact["cid"], str(2 * DML), str(DML // 10), ["Counting", "demo"])
    assert view["viewerMayDownload"] is True
    assert algorithm not in [i["id"] for i in buyer.algorithms.list()["items"]]  # only active ones by default
    assert algorithm in [i["id"] for i in buyer.algorithms.list(status="any", creator=developer.account)["items"]]

    with pytest.raises(DMLError) as not_moderator:
        buyer.algorithms.review(algorithm, "approve")
    assert (not_moderator.value.status, not_moderator.value.code) == (403, "auth.forbidden")
    moderator.algorithms.review(algorithm, "approve")
    assert buyer.algorithms.get(algorithm)["status"] == "active"
    assert algorithm in [i["id"] for i in buyer.algorithms.list(tags=["counting"])["items"]]

    with pytest.raises(DMLError) as before:
        buyer.algorithms.download(algorithm, tmp_path / "x")
    assert (before.value.status, before.value.code) == (403, "marketplace.not_allowed_to_download")
    assert not (tmp_path / "x").exists()
    with pytest.raises(DMLError) as cheap:
        buyer.algorithms.purchase(algorithm, max_price=DML)
    # The server files this under 422 ("no state could accept"), though a lower price would.
    assert (cheap.value.status, cheap.value.code) == (422, "marketplace.price_above_limit")
    with pytest.raises(DMLError) as own:
        developer.algorithms.purchase(algorithm)
    assert (own.value.status, own.value.code) == (403, "marketplace.own_algorithm")

    bought = buyer.algorithms.purchase(algorithm)
    assert "purchased" in [e["name"] for e in bought["transaction"]["events"]]
    assert buyer.ledger.balance() == 8 * DML
    result = buyer.algorithms.download(algorithm, tmp_path / "package.json")
    assert (tmp_path / "package.json").read_bytes() == package
    assert result.cid == artifact["cid"] and result.sha256 == hashlib.sha256(package).hexdigest() and result.size == len(package)
    after = developer.algorithms.get(algorithm)
    assert after["purchases"] == 1 and after["downloads"] == 1 and after["proceeds"] == str(2 * DML)

    developer.algorithms.withdraw(algorithm)
    assert developer.ledger.balance() == 3 * DML
    assert developer.algorithms.get(algorithm)["proceeds"] == "0"


def test_price_versions_and_deactivation(make, moderator, tmp_path) -> None:
    developer = make.custodial(1)
    algorithm, first_cid, first = publish_approved(developer, moderator, title="Versioned")
    developer.algorithms.set_price(algorithm, 3 * DML, DML)
    assert (developer.algorithms.get(algorithm)["price"], developer.algorithms.get(algorithm)["deviceFee"]) == (str(3 * DML), str(DML))
    second = byte_count_package("1.0.1")
    cid = developer.algorithms.upload_artifact(second)["cid"]
    developer.algorithms.publish_version(algorithm, cid)
    view = developer.algorithms.get(algorithm)
    assert view["status"] == "pending_review" and view["version"] == 2
    assert [v["artifact"] for v in view["versions"]] == [first_cid, cid]
    assert developer.algorithms.download(algorithm, version=1).data == first
    assert developer.algorithms.download(algorithm).data == second
    moderator.algorithms.review(algorithm, "approve")
    developer.algorithms.deactivate(algorithm)
    assert developer.algorithms.get(algorithm)["status"] == "inactive"
    developer.algorithms.activate(algorithm)
    assert developer.algorithms.get(algorithm)["status"] == "active"


def test_self_custody_buyer_signs_and_records_the_download(make, moderator) -> None:
    developer, buyer = make.custodial(1), make.self_custody(10)
    algorithm, cid, package = publish_approved(developer, moderator, title="Self-custody purchase")
    buyer.algorithms.purchase(algorithm)
    assert buyer.ledger.balance() == 8 * DML
    result = buyer.algorithms.download(algorithm)
    assert result.data == package and result.cid == cid
    # The server records custodial downloads; the client signed this one's recordDownload.
    assert developer.algorithms.get(algorithm)["downloads"] == 1


def test_a_download_that_does_not_match_is_refused(make, moderator, tmp_path) -> None:
    developer = make.custodial(1)
    algorithm, cid, _ = publish_approved(developer, moderator, title="Mismatch")
    target = tmp_path / "kept"
    with pytest.raises(DMLIntegrityError) as wrong:
        download(developer, f"/v1/algorithms/{algorithm}/artifact", target, expected_cid=cid_of(b"something else"))
    assert wrong.value.code == "client.cid_mismatch"
    assert not target.exists() and list(tmp_path.iterdir()) == []
