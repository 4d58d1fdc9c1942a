"""The module calls a transaction carries (protocol.md §3 "Calls", storage.md "Calls").

Each function returns a ``protocol.Call``: the module number and the body — a u8 call tag,
then the call's fields, canonically encoded. Accounts are ``dml1…`` addresses or 32 raw
bytes; amounts are integers of base units; content addresses are CID texts or raw bytes.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any, Dict, Optional, Sequence, Union

from .cid import CIDError, cid_to_bytes
from .protocol import Call, ProtocolError, Voucher, Writer, encode_address

Account = Union[str, bytes]
ContentAddress = Union[str, bytes]

__all__ = [
    "Module", "Role", "NodeParams", "Balances", "Roles", "Registry", "Marketplace", "AlgorithmDraft", "Bounties", "BountyDraft",
    "Tasks", "TaskDraft", "StoredArtifact", "Vouchers", "Storage", "Jobs", "Federated", "Privacy",
    "content_address", "BOUNTY_STATUS", "STORAGE_TYPES",
]


class Module(IntEnum):
    """Module numbers (never renumbered)."""

    SYSTEM = 0
    REGISTRY = 1
    ROLES = 2
    BALANCES = 3
    MARKETPLACE = 10
    BOUNTIES = 11
    TASKS = 12
    VOUCHERS = 13
    STORAGE = 14
    JOBS = 15
    FEDERATED = 16
    PRIVACY = 17


def _call(tag: int) -> Writer:
    return Writer().u8(tag, "call tag")


def _done(module: Module, writer: Writer) -> Call:
    return Call(int(module), writer.encoded())


def content_address(value: ContentAddress, what: str = "artifact") -> bytes:
    """The ledger form of a content address: a CID text becomes its 36-byte binary form
    (as the API stores published artifacts); raw bytes are used as they are (1–128)."""
    if isinstance(value, str):
        try:
            raw = cid_to_bytes(value)
        except CIDError as error:
            try:
                raw = bytes.fromhex(value)
            except ValueError:
                raise ProtocolError(f"{what}: {error}") from None
    else:
        raw = bytes(value)
    if not 1 <= len(raw) <= 128:
        raise ProtocolError(f"{what} must be 1–128 bytes, got {len(raw)}")
    return raw


# Roles ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Role:
    """A permission (protocol.md §3 ``Role``)."""

    tag: int
    provider: Optional[bytes] = None

    SUPER_ADMIN = 0
    MODERATOR = 1
    CLUSTER_MANAGER_TRUSTED_BY = 2
    SET_EXCHANGE_RATE = 3
    VALIDATOR = 4

    @classmethod
    def super_admin(cls) -> "Role":
        return cls(0)

    @classmethod
    def moderator(cls) -> "Role":
        return cls(1)

    @classmethod
    def cluster_manager_trusted_by(cls, provider: Account) -> "Role":
        w = Writer().account(provider, "provider")
        return cls(2, w.encoded())

    @classmethod
    def set_exchange_rate(cls) -> "Role":
        return cls(3)

    @classmethod
    def validator(cls) -> "Role":
        return cls(4)

    @classmethod
    def named(cls, name: str, provider: Optional[Account] = None) -> "Role":
        names = {"super-admin": cls.super_admin, "moderator": cls.moderator, "set-exchange-rate": cls.set_exchange_rate,
                 "validator": cls.validator}
        if name == "cluster-manager-trusted-by":
            if provider is None:
                raise ProtocolError("the cluster-manager-trusted-by role names its provider")
            return cls.cluster_manager_trusted_by(provider)
        if name not in names:
            raise ProtocolError(f"unknown role '{name}': one of {', '.join(sorted(names))}, cluster-manager-trusted-by")
        return names[name]()

    def encode(self, w: Writer) -> None:
        w.u8(self.tag, "role")
        if self.tag == 2:
            if self.provider is None:
                raise ProtocolError("cluster-manager-trusted-by needs the provider")
            w.raw(self.provider)


class Balances:
    @staticmethod
    def transfer(to: Account, amount: int) -> Call:
        return _done(Module.BALANCES, _call(0).account(to, "to").u64(amount, "amount"))

    @staticmethod
    def faucet(amount: int) -> Call:
        """Mints to the signer; development chains only, up to the chain's faucet maximum."""
        return _done(Module.BALANCES, _call(1).u64(amount, "amount"))


