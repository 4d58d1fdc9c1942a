"""``/v1/storage`` (docs/storage.md): nodes, clusters with their rings, buckets with their
rent, deposits. Node registration and cluster management are calls the provider or manager
signs here (``StorageCall``); ``NodeClient`` talks to a storage node itself with signed
requests (put, get and list blobs, verified against their CIDs)."""
from __future__ import annotations

import time
import urllib.parse
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Union, cast

from . import calls
from .artifacts import Downloaded, download
from .calls import NodeParams
from .cid import BlobHasher, hash_stream
from .client import Client, Resource
from .errors import DMLError
from .keys import Key
from .protocol import Call, storage_request_message
from .types import (StorageAccountView, StorageBucketPage, StorageBucketView, StorageClusterPage, StorageClusterView,
                    StorageNodePage, StorageNodeView, TransactionReceipt, WriteView)

__all__ = ["StorageAPI", "NodeClient", "NodeParams"]


class StorageAPI(Resource):
    # Reads -------------------------------------------------------------------------------------

    def nodes(self, *, provider: Optional[str] = None, status: Optional[str] = None, limit: Optional[int] = None,
              offset: Optional[int] = None) -> StorageNodePage:
        return cast(StorageNodePage, self._get("/v1/storage/nodes", {"provider": provider, "status": status, "limit": limit, "offset": offset}))

    def node(self, key: str) -> StorageNodeView:
        return cast(StorageNodeView, self._get(f"/v1/storage/nodes/{key}"))

    def clusters(self, *, manager: Optional[str] = None, limit: Optional[int] = None, offset: Optional[int] = None) -> StorageClusterPage:
        return cast(StorageClusterPage, self._get("/v1/storage/clusters", {"manager": manager, "limit": limit, "offset": offset}))

    def cluster(self, cluster: int) -> StorageClusterView:
        return cast(StorageClusterView, self._get(f"/v1/storage/clusters/{cluster}"))

    def buckets(self, *, owner: Optional[str] = None, limit: Optional[int] = None, offset: Optional[int] = None) -> StorageBucketPage:
        return cast(StorageBucketPage, self._get("/v1/storage/buckets", {"owner": owner, "limit": limit, "offset": offset}))

    def bucket(self, bucket: int) -> StorageBucketView:
        return cast(StorageBucketView, self._get(f"/v1/storage/buckets/{bucket}"))

    def account(self, address: Optional[str] = None) -> StorageAccountView:
        """Deposit, withdrawable, bonds and rent of an account (404 before its first deposit or bucket)."""
        return cast(StorageAccountView, self._get(f"/v1/storage/accounts/{address or self._client.account}"))

    # Owner and manager writes (custodial through the server, else signed here) ----------------

    def create_cluster(self, replication_max: int, resource_per_vnode: int, description: str = "") -> WriteView:
        body = {"replicationMax": replication_max, "resourcePerVNode": resource_per_vnode, "description": description}
        return self._write("/v1/storage/clusters", body,
                           lambda: calls.Storage.create_cluster(replication_max, resource_per_vnode, description), created="clusterCreated")

    def distribute(self, cluster: int) -> WriteView:
        return self._write(f"/v1/storage/clusters/{cluster}/distribute", None, lambda: calls.Storage.distribute_revenues(cluster), id=cluster)

    def create_bucket(self, cluster: int, *, replication: int = 1, description: str = "", owner: Optional[str] = None) -> WriteView:
        body: Dict[str, Any] = {"cluster": cluster, "replication": replication, "description": description}
        if owner is not None:
            body["owner"] = owner
        return self._write("/v1/storage/buckets", body,
                           lambda: calls.Storage.create_bucket(cluster, replication, description, owner), created="bucketCreated")

    def allocate(self, bucket: int, resource: int) -> WriteView:
        """Reserves ``resource`` units (MiB per node) for the bucket; rent starts to accrue."""
        return self._write(f"/v1/storage/buckets/{bucket}/allocate", {"resource": resource},
                           lambda: calls.Storage.allocate(bucket, resource), id=bucket)

    def settle(self, bucket: int) -> WriteView:
        return self._write(f"/v1/storage/buckets/{bucket}/settle", None, lambda: calls.Storage.settle_bucket(bucket), id=bucket)

    def deposit(self, amount: int) -> WriteView:
        return self._write("/v1/storage/deposits", {"amount": str(amount)}, lambda: calls.Storage.deposit(amount))

    def withdraw(self, amount: int) -> WriteView:
        return self._write("/v1/storage/withdrawals", {"amount": str(amount)}, lambda: calls.Storage.withdraw(amount))

    # Provider and manager calls: always signed here ------------------------------------------

    def _sign(self, call: Call, key: Optional[Key]) -> TransactionReceipt:
        return self._client.ledger.submit(call, key=key)

    def register_node(self, node: str, capacity: int, rent_per_vnode_per_month: int, url: str, *, description: str = "",
                      key: Optional[Key] = None) -> TransactionReceipt:
        """``createNode``: the provider registers a node by its key (the address ``dml storage-node`` prints)."""
        return self._sign(calls.Storage.create_node(node, capacity, rent_per_vnode_per_month, NodeParams(url, description=description)), key)

    def set_node_params(self, node: str, url: str, *, description: str = "", key: Optional[Key] = None) -> TransactionReceipt:
        return self._sign(calls.Storage.set_node_params(node, NodeParams(url, description=description)), key)

    def remove_node(self, node: str, *, key: Optional[Key] = None) -> TransactionReceipt:
        return self._sign(calls.Storage.remove_node(node), key)

    def trust_manager(self, manager: str, *, key: Optional[Key] = None) -> TransactionReceipt:
        """The provider lets ``manager`` add its nodes to clusters (the ``cluster-manager-trusted-by`` role)."""
        key = key or self._client.key
        if key is None:
            raise DMLError(0, "client.no_key", "trusting a manager is signed by the provider's key")
        return self._sign(calls.Roles.grant(calls.Role.cluster_manager_trusted_by(key.address), manager), key)

    def add_node(self, cluster: int, node: str, vnodes: Sequence[int], *, key: Optional[Key] = None) -> TransactionReceipt:
        """The manager adds a node with its ring tokens (u64 positions, one per vnode)."""
        return self._sign(calls.Storage.add_node(cluster, node, list(vnodes)), key)

    def remove_node_from_cluster(self, cluster: int, node: str, *, key: Optional[Key] = None) -> TransactionReceipt:
        return self._sign(calls.Storage.remove_node_from_cluster(cluster, node), key)

    def set_node_status(self, cluster: int, node: str, status: str, *, key: Optional[Key] = None) -> TransactionReceipt:
        """``adding``, ``active``, ``deleting`` or ``offline`` (the manager)."""
        return self._sign(calls.Storage.set_node_status(cluster, node, status), key)

    def set_usage_rate(self, cluster: int, usd_per_gb: int, *, key: Optional[Key] = None) -> TransactionReceipt:
        return self._sign(calls.Storage.set_usage_rate(cluster, usd_per_gb), key)

    def set_bucket_availability(self, bucket: int, public: bool, *, key: Optional[Key] = None) -> TransactionReceipt:
        return self._sign(calls.Storage.set_bucket_availability(bucket, public), key)

    def grant_bucket_access(self, bucket: int, access: str, to: str, *, key: Optional[Key] = None) -> TransactionReceipt:
        return self._sign(calls.Storage.grant_bucket_access(bucket, access, to), key)

    def bond(self, amount: int, *, key: Optional[Key] = None) -> TransactionReceipt:
        return self._sign(calls.Storage.bond(amount), key)

    def unbond(self, amount: int, *, key: Optional[Key] = None) -> TransactionReceipt:
        return self._sign(calls.Storage.unbond(amount), key)

    def report_usage(self, bucket: int, served_bytes_total: int, stored_bytes: int, *, node_key: Key) -> TransactionReceipt:
        """A node's cumulative usage report, signed with the node's own key."""
        return self._sign(calls.Storage.report_usage(bucket, served_bytes_total, stored_bytes), node_key)


