#!/usr/bin/env python3
"""Build and sign a DML Balances `transfer` transaction, written from docs/protocol.md alone.

    python3 dml_sign.py --seed HEX --chain HEX --nonce N --to ADDRESS --amount BASE_UNITS
    python3 dml_sign.py --vector     # recompute the test vectors of protocol.md §4 and §5
"""
import argparse
import hashlib
import re
import struct
import sys

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

# §1 canonical encoding: fixed-width little-endian integers, u32 length/count prefixes.
def u8(n): return struct.pack("<B", n)
def u16(n): return struct.pack("<H", n)
def u32(n): return struct.pack("<I", n)
def u64(n): return struct.pack("<Q", n)
def var_bytes(b): return u32(len(b)) + b
def string(s): return var_bytes(s.encode("utf-8"))
def seq(items): return u32(len(items)) + b"".join(items)

# §2 addresses: Bech32m (BIP-350), hrp "dml", 32-byte key, 62 characters.
CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
BECH32M_CONST = 0x2BC830A3
HRP = "dml"

def polymod(values):
    gen = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if (top >> i) & 1 else 0
    return chk

def hrp_expand(hrp):
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]

def convertbits(data, frombits, tobits, pad):
    acc, bits, out, maxv = 0, 0, [], (1 << tobits) - 1
    for v in data:
        acc = (acc << frombits) | v
        bits += frombits
        while bits >= tobits:
            bits -= tobits
            out.append((acc >> bits) & maxv)
    if pad:
        if bits:
            out.append((acc << (tobits - bits)) & maxv)  # pad with zero bits
    elif bits >= frombits or (acc << (tobits - bits)) & maxv:
        raise ValueError("non-zero padding in address")  # §2: reject non-zero padding
    return out

def encode_address(key):
    data = convertbits(key, 8, 5, True)
    pm = polymod(hrp_expand(HRP) + data + [0] * 6) ^ BECH32M_CONST
    checksum = [(pm >> 5 * (5 - i)) & 31 for i in range(6)]
    return HRP + "1" + "".join(CHARSET[d] for d in data + checksum)

def decode_address(addr):
    # §2: reject mixed case, another prefix, a bad checksum, non-zero padding, length != 32 bytes.
    if addr.lower() != addr and addr.upper() != addr:
        raise ValueError("mixed-case address")
    addr = addr.lower()
    if not addr.startswith(HRP + "1"):
        raise ValueError("address must start with 'dml1'")
    body = addr[len(HRP) + 1:]
    if len(body) < 6 or any(c not in CHARSET for c in body):
        raise ValueError("invalid address characters")
    values = [CHARSET.index(c) for c in body]
    if polymod(hrp_expand(HRP) + values) != BECH32M_CONST:
        raise ValueError("bad address checksum")
    key = bytes(convertbits(values[:-6], 5, 8, False))
    if len(key) != 32:
        raise ValueError("address does not hold 32 bytes")
    return key

# §3 transactions.
def transfer_body(to, amount):
    return u8(0) + to + u64(amount)          # Calls table: balances tag 0, `to` AccountID, `amount` u64

def payload(chain, signer, nonce, module, body):
    # version u8 = 1, chain, signer, nonce u64, Call = module u16 ‖ variable bytes body
    return u8(1) + chain + signer + u64(nonce) + u16(module) + var_bytes(body)

def sign(seed, chain, nonce, to, amount):
    key = Ed25519PrivateKey.from_private_bytes(seed)
    signer = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    body = transfer_body(to, amount)
    p = payload(chain, signer, nonce, 3, body)
    message = b"DML-TX" + p                  # §3 signed message = "DML-TX" ‖ payload
    signature = key.sign(message)            # pure Ed25519 (RFC 8032)
    tx = p + signature                       # SignedTransaction = payload ‖ signature
    return dict(account=signer, body=body, payload=p, message=message,
                signature=signature, tx=tx, hash=hashlib.sha256(tx).digest())  # §3 tx hash

# §5 chains: chain ID = SHA-256("DML-CHAIN" ‖ encode(ChainSpec)).
def chain_spec(name, dev, ts, modules, allocations, admins, faucet_max):
    return (string(name) + u8(1 if dev else 0) + u64(ts)
            + seq([u16(m) + u32(v) for m, v in modules])
            + seq([a + u64(n) for a, n in allocations])
            + seq(admins) + u64(faucet_max))

def chain_id(spec):
    return hashlib.sha256(b"DML-CHAIN" + spec).digest()