class Roles:
    @staticmethod
    def grant(role: Role, to: Account) -> Call:
        w = _call(0)
        role.encode(w)
        return _done(Module.ROLES, w.account(to, "to"))

    @staticmethod
    def revoke(role: Role, holder: Account) -> Call:
        w = _call(1)
        role.encode(w)
        return _done(Module.ROLES, w.account(holder, "from"))


class Registry:
    @staticmethod
    def schedule_upgrade(module: int, version: int, from_height: int) -> Call:
        return _done(Module.REGISTRY, _call(0).u16(module, "module").u32(version, "version").u64(from_height, "from height"))

    @staticmethod
    def cancel_upgrade(module: int) -> Call:
        return _done(Module.REGISTRY, _call(1).u16(module, "module"))


# Marketplace ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AlgorithmDraft:
    title: str
    description: str
    artifact: ContentAddress
    price: int
    device_fee: int = 0
    data_required: str = ""
    tags: Sequence[str] = ()

    def encode(self, w: Writer) -> None:
        w.string(self.title, "title").string(self.description, "description").string(self.data_required, "data required")
        w.count(list(self.tags), "tags")
        for tag in self.tags:
            w.string(tag, "tag")
        w.u64(self.price, "price").u64(self.device_fee, "device fee").variable(content_address(self.artifact), "artifact", 128)


class Marketplace:
    @staticmethod
    def _id(tag: int, algorithm: int) -> Writer:
        return _call(tag).u64(algorithm, "algorithm")

    @staticmethod
    def publish(draft: AlgorithmDraft) -> Call:
        w = _call(0)
        draft.encode(w)
        return _done(Module.MARKETPLACE, w)

    @staticmethod
    def publish_version(algorithm: int, artifact: ContentAddress) -> Call:
        return _done(Module.MARKETPLACE, Marketplace._id(1, algorithm).variable(content_address(artifact), "artifact", 128))

    @staticmethod
    def approve(algorithm: int) -> Call:
        return _done(Module.MARKETPLACE, Marketplace._id(2, algorithm))

    @staticmethod
    def send_to_review(algorithm: int) -> Call:
        return _done(Module.MARKETPLACE, Marketplace._id(3, algorithm))

    @staticmethod
    def activate(algorithm: int) -> Call:
        return _done(Module.MARKETPLACE, Marketplace._id(4, algorithm))

    @staticmethod
    def deactivate(algorithm: int) -> Call:
        return _done(Module.MARKETPLACE, Marketplace._id(5, algorithm))

    @staticmethod
    def set_price(algorithm: int, price: int, device_fee: int) -> Call:
        return _done(Module.MARKETPLACE, Marketplace._id(6, algorithm).u64(price, "price").u64(device_fee, "device fee"))

    @staticmethod
    def change_creator(algorithm: int, to: Account) -> Call:
        return _done(Module.MARKETPLACE, Marketplace._id(7, algorithm).account(to, "to"))

    @staticmethod
    def purchase(algorithm: int, max_price: int) -> Call:
        return _done(Module.MARKETPLACE, Marketplace._id(8, algorithm).u64(max_price, "max price"))

    @staticmethod
    def force_buy(algorithm: int, buyer: Account) -> Call:
        return _done(Module.MARKETPLACE, Marketplace._id(9, algorithm).account(buyer, "buyer"))

    @staticmethod
    def withdraw_proceeds(algorithm: int) -> Call:
        return _done(Module.MARKETPLACE, Marketplace._id(10, algorithm))

    @staticmethod
    def record_download(algorithm: int) -> Call:
        return _done(Module.MARKETPLACE, Marketplace._id(11, algorithm))


# Bounties ---------------------------------------------------------------------------------------

BOUNTY_STATUS = ("pending", "enrollment_open", "enrollment_closed", "submissions_open", "submissions_closed",
                 "evaluated", "paid", "cancelled", "expired")
EXPIRY_RULES = ("refund_owner", "split_among_submitters")


