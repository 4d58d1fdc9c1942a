"""The typed views match the live server's OpenAPI document field for field; key files are
private and compatible with ``dml keys``."""
from __future__ import annotations

import os
import stat
import subprocess

import pytest

from dml_client import Client, Key, KeyFileError, KeyStore, load_key, save_key
from dml_client import types as views

from conftest import dml_binary


def test_every_schema_has_a_typed_dict_with_the_same_fields(server) -> None:
    document = Client(server.url).system.openapi()
    schemas = {name: s for name, s in document["components"]["schemas"].items() if "properties" in s}
    assert len(schemas) > 60
    for name, schema in schemas.items():
        typed = getattr(views, name, None)
        assert typed is not None, f"{name} has no TypedDict: run tools/gen_types.py"
        fields = set(typed.__required_keys__) | set(typed.__optional_keys__)
        assert fields == set(schema["properties"]), f"{name}: {sorted(fields ^ set(schema['properties']))}"
        assert set(typed.__required_keys__) == set(schema.get("required", [])), name


def test_key_files_are_0600_and_never_overwritten(tmp_path) -> None:
    key = Key.generate()
    path = save_key(key, tmp_path / "keys" / "mine.key")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "keys").stat().st_mode) == 0o700
    assert path.read_text() == key.seed.hex() + "\n"
    assert load_key(path) == key
    with pytest.raises(KeyFileError, match="never overwritten"):
        save_key(Key.generate(), path)
    os.chmod(path, 0o644)
    with pytest.raises(KeyFileError, match="readable by others"):
        load_key(path)
    os.chmod(path, 0o600)
    bad = tmp_path / "bad.key"
    bad.write_text("not hex")
    os.chmod(bad, 0o600)
    with pytest.raises(KeyFileError, match="32-byte hex seed"):
        load_key(bad)
    with pytest.raises(KeyFileError, match="must be 1–64"):
        KeyStore(tmp_path).path("../escape")


def test_keys_are_interchangeable_with_dml_keys(tmp_path) -> None:
    # A key made by `dml keys create` loads here with the same address, and one made here
    # is listed by `dml keys list`.
    binary = dml_binary()
    made = subprocess.run([binary, "keys", "create", "carol", "--data", str(tmp_path)], capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    store = KeyStore(tmp_path / "keys")
    carol = store.load("carol")
    assert carol.address in made.stdout
    dave = store.create("dave")
    listed = subprocess.run([binary, "keys", "list", "--data", str(tmp_path)], capture_output=True, text=True)
    assert dave.address in listed.stdout and carol.address in listed.stdout
    assert [name for name, _ in store.list()] == ["carol", "dave"]
