"""DML's wire protocol, from docs/protocol.md: canonical encoding, addresses, transactions,
chain IDs, and the other things an account signs (login challenges, vouchers, run receipts,
storage-node requests).

Everything here is pure: no network, no files. ``calls.py`` builds the module calls that go
inside a transaction.
"""
from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Any, Dict, Iterable, List, Optional, Protocol, Sequence, Tuple, Union

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

__all__ = [
    "DML", "U64_MAX", "ProtocolError", "Writer", "Reader",
    "encode_address", "decode_address", "is_address", "account_bytes",
    "Call", "TransactionPayload", "SignedTransaction", "SigningKey", "sign_transaction",
    "ChainSpec", "chain_id", "parse_dml", "format_dml",
    "login_message", "Voucher", "RunReceipt", "storage_request_message", "verify_signature",
]

#: Base units per DML (protocol.md §2): amounts on the wire are integers of base units.
DML = 10**9
U64_MAX = 2**64 - 1

TX_DOMAIN = b"DML-TX"
CHAIN_DOMAIN = b"DML-CHAIN"
VOUCHER_DOMAIN = b"DML-VOUCHER"
RECEIPT_DOMAIN = b"DML-RUN-RECEIPT-1"
TRANSACTION_VERSION = 1
CALL_BODY_MAX = 131_072
TRANSACTION_MAX = 131_328


class ProtocolError(ValueError):
    """A value that cannot be encoded or decoded canonically; the message names it."""


# §1 canonical encoding ---------------------------------------------------------------------

class Writer:
    """Appends canonically encoded values: little-endian fixed widths, u32 length prefixes."""

    def __init__(self) -> None:
        self._parts: List[bytes] = []

    def encoded(self) -> bytes:
        return b"".join(self._parts)

    def _int(self, fmt: str, bits: int, value: int, what: str) -> "Writer":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ProtocolError(f"{what} must be an integer, not {type(value).__name__}")
        if not 0 <= value < 2**bits:
            raise ProtocolError(f"{what} must be a u{bits} (0 … {2**bits - 1}), got {value}")
        self._parts.append(struct.pack(fmt, value))
        return self

    def u8(self, value: int, what: str = "u8") -> "Writer":
        return self._int("<B", 8, value, what)

    def u16(self, value: int, what: str = "u16") -> "Writer":
        return self._int("<H", 16, value, what)

    def u32(self, value: int, what: str = "u32") -> "Writer":
        return self._int("<I", 32, value, what)

    def u64(self, value: int, what: str = "u64") -> "Writer":
        return self._int("<Q", 64, value, what)

    def boolean(self, value: bool) -> "Writer":
        if not isinstance(value, bool):
            raise ProtocolError(f"a bool must be True or False, not {value!r}")
        self._parts.append(b"\x01" if value else b"\x00")
        return self

    def fixed(self, data: bytes, length: int, what: str = "fixed bytes") -> "Writer":
        data = bytes(data)
        if len(data) != length:
            raise ProtocolError(f"{what} must be exactly {length} bytes, got {len(data)}")
        self._parts.append(data)
        return self

    def variable(self, data: bytes, what: str = "bytes", max_bytes: Optional[int] = None) -> "Writer":
        data = bytes(data)
        if max_bytes is not None and len(data) > max_bytes:
            raise ProtocolError(f"{what} is {len(data)} bytes, at most {max_bytes} allowed")
        self.u32(len(data), f"{what} length")
        self._parts.append(data)
        return self

    def string(self, text: str, what: str = "string", max_bytes: Optional[int] = None) -> "Writer":
        if not isinstance(text, str):
            raise ProtocolError(f"{what} must be a str, not {type(text).__name__}")
        return self.variable(text.encode("utf-8"), what, max_bytes)

    def account(self, value: Union[str, bytes], what: str = "account") -> "Writer":
        return self.fixed(account_bytes(value, what), 32, what)

    def hash(self, value: Union[str, bytes], what: str = "hash") -> "Writer":
        if isinstance(value, str):
            try:
                value = bytes.fromhex(value)
            except ValueError:
                raise ProtocolError(f"{what} must be 32 bytes of hex") from None
        return self.fixed(value, 32, what)

    def count(self, items: Sequence[object], what: str = "sequence") -> "Writer":
        return self.u32(len(items), f"{what} count")

    def raw(self, data: bytes) -> "Writer":
        self._parts.append(bytes(data))
        return self