@dataclass(frozen=True)
class BountyDraft:
    title: str
    description: str
    prizes: Sequence[int]
    enrollment_end: int
    submission_end: int
    evaluation_deadline: int
    expiry_rule: str = "refund_owner"

    def encode(self, w: Writer) -> None:
        if self.expiry_rule not in EXPIRY_RULES:
            raise ProtocolError(f"expiry rule must be one of {', '.join(EXPIRY_RULES)}")
        w.string(self.title, "title").string(self.description, "description").count(list(self.prizes), "prizes")
        for prize in self.prizes:
            w.u64(prize, "prize")
        w.u64(self.enrollment_end, "enrollment end").u64(self.submission_end, "submission end")
        w.u64(self.evaluation_deadline, "evaluation deadline").u8(EXPIRY_RULES.index(self.expiry_rule))


class Bounties:
    @staticmethod
    def _id(tag: int, bounty: int) -> Writer:
        return _call(tag).u64(bounty, "bounty")

    @staticmethod
    def create(draft: BountyDraft, fund: bool = True) -> Call:
        w = _call(0)
        draft.encode(w)
        return _done(Module.BOUNTIES, w.boolean(fund))

    @staticmethod
    def fund(bounty: int, amount: int) -> Call:
        return _done(Module.BOUNTIES, Bounties._id(1, bounty).u64(amount, "amount"))

    @staticmethod
    def open_enrollment(bounty: int) -> Call:
        return _done(Module.BOUNTIES, Bounties._id(2, bounty))

    @staticmethod
    def close_enrollment(bounty: int) -> Call:
        return _done(Module.BOUNTIES, Bounties._id(3, bounty))

    @staticmethod
    def open_submissions(bounty: int) -> Call:
        return _done(Module.BOUNTIES, Bounties._id(4, bounty))

    @staticmethod
    def close_submissions(bounty: int) -> Call:
        return _done(Module.BOUNTIES, Bounties._id(5, bounty))

    @staticmethod
    def enroll(bounty: int) -> Call:
        return _done(Module.BOUNTIES, Bounties._id(6, bounty))

    @staticmethod
    def submit(bounty: int, artifact: str, note: str = "") -> Call:
        # The API keeps a submission's artifact as the UTF-8 bytes of the text it was given
        # (GET …/submissions reads it back as text), so a self-signed submission does the same.
        raw = artifact.encode("utf-8") if isinstance(artifact, str) else bytes(artifact)
        if not 1 <= len(raw) <= 128:
            raise ProtocolError("a submission's artifact is 1–128 bytes")
        return _done(Module.BOUNTIES, Bounties._id(7, bounty).variable(raw, "artifact").string(note, "note", 1024))

    @staticmethod
    def award(bounty: int, winners: Sequence[Account]) -> Call:
        w = Bounties._id(8, bounty).count(list(winners), "winners")
        for winner in winners:
            w.account(winner, "winner")
        return _done(Module.BOUNTIES, w)

    @staticmethod
    def payout(bounty: int) -> Call:
        return _done(Module.BOUNTIES, Bounties._id(9, bounty))

    @staticmethod
    def cancel(bounty: int) -> Call:
        return _done(Module.BOUNTIES, Bounties._id(10, bounty))

    @staticmethod
    def expire(bounty: int) -> Call:
        return _done(Module.BOUNTIES, Bounties._id(11, bounty))

    @staticmethod
    def force_status(bounty: int, status: str) -> Call:
        if status not in BOUNTY_STATUS:
            raise ProtocolError(f"status must be one of {', '.join(BOUNTY_STATUS)}")
        return _done(Module.BOUNTIES, Bounties._id(12, bounty).u8(BOUNTY_STATUS.index(status)))

    @staticmethod
    def force_winners(bounty: int, winners: Sequence[Account]) -> Call:
        w = Bounties._id(13, bounty).count(list(winners), "winners")
        for winner in winners:
            w.account(winner, "winner")
        return _done(Module.BOUNTIES, w)

    @staticmethod
    def force_cancel(bounty: int) -> Call:
        return _done(Module.BOUNTIES, Bounties._id(14, bounty))


# Tasks ------------------------------------------------------------------------------------------

STORAGE_TYPES = ("ipfs", "crust", "s3", "gcp", "azure")
ANNOTATION_TYPES = ("image", "audio", "text", "video")
VALIDATION_STRATEGIES = ("auto_accept", "manual_accept", "custom_accept")


def _storage_type(name: str) -> int:
    if name not in STORAGE_TYPES:
        raise ProtocolError(f"storage must be one of {', '.join(STORAGE_TYPES)}, got '{name}'")
    return STORAGE_TYPES.index(name)