# Expected values copied from protocol.md §4 and §5.
EXPECTED = {
    "chain spec": "0a000000646d6c2d766563746f72010068e5cf8b010000030000000100010000000200010000000300020000000100000079b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad0496640010a5d4e80000000100000079b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad0496640010a5d4e8000000",
    "chain ID": "d6074922497004013f0f881f1a8f8c2438164936c1fdb8de309b4a68a96a90da",
    "signer account": "79b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad049664",
    "signer address": "dml10x64vt50ue20jsrckyfw32vt57gplpf6u62ma4lquwgshtgyjejqmxu4rz",
    "recipient account": "e7f162a10bec559afea195e4dce84b69568d5d2cb0963eb446c0685e2b17f2f0",
    "recipient address": "dml1ulck9ggta32e4l4pjhjde6ztd9tg6hfvkztradzxcp59u2ch7tcqcra0fx",
    "call body": "00e7f162a10bec559afea195e4dce84b69568d5d2cb0963eb446c0685e2b17f2f000f9029500000000",
    "payload": "01d6074922497004013f0f881f1a8f8c2438164936c1fdb8de309b4a68a96a90da79b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad049664000000000000000003002900000000e7f162a10bec559afea195e4dce84b69568d5d2cb0963eb446c0685e2b17f2f000f9029500000000",
    "signed message": "444d4c2d545801d6074922497004013f0f881f1a8f8c2438164936c1fdb8de309b4a68a96a90da79b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad049664000000000000000003002900000000e7f162a10bec559afea195e4dce84b69568d5d2cb0963eb446c0685e2b17f2f000f9029500000000",
    "signature": "0f82712c727158ac1cf7d566f73a4c75e21a0dfd76cd0a48b996d11daadda78c25d36ddaff99eeb14e2f6f7507f95e1bcac4f93070796a74086e2ce6a1356a04",
    "transaction": "01d6074922497004013f0f881f1a8f8c2438164936c1fdb8de309b4a68a96a90da79b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad049664000000000000000003002900000000e7f162a10bec559afea195e4dce84b69568d5d2cb0963eb446c0685e2b17f2f000f90295000000000f82712c727158ac1cf7d566f73a4c75e21a0dfd76cd0a48b996d11daadda78c25d36ddaff99eeb14e2f6f7507f95e1bcac4f93070796a74086e2ce6a1356a04",
    "transaction hash": "defc4085105a4832832049299e4fe7022dde9a0a9c598e2f81bd1b85e2111b05",
}

def vectors():
    dml = 10**9                                        # §2: 1 DML = 10⁹ base units
    signer_seed = bytes(range(0x01, 0x21))             # §4: seeds 01..20 and 21..40
    recipient_seed = bytes(range(0x21, 0x41))
    pub = lambda s: Ed25519PrivateKey.from_private_bytes(s).public_key().public_bytes(
        Encoding.Raw, PublicFormat.Raw)
    signer, recipient = pub(signer_seed), pub(recipient_seed)
    # §5 vector: registry 1, roles 1, balances 2; 1000 DML to the signer; signer is super-admin.
    spec = chain_spec("dml-vector", True, 1700000000000, [(1, 1), (2, 1), (3, 2)],
                      [(signer, 1000 * dml)], [signer], 1000 * dml)
    chain = chain_id(spec)
    to = decode_address(EXPECTED["recipient address"])  # decode and verify the documented address
    r = sign(signer_seed, chain, 0, to, 2500000000)
    got = {
        "chain spec": spec.hex(), "chain ID": chain.hex(),
        "signer account": r["account"].hex(), "signer address": encode_address(signer),
        "recipient account": to.hex(), "recipient address": encode_address(recipient),
        "call body": r["body"].hex(), "payload": r["payload"].hex(),
        "signed message": r["message"].hex(), "signature": r["signature"].hex(),
        "transaction": r["tx"].hex(), "transaction hash": r["hash"].hex(),
    }
    ok = True
    for name, want in EXPECTED.items():
        if got[name] == want:
            print(f"ok {name}")
        else:
            ok = False
            print(f"MISMATCH {name} expected {want} got {got[name]}")
    return 0 if ok else 1

def fixed_hex(text, what):
    if not re.fullmatch(r"[0-9a-fA-F]{64}", text):
        raise ValueError(f"{what} must be 32 bytes of hex")
    return bytes.fromhex(text)

def u64_arg(text, what):
    if not re.fullmatch(r"[0-9]+", text) or int(text) >= 2**64:
        raise ValueError(f"{what} must be a u64 in decimal (0 … 2^64-1)")
    return int(text)

def main():
    ap = argparse.ArgumentParser(description="Build and sign a DML balances transfer (docs/protocol.md).")
    ap.add_argument("--vector", action="store_true", help="check the test vectors of §4 and §5")
    ap.add_argument("--seed", help="signer's Ed25519 seed, 32 bytes hex")
    ap.add_argument("--chain", help="chain ID, 32 bytes hex")
    ap.add_argument("--nonce", help="signer's next nonce (u64)")
    ap.add_argument("--to", help="recipient address dml1…")
    ap.add_argument("--amount", help="amount in base units (u64)")
    a = ap.parse_args()
    if a.vector:
        return vectors()
    try:
        if None in (a.seed, a.chain, a.nonce, a.to, a.amount):
            raise ValueError("--seed, --chain, --nonce, --to and --amount are all required")
        seed, chain = fixed_hex(a.seed, "--seed"), fixed_hex(a.chain, "--chain")
        nonce, amount = u64_arg(a.nonce, "--nonce"), u64_arg(a.amount, "--amount")
        to = decode_address(a.to)
    except ValueError as e:
        print(f"dml_sign: {e}", file=sys.stderr)
        return 2
    print(sign(seed, chain, nonce, to, amount)["tx"].hex())
    return 0

if __name__ == "__main__":
    sys.exit(main())
