"""The encodings against the documents' test vectors, byte for byte (no server needed)."""
from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from dml_client import DML, Key, calls, cid_of, format_dml, parse_dml
from dml_client.cid import BlobHasher, CIDError, cid_to_bytes, manifest_bytes
from dml_client.learning import ModelWeights
from dml_client.protocol import (ChainSpec, ProtocolError, Reader, RunReceipt, SignedTransaction, Voucher, chain_id,
                                 decode_address, encode_address, login_message, sign_transaction, storage_request_message)

# docs/protocol.md §4 and §5, copied as printed.
SIGNER_SEED = bytes(range(0x01, 0x21))
RECIPIENT_SEED = bytes(range(0x21, 0x41))
V = {
    "signer account": "79b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad049664",
    "signer address": "dml10x64vt50ue20jsrckyfw32vt57gplpf6u62ma4lquwgshtgyjejqmxu4rz",
    "recipient address": "dml1ulck9ggta32e4l4pjhjde6ztd9tg6hfvkztradzxcp59u2ch7tcqcra0fx",
    "recipient account": "e7f162a10bec559afea195e4dce84b69568d5d2cb0963eb446c0685e2b17f2f0",
    "chain ID": "d6074922497004013f0f881f1a8f8c2438164936c1fdb8de309b4a68a96a90da",
    "call body": "00e7f162a10bec559afea195e4dce84b69568d5d2cb0963eb446c0685e2b17f2f000f9029500000000",
    "payload": "01d6074922497004013f0f881f1a8f8c2438164936c1fdb8de309b4a68a96a90da79b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad049664000000000000000003002900000000e7f162a10bec559afea195e4dce84b69568d5d2cb0963eb446c0685e2b17f2f000f9029500000000",
    "signed message": "444d4c2d545801d6074922497004013f0f881f1a8f8c2438164936c1fdb8de309b4a68a96a90da79b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad049664000000000000000003002900000000e7f162a10bec559afea195e4dce84b69568d5d2cb0963eb446c0685e2b17f2f000f9029500000000",
    "signature": "0f82712c727158ac1cf7d566f73a4c75e21a0dfd76cd0a48b996d11daadda78c25d36ddaff99eeb14e2f6f7507f95e1bcac4f93070796a74086e2ce6a1356a04",
    "transaction": "01d6074922497004013f0f881f1a8f8c2438164936c1fdb8de309b4a68a96a90da79b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad049664000000000000000003002900000000e7f162a10bec559afea195e4dce84b69568d5d2cb0963eb446c0685e2b17f2f000f90295000000000f82712c727158ac1cf7d566f73a4c75e21a0dfd76cd0a48b996d11daadda78c25d36ddaff99eeb14e2f6f7507f95e1bcac4f93070796a74086e2ce6a1356a04",
    "transaction hash": "defc4085105a4832832049299e4fe7022dde9a0a9c598e2f81bd1b85e2111b05",
    "chain spec": "0a000000646d6c2d766563746f72010068e5cf8b010000030000000100010000000200010000000300020000000100000079b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad0496640010a5d4e80000000100000079b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad0496640010a5d4e8000000",
}


def vector_spec(signer: bytes) -> ChainSpec:
    return ChainSpec("dml-vector", True, 1700000000000, ((1, 1), (2, 1), (3, 2)), ((signer, 1000 * DML),), (signer,), 1000 * DML)


def test_chain_spec_and_chain_id_vector() -> None:
    signer = Key(SIGNER_SEED)
    spec = vector_spec(signer.public_key)
    assert spec.encode().hex() == V["chain spec"]
    assert chain_id(spec).hex() == V["chain ID"]


def test_keys_and_addresses_vector() -> None:
    signer, recipient = Key(SIGNER_SEED), Key(RECIPIENT_SEED)
    assert signer.public_key.hex() == V["signer account"]
    assert signer.address == V["signer address"]
    assert recipient.address == V["recipient address"]
    assert decode_address(V["recipient address"]).hex() == V["recipient account"]
    assert encode_address(bytes.fromhex(V["recipient account"])) == V["recipient address"]


def test_signed_transfer_vector_byte_for_byte() -> None:
    signer = Key(SIGNER_SEED)
    call = calls.Balances.transfer(V["recipient address"], 2_500_000_000)
    assert call.module == 3
    assert call.body.hex() == V["call body"]
    tx = sign_transaction(signer, V["chain ID"], 0, call)
    assert tx.payload.encode().hex() == V["payload"]
    assert tx.payload.signing_message().hex() == V["signed message"]
    assert tx.signature.hex() == V["signature"]
    assert tx.hex() == V["transaction"]
    assert tx.hash == V["transaction hash"]
    assert tx.verify()
    # Reading it back gives the same transaction, and a flipped bit breaks the signature.
    again = SignedTransaction.decode(bytes.fromhex(V["transaction"]))
    assert again == tx
    tampered = bytearray(tx.encode())
    tampered[-70] ^= 1
    assert not SignedTransaction.decode(bytes(tampered)).verify()