def _optional_bytes(w: Writer, value: Optional[str], what: str, max_bytes: int) -> None:
    if value is None:
        w.u8(0)
    else:
        w.u8(1).variable(value.encode("utf-8"), what, max_bytes)


def _optional_text(w: Writer, value: Optional[str], what: str, max_bytes: int) -> None:
    if value is None:
        w.u8(0)
    else:
        w.u8(1).string(value, what, max_bytes)


@dataclass(frozen=True)
class StoredArtifact:
    path: str
    storage: str = "ipfs"
    credentials: Optional[str] = None

    def encode(self, w: Writer) -> None:
        w.string(self.path, "path", 512).u8(_storage_type(self.storage))
        _optional_bytes(w, self.credentials, "credentials", 1024)

    def to_json(self) -> Dict[str, Any]:
        out: Dict[str, Any] = {"path": self.path, "storage": self.storage}
        if self.credentials is not None:
            out["credentials"] = self.credentials
        return out


@dataclass(frozen=True)
class TaskDraft:
    """A task (``WorkTaskDraft``). ``kind`` is ``data_annotation``, ``model_contribution``
    (``script``) or ``model_engineering`` (``model``)."""

    kind: str
    question: str
    reward_per_result: int
    max_assignments: int
    expires_at_height: int
    validation: str = "auto_accept"
    validator: Optional[Account] = None
    validator_algorithm: Optional[ContentAddress] = None
    stake_per_assignment: int = 0
    annotation_type: str = "text"
    files: Sequence[str] = ()
    files_storage: str = "ipfs"
    credentials: Optional[str] = None
    media_samples: Sequence[str] = ()
    class_labels: Optional[str] = None
    class_coordinates: Optional[str] = None
    json: Optional[str] = None
    script: Optional[StoredArtifact] = None
    model: Optional[StoredArtifact] = None

    def encode(self, w: Writer) -> None:
        if self.kind == "data_annotation":
            if self.annotation_type not in ANNOTATION_TYPES:
                raise ProtocolError(f"annotation type must be one of {', '.join(ANNOTATION_TYPES)}")
            w.u8(0).u8(ANNOTATION_TYPES.index(self.annotation_type)).count(list(self.files), "files")
            for path in self.files:
                w.string(path, "file", 512)
            w.u8(_storage_type(self.files_storage))
            _optional_bytes(w, self.credentials, "credentials", 1024)
            w.count(list(self.media_samples), "media samples")
            for sample in self.media_samples:
                w.string(sample, "media sample", 512)
            _optional_text(w, self.class_labels, "class labels", 1024)
            _optional_text(w, self.class_coordinates, "class coordinates", 2048)
            _optional_text(w, self.json, "json", 4096)
        elif self.kind == "model_contribution":
            if self.script is None:
                raise ProtocolError("a model_contribution task names its script")
            w.u8(1)
            self.script.encode(w)
        elif self.kind == "model_engineering":
            if self.model is None:
                raise ProtocolError("a model_engineering task names its model")
            w.u8(2)
            self.model.encode(w)
        else:
            raise ProtocolError("kind must be data_annotation, model_contribution or model_engineering")
        w.string(self.question, "question", 2048).u64(self.reward_per_result, "reward per result")
        w.u32(self.max_assignments, "max assignments").u64(self.expires_at_height, "expires at height")
        if self.validation not in VALIDATION_STRATEGIES:
            raise ProtocolError(f"validation must be one of {', '.join(VALIDATION_STRATEGIES)}")
        w.u8(VALIDATION_STRATEGIES.index(self.validation))
        if self.validation == "custom_accept":
            if self.validator is None or self.validator_algorithm is None:
                raise ProtocolError("custom_accept names the validator and its algorithm")
            w.account(self.validator, "validator").variable(content_address(self.validator_algorithm, "validator algorithm"), "algorithm", 128)
        w.u64(self.stake_per_assignment, "stake per assignment")

    def to_json(self) -> Dict[str, Any]:
        """The same task as the body of ``POST /v1/tasks``."""
        kind: Dict[str, Any] = {"type": self.kind}
        if self.kind == "data_annotation":
            kind.update(annotationType=self.annotation_type, files=list(self.files), filesStorage=self.files_storage,
                        mediaSamples=list(self.media_samples))
            for key, value in (("credentials", self.credentials), ("classLabels", self.class_labels),
                               ("classCoordinates", self.class_coordinates), ("json", self.json)):
                if value is not None:
                    kind[key] = value
        elif self.kind == "model_contribution" and self.script is not None:
            kind["script"] = self.script.to_json()
        elif self.kind == "model_engineering" and self.model is not None:
            kind["model"] = self.model.to_json()
        validation: Dict[str, Any] = {"strategy": self.validation}
        if self.validator is not None:
            validation["validator"] = self.validator if isinstance(self.validator, str) else encode_address(self.validator)
        if self.validator_algorithm is not None:
            validation["algorithm"] = self.validator_algorithm if isinstance(self.validator_algorithm, str) else bytes(self.validator_algorithm).hex()
        return {"kind": kind, "question": self.question, "rewardPerResult": str(self.reward_per_result),
                "maxAssignments": self.max_assignments, "expiresAtHeight": self.expires_at_height, "validation": validation,
                "stakePerAssignment": str(self.stake_per_assignment)}