class Reader:
    """Reads canonically encoded values and rejects every other form (used to check our own
    encodings and to read transactions back)."""

    def __init__(self, data: bytes) -> None:
        self.data = bytes(data)
        self.offset = 0

    def take(self, n: int, what: str) -> bytes:
        if self.offset + n > len(self.data):
            raise ProtocolError(f"{what} at offset {self.offset}: needs {n} bytes, {len(self.data) - self.offset} left")
        out = self.data[self.offset:self.offset + n]
        self.offset += n
        return out

    def u8(self, what: str = "u8") -> int:
        return self.take(1, what)[0]

    def u16(self, what: str = "u16") -> int:
        return int(struct.unpack("<H", self.take(2, what))[0])

    def u32(self, what: str = "u32") -> int:
        return int(struct.unpack("<I", self.take(4, what))[0])

    def u64(self, what: str = "u64") -> int:
        return int(struct.unpack("<Q", self.take(8, what))[0])

    def boolean(self, what: str = "bool") -> bool:
        value = self.u8(what)
        if value > 1:
            raise ProtocolError(f"{what} at offset {self.offset - 1}: a bool is 0 or 1, got {value}")
        return value == 1

    def variable(self, what: str = "bytes", max_bytes: int = CALL_BODY_MAX) -> bytes:
        length = self.u32(f"{what} length")
        if length > max_bytes:
            raise ProtocolError(f"{what}: {length} bytes, at most {max_bytes}")
        return self.take(length, what)

    def string(self, what: str = "string", max_bytes: int = CALL_BODY_MAX) -> str:
        raw = self.variable(what, max_bytes)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ProtocolError(f"{what} is not valid UTF-8") from None

    def end(self) -> None:
        if self.offset != len(self.data):
            raise ProtocolError(f"{len(self.data) - self.offset} trailing bytes after offset {self.offset}")


# §2 addresses: Bech32m, hrp "dml" -----------------------------------------------------------

_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32M = 0x2BC830A3
_HRP = "dml"


def _polymod(values: Iterable[int]) -> int:
    generator = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    checksum = 1
    for value in values:
        top = checksum >> 25
        checksum = (checksum & 0x1FFFFFF) << 5 ^ value
        for i in range(5):
            if (top >> i) & 1:
                checksum ^= generator[i]
    return checksum


def _hrp_expand(hrp: str) -> List[int]:
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def _regroup(data: Iterable[int], from_bits: int, to_bits: int, pad: bool) -> List[int]:
    acc = bits = 0
    out: List[int] = []
    mask = (1 << to_bits) - 1
    for value in data:
        acc = (acc << from_bits) | value
        bits += from_bits
        while bits >= to_bits:
            bits -= to_bits
            out.append((acc >> bits) & mask)
    if pad:
        if bits:
            out.append((acc << (to_bits - bits)) & mask)
    elif bits >= from_bits or (acc << (to_bits - bits)) & mask:
        raise ProtocolError("the address has non-zero padding bits")
    return out


def encode_address(key: bytes) -> str:
    """The ``dml1…`` address (62 characters) of a 32-byte account key."""
    key = bytes(key)
    if len(key) != 32:
        raise ProtocolError(f"an account key is 32 bytes, got {len(key)}")
    data = _regroup(key, 8, 5, True)
    polymod = _polymod(_hrp_expand(_HRP) + data + [0] * 6) ^ _BECH32M
    checksum = [(polymod >> 5 * (5 - i)) & 31 for i in range(6)]
    return _HRP + "1" + "".join(_CHARSET[d] for d in data + checksum)


def decode_address(address: str) -> bytes:
    """The 32-byte account key of a ``dml1…`` address; raises ProtocolError saying why not."""
    if not isinstance(address, str):
        raise ProtocolError(f"an address is a str, not {type(address).__name__}")
    if address.lower() != address and address.upper() != address:
        raise ProtocolError(f"'{address}' mixes upper and lower case")
    text = address.lower()
    if not text.startswith(_HRP + "1"):
        raise ProtocolError(f"'{address}' does not start with 'dml1'")
    body = text[len(_HRP) + 1:]
    if len(body) < 6 or any(c not in _CHARSET for c in body):
        raise ProtocolError(f"'{address}' has characters outside the Bech32 alphabet or is too short")
    values = [_CHARSET.index(c) for c in body]
    if _polymod(_hrp_expand(_HRP) + values) != _BECH32M:
        raise ProtocolError(f"'{address}' has a bad checksum (a typo?)")
    key = bytes(_regroup(values[:-6], 5, 8, False))
    if len(key) != 32:
        raise ProtocolError(f"'{address}' holds {len(key)} bytes, an account is 32")
    return key


def is_address(text: str) -> bool:
    try:
        decode_address(text)
        return True
    except ProtocolError:
        return False


