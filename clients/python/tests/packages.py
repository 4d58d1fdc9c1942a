"""A real algorithm package without a compiler: a WebAssembly module assembled byte by byte.

``byte-count``: imports ``dml.input_size`` and ``dml.output_write``, and its ``run`` writes the
input's length as one little-endian f64 (output field ``bytes``, aggregation ``sum``) — so a
job's report must add up the sizes of the devices' inputs.
"""
from __future__ import annotations

import base64
import json
from typing import List


def _leb(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _vec(items: List[bytes]) -> bytes:
    return _leb(len(items)) + b"".join(items)


def _name(text: str) -> bytes:
    return _leb(len(text)) + text.encode()


def _section(kind: int, payload: bytes) -> bytes:
    return bytes([kind]) + _leb(len(payload)) + payload


def byte_count_wasm() -> bytes:
    i32, func = b"\x7f", b"\x60"
    types = _vec([func + _vec([]) + _vec([i32]), func + _vec([i32, i32]) + _vec([i32])])
    imports = _vec([_name("dml") + _name("input_size") + b"\x00" + _leb(0),
                    _name("dml") + _name("output_write") + b"\x00" + _leb(1)])
    functions = _vec([_leb(0)])
    memory = _vec([b"\x00" + _leb(1)])
    exports = _vec([_name("memory") + b"\x02" + _leb(0), _name("run") + b"\x00" + _leb(2)])
    body = (b"\x00"                      # no locals
            b"\x41\x00"                  # i32.const 0          (where to store)
            b"\x10\x00"                  # call input_size
            b"\xb8"                      # f64.convert_i32_u
            b"\x39\x03\x00"              # f64.store align=8 offset=0
            b"\x41\x00\x41\x08\x10\x01"  # output_write(0, 8)
            b"\x1a"                      # drop
            b"\x41\x00\x0b")             # return 0; end
    code = _vec([_leb(len(body)) + body])
    return (b"\x00asm\x01\x00\x00\x00" + _section(1, types) + _section(2, imports) + _section(3, functions)
            + _section(5, memory) + _section(7, exports) + _section(10, code))


MANIFEST = {
    "name": "byte-count", "version": "1.0.0", "abi": 1, "entry": "run", "module": "count.wasm",
    "input": {"format": "bytes"},
    "output": {"format": "f64-vector", "fields": ["bytes"]},
    "limits": {"fuel": 1_000_000, "memoryPages": 1, "outputBytes": 64},
    "aggregation": "sum",
    "report": {"title": "Bytes per device", "chart": "bars"},
}


def byte_count_package(version: str = "1.0.0") -> bytes:
    manifest = dict(MANIFEST, version=version)
    document = {"format": "dml-algorithm-package-1", "manifest": manifest,
                "modules": {"count.wasm": base64.b64encode(byte_count_wasm()).decode()}}
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()