class Tasks:
    @staticmethod
    def create(draft: TaskDraft) -> Call:
        w = _call(0)
        draft.encode(w)
        return _done(Module.TASKS, w)

    @staticmethod
    def assign(task: int) -> Call:
        return _done(Module.TASKS, _call(1).u64(task, "task"))

    @staticmethod
    def send_result(task: int, inline: Optional[str] = None, stored: Optional[StoredArtifact] = None) -> Call:
        w = _call(2).u64(task, "task")
        if (inline is None) == (stored is None):
            raise ProtocolError("a result is inline text or a stored artifact, exactly one")
        if inline is not None:
            w.u8(0).string(inline, "result", 2048)
        else:
            assert stored is not None
            w.u8(1)
            stored.encode(w)
        return _done(Module.TASKS, w)

    @staticmethod
    def validate(task: int, worker: Account, accept: bool, input_digest: Optional[str] = None,
                 output_digest: Optional[str] = None) -> Call:
        w = _call(3).u64(task, "task").account(worker, "worker").boolean(accept)
        for digest, what in ((input_digest, "input digest"), (output_digest, "output digest")):
            if digest is None:
                w.u8(0)
            else:
                w.u8(1).hash(digest, what)
        return _done(Module.TASKS, w)

    @staticmethod
    def settle(task: int, worker: Account) -> Call:
        return _done(Module.TASKS, _call(4).u64(task, "task").account(worker, "worker"))

    @staticmethod
    def withdraw(task: int) -> Call:
        return _done(Module.TASKS, _call(5).u64(task, "task"))


# Vouchers ---------------------------------------------------------------------------------------

class Vouchers:
    @staticmethod
    def open_hub(fee_percent: int) -> Call:
        return _done(Module.VOUCHERS, _call(0).u8(fee_percent, "fee percent"))

    @staticmethod
    def fund(hub: int, amount: int) -> Call:
        return _done(Module.VOUCHERS, _call(1).u64(hub, "hub").u64(amount, "amount"))

    @staticmethod
    def set_fee(hub: int, percent: int) -> Call:
        return _done(Module.VOUCHERS, _call(2).u64(hub, "hub").u8(percent, "fee percent"))

    @staticmethod
    def blacklist(hub: int, account: Account) -> Call:
        return _done(Module.VOUCHERS, _call(3).u64(hub, "hub").account(account))

    @staticmethod
    def redeem(voucher: Voucher, signature: bytes) -> Call:
        return _done(Module.VOUCHERS, _call(4).raw(voucher.encode()).fixed(signature, 64, "signature"))

    @staticmethod
    def withdraw(hub: int, amount: int) -> Call:
        return _done(Module.VOUCHERS, _call(5).u64(hub, "hub").u64(amount, "amount"))


# Storage ----------------------------------------------------------------------------------------

NODE_ENGINES = ("unknown", "storage", "cdn")
NODE_STATUSES = ("adding", "active", "deleting", "offline")
BUCKET_ACCESS = ("reader", "writer")


@dataclass(frozen=True)
class NodeParams:
    url: str
    engine: str = "storage"
    engine_version: str = "1"
    description: str = ""

    def encode(self, w: Writer) -> None:
        if self.engine not in NODE_ENGINES:
            raise ProtocolError(f"engine must be one of {', '.join(NODE_ENGINES)}")
        w.u8(NODE_ENGINES.index(self.engine)).string(self.engine_version, "engine version").string(self.url, "url")
        w.string(self.description, "description")