def account_bytes(value: Union[str, bytes], what: str = "account") -> bytes:
    """A 32-byte account key from an address or raw bytes."""
    if isinstance(value, str):
        try:
            return decode_address(value)
        except ProtocolError as error:
            raise ProtocolError(f"{what}: {error}") from None
    raw = bytes(value)
    if len(raw) != 32:
        raise ProtocolError(f"{what} must be a dml1… address or 32 bytes, got {len(raw)} bytes")
    return raw


# Amounts --------------------------------------------------------------------------------------

def parse_dml(text: Union[str, int, Decimal]) -> int:
    """Base units of an amount written in DML (``"2.5"`` → 2 500 000 000). At most 9 decimals."""
    try:
        value = Decimal(str(text).strip())
    except InvalidOperation:
        raise ProtocolError(f"'{text}' is not an amount in DML (e.g. 12.5)") from None
    if not value.is_finite() or value < 0:
        raise ProtocolError(f"'{text}' is not a non-negative amount")
    units = value * DML
    if units != units.to_integral_value(rounding=ROUND_DOWN):
        raise ProtocolError(f"'{text}' has more than 9 decimals (1 base unit = 10⁻⁹ DML)")
    result = int(units)
    if result > U64_MAX:
        raise ProtocolError(f"'{text}' DML is more than the largest amount")
    return result


def format_dml(base_units: Union[int, str]) -> str:
    """``2500000000`` → ``"2.5"``: base units written in DML."""
    units = int(base_units)
    whole, fraction = divmod(units, DML)
    if not fraction:
        return str(whole)
    return f"{whole}.{fraction:09d}".rstrip("0")


# §3 transactions -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Call:
    """A module number and its call body (a u8 call tag, then the call's fields)."""

    module: int
    body: bytes

    def encode(self) -> bytes:
        if len(self.body) > CALL_BODY_MAX:
            raise ProtocolError(f"the call body is {len(self.body)} bytes, at most {CALL_BODY_MAX}")
        return Writer().u16(self.module, "module").variable(self.body, "call body").encoded()

    @property
    def tag(self) -> int:
        return self.body[0]


@dataclass(frozen=True)
class TransactionPayload:
    chain: bytes
    signer: bytes
    nonce: int
    call: Call

    def encode(self) -> bytes:
        return (Writer().u8(TRANSACTION_VERSION).fixed(self.chain, 32, "chain id").fixed(self.signer, 32, "signer")
                .u64(self.nonce, "nonce").raw(self.call.encode()).encoded())

    def signing_message(self) -> bytes:
        """``DML-TX`` ‖ encoded payload: what the signer's key signs."""
        return TX_DOMAIN + self.encode()


@dataclass(frozen=True)
class SignedTransaction:
    payload: TransactionPayload
    signature: bytes

    def encode(self) -> bytes:
        out = self.payload.encode() + Writer().fixed(self.signature, 64, "signature").encoded()
        if len(out) > TRANSACTION_MAX:
            raise ProtocolError(f"the transaction is {len(out)} bytes, at most {TRANSACTION_MAX}")
        return out

    def hex(self) -> str:
        return self.encode().hex()

    @property
    def hash(self) -> str:
        """SHA-256 of the encoded signed transaction, in hex (what the ledger calls it)."""
        return hashlib.sha256(self.encode()).hexdigest()

    def verify(self) -> bool:
        return verify_signature(self.payload.signer, self.payload.signing_message(), self.signature)

    @classmethod
    def decode(cls, data: bytes) -> "SignedTransaction":
        reader = Reader(data)
        version = reader.u8("version")
        if version != TRANSACTION_VERSION:
            raise ProtocolError(f"transaction version {version}, expected {TRANSACTION_VERSION}")
        chain = reader.take(32, "chain id")
        signer = reader.take(32, "signer")
        nonce = reader.u64("nonce")
        module = reader.u16("module")
        body = reader.variable("call body", CALL_BODY_MAX)
        signature = reader.take(64, "signature")
        reader.end()
        return cls(TransactionPayload(chain, signer, nonce, Call(module, body)), signature)


def sign_transaction(key: "SigningKey", chain: Union[bytes, str], nonce: int, call: Call) -> SignedTransaction:
    """Builds and signs a transaction: pure Ed25519 over ``DML-TX`` ‖ payload."""
    chain_bytes = bytes.fromhex(chain) if isinstance(chain, str) else bytes(chain)
    payload = TransactionPayload(chain_bytes, key.public_key, nonce, call)
    return SignedTransaction(payload, key.sign(payload.signing_message()))


class SigningKey(Protocol):
    """What signing needs: ``keys.Key`` is one."""

    @property
    def public_key(self) -> bytes: ...

    def sign(self, message: bytes) -> bytes: ...


