"""The storage network: a provider registers a real ``dml storage-node`` (signed here), builds a
cluster and activates the node; an owner deposits, creates and pays for a bucket; a writer
puts a blob on the node with signed requests and reads it back verified."""
from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

import pytest

from dml_client import DML, Client, DMLError, Key, NodeClient, cid_of, load_key

from conftest import dml_binary


def start_node(server, folder: Path):
    """A ``dml storage-node`` following the server's chain; yields its address, URL and key."""
    log = open(folder / "stdout", "w+")
    process = subprocess.Popen([dml_binary(), "storage-node", "--data", str(folder / "data"), "--chain", str(server.data), "--port", "0"],
                               stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 30
    match = None
    while time.time() < deadline and match is None:
        log.seek(0)
        match = re.search(r"storage node (dml1\w+) listening on (http://127\.0\.0\.1:\d+)", log.read())
        if process.poll() is not None:
            break
        time.sleep(0.05)
    if match is None:
        process.kill()
        log.seek(0)
        pytest.fail(f"dml storage-node did not start: {log.read()[-2000:]}")
    return process, {"address": match.group(1), "url": match.group(2), "key": load_key(folder / "data" / "keys" / "node.key")}


@pytest.fixture()
def node(server, tmp_path):
    process, found = start_node(server, tmp_path)
    yield found
    process.terminate()
    process.wait(timeout=20)


def test_a_storage_network_end_to_end(make, admin, node) -> None:
    provider = make.self_custody(20)  # signs node, cluster and trust calls with its key
    owner = make.custodial(20, "bucket-owner")
    writer = make.self_custody(1)
    assert node["key"].address == node["address"]

    receipt = provider.storage.register_node(node["address"], 100, 10**12, node["url"], description="pytest node")
    assert receipt["events"][0]["name"] == "nodeCreated"
    view = provider.storage.node(node["address"])
    assert (view["provider"], view["capacity"], view["freeResource"], view["params"]["url"]) == (provider.account, 100, 100, node["url"])
    assert node["address"] in [n["key"] for n in provider.storage.nodes(provider=provider.account)["items"]]

    cluster = provider.storage.create_cluster(1, 10, "pytest cluster")["id"]
    provider.storage.add_node(cluster, node["address"], [0])
    provider.storage.set_node_status(cluster, node["address"], "active")
    detail = provider.storage.cluster(cluster)
    assert (detail["manager"], detail["nodeCount"], detail["vnodeCount"], detail["capacity"]) == (provider.account, 1, 1, 10)
    assert detail["ring"]["members"][0]["node"] == node["address"]
    assert provider.storage.node(node["address"])["status"] == "active"

    with pytest.raises(DMLError) as no_account:
        owner.storage.account()
    assert no_account.value.status == 404
    owner.storage.deposit(5 * DML)
    bucket = owner.storage.create_bucket(cluster, replication=1, description="datasets")["id"]
    owner.storage.allocate(bucket, 4)
    account = owner.storage.account()
    assert account["deposit"] == str(5 * DML) and int(account["rentPerMonth"]) > 0 and "rentCoveredUntil" in account
    bucket_view = owner.storage.bucket(bucket)
    assert (bucket_view["owner"], bucket_view["cluster"], bucket_view["resourceReserved"], bucket_view["isPublic"]) == (owner.account, cluster, 4, False)
    assert bucket in [b["id"] for b in owner.storage.buckets(owner=owner.account)["items"]]
    assert provider.storage.cluster(cluster)["resourceUsed"] == 4

    provider.storage.grant_bucket_access(bucket, "writer", writer.account)
    provider.storage.grant_bucket_access(bucket, "reader", writer.account)
    client = NodeClient(node["url"], writer.key)
    client.wait_for_height(int(writer.system.ready()["head"]))
    blob = b"rows of a private dataset\n" * 1000
    cid = client.put(bucket, blob)
    assert cid == cid_of(blob)
    got = client.get(bucket, cid)
    assert got.data == blob and got.cid == cid
    assert {"cid": cid, "size": len(blob)} in client.list(bucket)
    with pytest.raises(DMLError) as anonymous:
        NodeClient(node["url"]).get(bucket, cid)
    assert anonymous.value.status in (401, 403)
    with pytest.raises(DMLError) as stranger:
        NodeClient(node["url"], Key.generate()).put(bucket, b"not yours")
    assert stranger.value.status in (401, 403)

    # Usage is reported by the node's own key; rent is settled and distributed by anyone.
    usage = provider.storage.report_usage(bucket, len(blob), len(blob), node_key=node["key"])
    assert usage["events"][0]["module"] == "storage"
    time.sleep(0.05)
    owner.storage.settle(bucket)
    assert int(owner.storage.account()["deposit"]) < 5 * DML
    revenues = int(provider.storage.cluster(cluster)["revenues"])
    assert revenues > 0
    before = provider.ledger.balance()
    admin.storage.distribute(cluster)
    assert provider.storage.cluster(cluster)["revenues"] == "0"
    assert provider.ledger.balance() == before + revenues  # one node: its provider gets it all (no fees set)

    wallet = owner.ledger.balance()
    owner.storage.withdraw(DML)
    assert owner.ledger.balance() == wallet + DML


def test_storage_refusals(make) -> None:
    stranger = make.self_custody(5)
    with pytest.raises(DMLError) as cluster:
        stranger.storage.cluster(999_999)
    assert cluster.value.status == 404
    with pytest.raises(DMLError) as bucket:
        stranger.storage.create_bucket(999_999)
    assert bucket.value.status == 404
    with pytest.raises(DMLError) as node:
        stranger.storage.node(Key.generate().address)
    assert node.value.status == 404
    with pytest.raises(DMLError) as status:
        stranger.storage.nodes(status="sleeping")
    assert status.value.status in (400, 422)


def test_storage_from_the_command_line(server, make, node, tmp_path) -> None:
    """The provider, the bucket owner and a writer, each with their own dml-client home."""
    from test_cli import cli, cli_json

    provider, owner, writer = tmp_path / "provider", tmp_path / "owner", tmp_path / "writer"
    for home, name in ((provider, "p"), (writer, "w")):
        cli(server, home, "login", "--key", name, "--create")
        cli(server, home, "faucet", "20")
    owner_client = make.custodial(20, "cli-owner")
    cli(server, owner, "login", "--email", owner_client.email, "--password", "correct horse battery")  # type: ignore[attr-defined]
    manager = cli(server, provider, "--print", "account", "whoami").strip()
    writer_address = cli(server, writer, "--print", "account", "whoami").strip()

    assert "registered node" in cli(server, provider, "storage", "register-node", node["address"], "--capacity", "40",
                                    "--rent", str(10**12), "--url", node["url"])
    cluster = cli_json(server, provider, "storage", "create-cluster", "--resource-per-vnode", "8", "--replication-max", "1")["id"]
    assert "may now add your nodes" in cli(server, provider, "storage", "trust", manager)
    cli(server, provider, "storage", "add-node", str(cluster), node["address"], "--vnodes", "0")
    cli(server, provider, "storage", "node-status", str(cluster), node["address"], "active")
    assert f"capacity 40 (free 32), cluster {cluster}, status active" in cli(server, provider, "storage", "node", node["address"])

    cli(server, owner, "storage", "deposit", "5")
    bucket = cli_json(server, owner, "storage", "create-bucket", str(cluster))["id"]
    cli(server, owner, "storage", "allocate", str(bucket), "2")
    assert f"bucket {bucket} of {owner_client.account} in cluster {cluster}: reserved 2" in cli(server, owner, "storage", "bucket", str(bucket))
    # The manager (the provider) lets the writer in; the writer signs its requests to the node.
    manager_client = Client(server.url, key=load_key(provider / "keys" / "p.key"))
    manager_client.storage.grant_bucket_access(bucket, "writer", writer_address)
    manager_client.storage.grant_bucket_access(bucket, "reader", writer_address)
    NodeClient(node["url"]).wait_for_height(int(owner_client.system.ready()["head"]))
    data = tmp_path / "data.csv"
    data.write_text("a,b\n1,2\n")
    cid = cli_json(server, writer, "storage", "put", "--node-url", node["url"], "--bucket", str(bucket), str(data))["cid"]
    assert cid == cid_of(data.read_bytes())
    back = tmp_path / "back.csv"
    assert "CID verified" in cli(server, writer, "storage", "get", "--node-url", node["url"], "--bucket", str(bucket), cid, "--out", str(back))
    assert back.read_bytes() == data.read_bytes()
    time.sleep(0.05)
    cli(server, owner, "storage", "settle", str(bucket))
    assert "distributed the revenues of cluster" in cli(server, writer, "storage", "distribute", str(cluster))
    assert f"cluster {cluster} by {manager}" in cli(server, owner, "storage", "cluster", str(cluster))