def _cluster_params(w: Writer, replication_max: int, description: str) -> None:
    w.u8(replication_max, "replication max").string(description, "description")


def _vnodes(w: Writer, vnodes: Sequence[int]) -> None:
    w.count(list(vnodes), "vnodes")
    for token in vnodes:
        w.u64(int(token), "vnode token")


def _access(name: str) -> int:
    if name not in BUCKET_ACCESS:
        raise ProtocolError("access is reader or writer")
    return BUCKET_ACCESS.index(name)


class Storage:
    """``StorageCall`` (module 14), tags 0–30, fields in the order of its associated values."""

    @staticmethod
    def _w(tag: int) -> Writer:
        return _call(tag)

    @staticmethod
    def create_node(node: Account, capacity: int, rent_per_vnode_per_month: int, params: NodeParams) -> Call:
        w = Storage._w(0).account(node, "node").u32(capacity, "capacity").u64(rent_per_vnode_per_month, "rent")
        params.encode(w)
        return _done(Module.STORAGE, w)

    @staticmethod
    def set_node_params(node: Account, params: NodeParams) -> Call:
        w = Storage._w(1).account(node, "node")
        params.encode(w)
        return _done(Module.STORAGE, w)

    @staticmethod
    def remove_node(node: Account) -> Call:
        return _done(Module.STORAGE, Storage._w(2).account(node, "node"))

    @staticmethod
    def create_cluster(replication_max: int, resource_per_vnode: int, description: str = "") -> Call:
        w = Storage._w(3)
        _cluster_params(w, replication_max, description)
        return _done(Module.STORAGE, w.u32(resource_per_vnode, "resource per vnode"))

    @staticmethod
    def add_node(cluster: int, node: Account, vnodes: Sequence[int]) -> Call:
        w = Storage._w(4).u64(cluster, "cluster").account(node, "node")
        _vnodes(w, vnodes)
        return _done(Module.STORAGE, w)

    @staticmethod
    def remove_node_from_cluster(cluster: int, node: Account) -> Call:
        return _done(Module.STORAGE, Storage._w(5).u64(cluster, "cluster").account(node, "node"))

    @staticmethod
    def replace_node(cluster: int, vnodes: Sequence[int], with_node: Account) -> Call:
        w = Storage._w(6).u64(cluster, "cluster")
        _vnodes(w, vnodes)
        return _done(Module.STORAGE, w.account(with_node, "node"))

    @staticmethod
    def reset_node(cluster: int, node: Account, vnodes: Sequence[int]) -> Call:
        w = Storage._w(7).u64(cluster, "cluster").account(node, "node")
        _vnodes(w, vnodes)
        return _done(Module.STORAGE, w)

    @staticmethod
    def set_node_status(cluster: int, node: Account, status: str) -> Call:
        if status not in NODE_STATUSES:
            raise ProtocolError(f"status must be one of {', '.join(NODE_STATUSES)}")
        return _done(Module.STORAGE, Storage._w(8).u64(cluster, "cluster").account(node, "node").u8(NODE_STATUSES.index(status)))

    @staticmethod
    def set_cluster_params(cluster: int, replication_max: int, description: str = "") -> Call:
        w = Storage._w(9).u64(cluster, "cluster")
        _cluster_params(w, replication_max, description)
        return _done(Module.STORAGE, w)

    @staticmethod
    def set_resource_per_vnode(cluster: int, resource: int) -> Call:
        return _done(Module.STORAGE, Storage._w(10).u64(cluster, "cluster").u32(resource, "resource per vnode"))

    @staticmethod
    def remove_cluster(cluster: int) -> Call:
        return _done(Module.STORAGE, Storage._w(11).u64(cluster, "cluster"))

    @staticmethod
    def set_usage_rate(cluster: int, usd_per_gb: int) -> Call:
        return _done(Module.STORAGE, Storage._w(12).u64(cluster, "cluster").u64(usd_per_gb, "usage rate"))

    @staticmethod
    def create_bucket(cluster: int, replication: int = 1, description: str = "", owner: Optional[Account] = None) -> Call:
        w = Storage._w(13).u64(cluster, "cluster").u8(replication, "replication").string(description, "description")
        if owner is None:
            w.u8(0)
        else:
            w.u8(1).account(owner, "owner")
        return _done(Module.STORAGE, w)

    @staticmethod
    def allocate(bucket: int, resource: int) -> Call:
        return _done(Module.STORAGE, Storage._w(14).u64(bucket, "bucket").u32(resource, "resource"))

    @staticmethod
    def set_bucket_params(bucket: int, replication: int, description: str = "") -> Call:
        return _done(Module.STORAGE, Storage._w(15).u64(bucket, "bucket").u8(replication, "replication").string(description, "description"))

    @staticmethod
    def change_bucket_owner(bucket: int, to: Account) -> Call:
        return _done(Module.STORAGE, Storage._w(16).u64(bucket, "bucket").account(to, "to"))

    @staticmethod
    def set_bucket_availability(bucket: int, public: bool) -> Call:
        return _done(Module.STORAGE, Storage._w(17).u64(bucket, "bucket").boolean(public))

    @staticmethod
    def grant_bucket_access(bucket: int, access: str, to: Account) -> Call:
        return _done(Module.STORAGE, Storage._w(18).u64(bucket, "bucket").u8(_access(access)).account(to, "to"))

    @staticmethod
    def revoke_bucket_access(bucket: int, access: str, holder: Account) -> Call:
        return _done(Module.STORAGE, Storage._w(19).u64(bucket, "bucket").u8(_access(access)).account(holder, "from"))

    @staticmethod
    def settle_bucket(bucket: int) -> Call:
        return _done(Module.STORAGE, Storage._w(20).u64(bucket, "bucket"))

    @staticmethod
    def distribute_revenues(cluster: int) -> Call:
        return _done(Module.STORAGE, Storage._w(21).u64(cluster, "cluster"))

    @staticmethod
    def deposit(amount: int) -> Call:
        return _done(Module.STORAGE, Storage._w(22).u64(amount, "amount"))

    @staticmethod
    def bond(amount: int) -> Call:
        return _done(Module.STORAGE, Storage._w(23).u64(amount, "amount"))

    @staticmethod
    def unbond(amount: int) -> Call:
        return _done(Module.STORAGE, Storage._w(24).u64(amount, "amount"))

    @staticmethod
    def withdraw_unbonded() -> Call:
        return _done(Module.STORAGE, Storage._w(25))

    @staticmethod
    def withdraw(amount: int) -> Call:
        return _done(Module.STORAGE, Storage._w(26).u64(amount, "amount"))

    @staticmethod
    def report_usage(bucket: int, served_bytes_total: int, stored_bytes: int) -> Call:
        return _done(Module.STORAGE, Storage._w(27).u64(bucket, "bucket").u64(served_bytes_total, "served bytes").u64(stored_bytes, "stored bytes"))

    @staticmethod
    def set_exchange_rate(usd_units_per_token: int) -> Call:
        return _done(Module.STORAGE, Storage._w(28).u64(usd_units_per_token, "exchange rate"))

    @staticmethod
    def set_fees(network_bp: int, management_bp: int, protocol_bp: int, network_destination: Optional[Account] = None,
                 protocol_destination: Optional[Account] = None) -> Call:
        w = Storage._w(29).u16(network_bp, "network basis points")
        w.u8(0) if network_destination is None else w.u8(1).account(network_destination, "network destination")
        w.u16(management_bp, "management basis points").u16(protocol_bp, "protocol basis points")
        w.u8(0) if protocol_destination is None else w.u8(1).account(protocol_destination, "protocol destination")
        return _done(Module.STORAGE, w)

    @staticmethod
    def withdraw_protocol_revenue(amount: int) -> Call:
        return _done(Module.STORAGE, Storage._w(30).u64(amount, "amount"))


# Jobs, federated, privacy -----------------------------------------------------------------------

class Jobs:
    @staticmethod
    def close(job: int) -> Call:
        """Refunds what a job did not pay, after its deadline (the requester)."""
        return _done(Module.JOBS, _call(2).u64(job, "job"))


class Federated:
    @staticmethod
    def close(job: int) -> Call:
        return _done(Module.FEDERATED, _call(3).u64(job, "job"))


class Privacy:
    @staticmethod
    def set_budget(dataset: str, epsilon_micros: int, delta_picos_max: int) -> Call:
        return _done(Module.PRIVACY, _call(0).string(dataset, "dataset", 64).u64(epsilon_micros, "epsilon")
                     .u64(delta_picos_max, "delta max"))