def test_signature_matches_an_independent_ed25519() -> None:
    # cryptography's Ed25519 directly, to show Key.sign is plain RFC 8032 over the message.
    message = b"DML-TX" + b"anything"
    assert Key(SIGNER_SEED).sign(message) == Ed25519PrivateKey.from_private_bytes(SIGNER_SEED).sign(message)


@pytest.mark.parametrize("bad, reason", [
    ("dml10x64vt50ue20jsrckyfw32vt57gplpf6u62ma4lquwgshtgyjejqmxu4ra", "checksum"),
    ("DML10x64vt50ue20jsrckyfw32vt57gplpf6u62ma4lquwgshtgyjejqmxu4rz", "mixes"),
    ("btc10x64vt50ue20jsrckyfw32vt57gplpf6u62ma4lquwgshtgyjejqmxu4rz", "dml1"),
    ("dml1qqqqqq", "checksum"),
    ("dml10x64vt50ue20jsrckyfw32vt57gplpf6u62ma4lquwgshtgyjejqmxu4rq", "checksum"),
    ("dml1bx64vt50ue20jsrckyfw32vt57gplpf6u62ma4lquwgshtgyjejqmxu4rz", "alphabet"),
    ("dml1" + "q" * 52 + "3jz0kq", "checksum"),
])
def test_addresses_are_rejected_with_the_reason(bad: str, reason: str) -> None:
    with pytest.raises(ProtocolError, match=reason):
        decode_address(bad)


def test_upper_case_address_is_accepted() -> None:
    assert decode_address(V["signer address"].upper()).hex() == V["signer account"]


def test_every_single_character_typo_is_caught() -> None:
    address = V["signer address"]
    alphabet = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
    for index in range(4, len(address)):
        for c in alphabet:
            if c != address[index]:
                typo = address[:index] + c + address[index + 1:]
                with pytest.raises(ProtocolError):
                    decode_address(typo)


def test_encoding_refuses_out_of_range_values() -> None:
    with pytest.raises(ProtocolError, match="u64"):
        calls.Balances.transfer(V["recipient address"], 2**64)
    with pytest.raises(ProtocolError, match="integer"):
        calls.Balances.transfer(V["recipient address"], 1.5)  # type: ignore[arg-type]
    with pytest.raises(ProtocolError, match="to"):
        calls.Balances.transfer("dml1nope", 1)


def test_amounts_in_dml() -> None:
    assert parse_dml("2.5") == 2_500_000_000
    assert parse_dml("0.000000001") == 1
    assert format_dml(2_500_000_000) == "2.5"
    assert format_dml(10 * DML) == "10"
    with pytest.raises(ProtocolError, match="decimals"):
        parse_dml("0.0000000001")
    with pytest.raises(ProtocolError):
        parse_dml("-1")


def test_call_tags_and_fields() -> None:
    # Spot checks of the layout: module, tag, then fields in order, little-endian.
    b = calls.Bounties.fund(7, 5)
    assert (b.module, b.body.hex()) == (11, "01" + "0700000000000000" + "0500000000000000")
    role = calls.Roles.grant(calls.Role.moderator(), V["signer address"])
    assert role.body.hex() == "00" + "01" + V["signer account"]
    trust = calls.Role.cluster_manager_trusted_by(V["recipient address"])
    assert calls.Roles.grant(trust, V["signer address"]).body.hex() == "00" + "02" + V["recipient account"] + V["signer account"]
    assert calls.Storage.withdraw_unbonded().body == bytes([25])
    assert calls.Storage.create_bucket(3, 2, "x").body.hex() == "0d" + "0300000000000000" + "02" + "0100000078" + "00"
    assert calls.Marketplace.purchase(9, 1).body.hex() == "08" + "0900000000000000" + "0100000000000000"
    assert calls.Privacy.set_budget("a/b", 1, 2).body.hex() == "00" + "03000000612f62" + "0100000000000000" + "0200000000000000"
    draft = calls.BountyDraft("t", "d", [1], 2, 3, 4, "split_among_submitters")
    create = calls.Bounties.create(draft, False)
    reader = Reader(create.body)
    assert reader.u8() == 0 and reader.string() == "t" and reader.string() == "d"
    assert reader.u32() == 1 and reader.u64() == 1 and [reader.u64(), reader.u64(), reader.u64()] == [2, 3, 4]
    assert reader.u8() == 1 and reader.boolean() is False
    reader.end()