class NodeClient:
    """A storage node's HTTP API (storage.md "Storage nodes"), requests signed with ``key``
    (``X-DML-Signature``). Blobs are addressed by CID; uploads are refused by the node unless the
    bytes hash to it, and downloads here are checked against it too."""

    def __init__(self, url: str, key: Optional[Key] = None, timeout: float = 60.0) -> None:
        self.client = Client(url, timeout=timeout, retries=2)
        self.key = key

    def _headers(self, method: str, path: str) -> Dict[str, str]:
        if self.key is None:
            return {}
        now = int(time.time() * 1000)
        signature = self.key.sign(storage_request_message(method, path, now)).hex()
        return {"X-DML-Signature": f"{self.key.address} {now} {signature}"}

    def health(self) -> Dict[str, Any]:
        """``{status, height, node, cluster}``: the node and the ledger height it has followed."""
        return cast(Dict[str, Any], self.client.request("GET", "/v1/health", auth=False).json())

    def wait_for_height(self, height: int, timeout: float = 30.0) -> None:
        """Waits until the node has followed the chain to ``height`` (it learns its cluster,
        buckets and access lists from the ledger, so a write right after them needs this)."""
        deadline = time.monotonic() + timeout
        while True:
            followed = int(self.health().get("height", -1))
            if followed >= height:
                return
            if time.monotonic() > deadline:
                raise DMLError(0, "client.node_behind", f"the node follows block {followed}, not yet {height}, after {timeout} s")
            time.sleep(0.1)

    def put(self, bucket: int, source: Union[bytes, str, Path]) -> str:
        """Uploads a blob to this node (one replica); returns its CID."""
        if isinstance(source, (bytes, bytearray)):
            hasher = BlobHasher()
            hasher.update(bytes(source))
            path = f"/v1/buckets/{bucket}/blobs/{hasher.cid}"
            self.client.request("PUT", path, data=bytes(source), headers=self._headers("PUT", path), auth=False)
            return hasher.cid
        file = Path(source)
        with open(file, "rb") as stream:
            cid = hash_stream(stream).cid
            stream.seek(0)
            path = f"/v1/buckets/{bucket}/blobs/{cid}"
            self.client.request("PUT", path, data=stream, content_length=file.stat().st_size,
                                headers=self._headers("PUT", path), auth=False)
        return cid

    def get(self, bucket: int, cid: str, destination: Optional[Union[str, Path]] = None) -> Downloaded:
        """Downloads a blob, verified against its CID before it is kept."""
        path = f"/v1/buckets/{bucket}/blobs/{urllib.parse.quote(cid)}"
        return download(self.client, path, destination, expected_cid=cid, headers=self._headers("GET", path), auth=False)

    def list(self, bucket: int) -> List[Dict[str, Any]]:
        path = f"/v1/buckets/{bucket}/blobs"
        return cast(List[Dict[str, Any]], self.client.request("GET", path, headers=self._headers("GET", path), auth=False).json())

    def delete(self, bucket: int, cid: str) -> None:
        path = f"/v1/buckets/{bucket}/blobs/{cid}"
        self.client.request("DELETE", path, headers=self._headers("DELETE", path), auth=False, expect=(204,))