def verify_signature(account: Union[str, bytes], message: bytes, signature: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(account_bytes(account)).verify(bytes(signature), bytes(message))
        return True
    except (InvalidSignature, ValueError):
        return False


# §5 chains ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ChainSpec:
    name: str
    is_development: bool
    genesis_timestamp_ms: int
    modules: Tuple[Tuple[int, int], ...]
    allocations: Tuple[Tuple[bytes, int], ...]
    super_admins: Tuple[bytes, ...]
    faucet_amount_max: int

    def encode(self) -> bytes:
        w = Writer().string(self.name, "chain name", 64).boolean(self.is_development).u64(self.genesis_timestamp_ms, "genesis time")
        w.count(self.modules, "modules")
        for module, version in self.modules:
            w.u16(module, "module").u32(version, "version")
        w.count(self.allocations, "allocations")
        for account, amount in self.allocations:
            w.account(account).u64(amount, "allocation")
        w.count(self.super_admins, "super-admins")
        for admin in self.super_admins:
            w.account(admin, "super-admin")
        return w.u64(self.faucet_amount_max, "faucet max").encoded()


def chain_id(spec: ChainSpec) -> bytes:
    """SHA-256(``DML-CHAIN`` ‖ encode(ChainSpec))."""
    return hashlib.sha256(CHAIN_DOMAIN + spec.encode()).digest()


# Other signed messages -------------------------------------------------------------------------

def login_message(chain: Union[str, bytes], nonce: str) -> str:
    """The key sign-in challenge message (api.md): ``DML-LOGIN\\n<chain id hex>\\n<nonce>``."""
    chain_hex = chain.hex() if isinstance(chain, (bytes, bytearray)) else chain
    return f"DML-LOGIN\n{chain_hex}\n{nonce}"


@dataclass(frozen=True)
class Voucher:
    """A hub's promise to pay ``amount`` to ``recipient`` (protocol.md §3, ``Voucher``)."""

    hub: int
    recipient: bytes
    amount: int
    nonce: int

    def encode(self) -> bytes:
        return Writer().u64(self.hub, "hub").account(self.recipient, "recipient").u64(self.amount, "amount").u64(self.nonce, "nonce").encoded()

    def signing_message(self, chain: Union[str, bytes]) -> bytes:
        """``DML-VOUCHER`` ‖ chain id ‖ encoded voucher."""
        chain_bytes = bytes.fromhex(chain) if isinstance(chain, str) else bytes(chain)
        return VOUCHER_DOMAIN + Writer().fixed(chain_bytes, 32, "chain id").encoded() + self.encode()

    def sign(self, key: SigningKey, chain: Union[str, bytes]) -> bytes:
        return key.sign(self.signing_message(chain))


@dataclass(frozen=True)
class RunReceipt:
    """A device's signed statement of one run (algorithms.md, "Run receipts")."""

    algorithm: bytes
    input_digest: bytes
    output_digest: bytes
    fuel_used: int
    device: bytes
    nonce: bytes
    signature: bytes = b""

    def signing_message(self) -> bytes:
        return (Writer().raw(RECEIPT_DOMAIN).fixed(self.algorithm, 32, "algorithm").fixed(self.input_digest, 32, "input digest")
                .fixed(self.output_digest, 32, "output digest").u64(self.fuel_used, "fuel used").fixed(self.device, 32, "device")
                .fixed(self.nonce, 32, "nonce").encoded())

    def signed(self, key: SigningKey) -> "RunReceipt":
        if bytes(key.public_key) != bytes(self.device):
            raise ProtocolError("a receipt is signed by its own device's key")
        return RunReceipt(self.algorithm, self.input_digest, self.output_digest, self.fuel_used, self.device, self.nonce,
                          key.sign(self.signing_message()))

    def verify(self) -> bool:
        return verify_signature(self.device, self.signing_message(), self.signature)

    def to_json(self) -> Dict[str, Any]:
        """The JSON form the API takes (``RunReceipt`` in openapi.json)."""
        return {
            "algorithm": self.algorithm.hex(), "inputDigest": self.input_digest.hex(), "outputDigest": self.output_digest.hex(),
            "fuelUsed": self.fuel_used, "device": encode_address(self.device), "nonce": self.nonce.hex(),
            "signature": self.signature.hex(),
        }


def storage_request_message(method: str, path: str, unix_ms: int) -> bytes:
    """What a storage-node request signs (storage.md): ``DML-STORAGE\\n<METHOD>\\n<path>\\n<unix ms>``."""
    return f"DML-STORAGE\n{method.upper()}\n{path}\n{unix_ms}".encode("utf-8")