def test_voucher_and_login_messages() -> None:
    voucher = Voucher(1, bytes.fromhex(V["recipient account"]), 5, 2)
    assert voucher.encode().hex() == "0100000000000000" + V["recipient account"] + "0500000000000000" + "0200000000000000"
    message = voucher.signing_message(V["chain ID"])
    assert message == b"DML-VOUCHER" + bytes.fromhex(V["chain ID"]) + voucher.encode()
    assert login_message(V["chain ID"], "abc") == f"DML-LOGIN\n{V['chain ID']}\nabc"
    assert storage_request_message("put", "/v1/buckets/1/blobs/x", 42) == b"DML-STORAGE\nPUT\n/v1/buckets/1/blobs/x\n42"


def test_run_receipt_vector() -> None:
    # docs/algorithms.md, "Run receipts": seed 00…1f, digests of "package", "input", "output", "nonce", fuel 12 345.
    key = Key(bytes(range(32)))
    assert key.public_key.hex() == "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8"
    sha = lambda text: hashlib.sha256(text.encode()).digest()  # noqa: E731
    receipt = RunReceipt(sha("package"), sha("input"), sha("output"), 12_345, key.public_key, sha("nonce")).signed(key)
    assert receipt.signing_message().hex() == (
        "444d4c2d52554e2d524543454950542d31bc4a71180870f7945155fbb02f4b0a2e3faa2a62d6d31b7039013055ed19869ac96c6d5be8d08a12e7"
        "b5cdc1b207fa6b2430974c86803d8891675e76fd992c20e0ee8bb50685e05fa0f47ed04203ae953fdfd055f5bd2892ea186504254f8c3a393000"
        "000000000003a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b878377b525757b494427f89014f97d79928f3938d14"
        "eb51e20fb5dec9834eb304")
    assert receipt.signature.hex() == (
        "3a9d28370b684135eac6bc9c5b14590af1a7bbb5157aedcc5fdd839de0b8913e1cf638d9cdc96d1307fe9469da4152605c4630e6afdc0a5c870789"
        "c9fe3c890a")
    assert receipt.verify()
    assert receipt.to_json()["device"] == key.address


def test_cid_vectors() -> None:
    # docs/blobs.md §1 and §2.3.
    assert cid_of(b"") == "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"
    assert cid_of(b"hello world") == "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"
    assert cid_of(b"hello world\n") == "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4"
    data = bytes(i % 251 for i in range(2_621_440))
    digests = [hashlib.sha256(data[i:i + (1 << 20)]).digest() for i in range(0, len(data), 1 << 20)]
    assert [d.hex()[:8] for d in digests] == ["631b8402", "729b9155", "89c222f8"]
    manifest = manifest_bytes(len(data), digests)
    assert len(manifest) == 142
    assert manifest.hex().startswith("a26473697a651a00280000666368756e6b7383d82a58250001551220631b84")
    assert cid_of(data) == "bafyreibzd64xbbttugzkhmrgjbwcwbvioih6d6hrvk7arupfjwmohrfnxq"
    # Fed in odd pieces, the same address; exactly 1 MiB is still one raw block.
    hasher = BlobHasher()
    for start in range(0, len(data), 65_537):
        hasher.update(data[start:start + 65_537])
    assert hasher.cid == cid_of(data)
    assert cid_of(bytes(1 << 20)).startswith("bafkrei")
    assert cid_of(bytes((1 << 20) + 1)).startswith("bafyrei")


@pytest.mark.parametrize("text", ["", "Bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku",
                                  "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyk",
                                  "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyk1",
                                  "QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG"])
def test_bad_cids_are_rejected(text: str) -> None:
    with pytest.raises(CIDError):
        cid_to_bytes(text)


def test_weights_file_vector() -> None:
    # docs/learning.md: logistic regression, one input, weight 1.5, bias -2: 28 bytes.
    model = ModelWeights("logistic", [1, 1], [1.5, -2.0])
    encoded = model.encode()
    assert encoded.hex() == "444d4c57" "01" "00" "0200" "01000000" "01000000" "02000000" "0000c03f" "000000c0"
    assert ModelWeights.decode(encoded) == model
    assert ModelWeights.parameter_count([64, 10]) == 650
    with pytest.raises(Exception, match="magic"):
        ModelWeights.decode(b"XXXX" + encoded[4:])
    with pytest.raises(Exception, match="parameter bytes"):
        ModelWeights.decode(encoded[:-1])
