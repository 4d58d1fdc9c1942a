#!/usr/bin/env python3
"""Prints a WebAssembly module's imports, exports, memory and target features, and checks it
against dml-abi-1: imports only from "dml" (with the ABI's signatures), exports "memory" and the
entry function (default "run") of type () -> i32.

    python3 wasm_info.py build/digits.wasm [--entry run]

Exit status 0 if the module passes, 1 if not. Standard library only.
"""
import argparse
import sys

VALTYPES = {0x7F: "i32", 0x7E: "i64", 0x7D: "f32", 0x7C: "f64", 0x7B: "v128", 0x70: "funcref", 0x6F: "externref"}
KINDS = {0: "func", 1: "table", 2: "memory", 3: "global", 4: "tag"}
SECTIONS = {0: "custom", 1: "type", 2: "import", 3: "function", 4: "table", 5: "memory", 6: "global",
            7: "export", 8: "start", 9: "element", 10: "code", 11: "data", 12: "datacount"}
# dml-abi-1: name -> (params, results)
ABI = {
    "input_size": ((), ("i32",)),
    "input_read": (("i32", "i32", "i32"), ("i32",)),
    "output_write": (("i32", "i32"), ("i32",)),
    "log": (("i32", "i32"), ()),
}


class Reader:
    def __init__(self, data, pos=0, end=None):
        self.data, self.pos, self.end = data, pos, len(data) if end is None else end

    def byte(self):
        if self.pos >= self.end:
            raise ValueError("unexpected end")
        b = self.data[self.pos]
        self.pos += 1
        return b

    def uleb(self):
        result = shift = 0
        while True:
            b = self.byte()
            result |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                return result

    def name(self):
        n = self.uleb()
        s = self.data[self.pos:self.pos + n].decode("utf-8")
        self.pos += n
        return s

    def limits(self):
        flags = self.byte()
        minimum = self.uleb()
        maximum = self.uleb() if flags & 1 else None
        return minimum, maximum, flags


def parse(data):
    if data[:4] != b"\0asm" or data[4:8] != b"\x01\0\0\0":
        raise ValueError("not a WebAssembly 1.0 binary module")
    r = Reader(data, 8)
    info = {"types": [], "imports": [], "funcs": [], "exports": [], "memories": [], "tables": [],
            "features": [], "sections": []}
    while r.pos < len(data):
        sid = r.byte()
        size = r.uleb()
        s = Reader(data, r.pos, r.pos + size)
        r.pos += size
        if sid == 0:
            name = s.name()
            info["sections"].append(f"custom:{name}")
            if name == "target_features":
                for _ in range(s.uleb()):
                    prefix = chr(s.byte())
                    info["features"].append(prefix + s.name())
            continue
        info["sections"].append(SECTIONS.get(sid, str(sid)))
        if sid == 1:
            for _ in range(s.uleb()):
                if s.byte() != 0x60:
                    raise ValueError("unknown type form")
                params = tuple(VALTYPES.get(s.byte(), "?") for _ in range(s.uleb()))
                results = tuple(VALTYPES.get(s.byte(), "?") for _ in range(s.uleb()))
                info["types"].append((params, results))
        elif sid == 2:
            for _ in range(s.uleb()):
                module, field, kind = s.name(), s.name(), s.byte()
                if kind == 0:
                    desc = s.uleb()
                elif kind == 1:
                    s.byte()
                    desc = s.limits()
                elif kind == 2:
                    desc = s.limits()
                elif kind == 3:
                    desc = (s.byte(), s.byte())
                else:
                    raise ValueError(f"unknown import kind {kind}")
                info["imports"].append((module, field, KINDS.get(kind, kind), desc))
        elif sid == 3:
            info["funcs"] = [s.uleb() for _ in range(s.uleb())]
        elif sid == 4:
            for _ in range(s.uleb()):
                s.byte()
                info["tables"].append(s.limits())
        elif sid == 5:
            info["memories"] = [s.limits() for _ in range(s.uleb())]
        elif sid == 7:
            for _ in range(s.uleb()):
                info["exports"].append((s.name(), KINDS.get(s.byte(), "?"), s.uleb()))
    return info


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("module")
    ap.add_argument("--entry", default="run")
    args = ap.parse_args()
    with open(args.module, "rb") as f:
        data = f.read()
    info = parse(data)
    problems = []

    imported_funcs = [i for i in info["imports"] if i[2] == "func"]
    print(f"{args.module}: {len(data)} bytes")
    print("sections:", ", ".join(info["sections"]))
    print("imports:")
    for module, field, kind, desc in info["imports"]:
        sig = info["types"][desc] if kind == "func" else desc
        print(f"  {module}.{field} ({kind}) {sig}")
        if module != "dml":
            problems.append(f"import {module}.{field} is not from module \"dml\"")
        elif kind != "func" or field not in ABI:
            problems.append(f"import dml.{field} ({kind}) is not part of dml-abi-1")
        elif info["types"][desc] != ABI[field]:
            problems.append(f"import dml.{field} has type {info['types'][desc]}, ABI says {ABI[field]}")
    print("exports:")
    for name, kind, index in info["exports"]:
        print(f"  {name} ({kind} {index})")
    for minimum, maximum, _ in info["memories"]:
        print(f"memory: initial {minimum} pages ({minimum * 64} KiB), maximum {maximum}")
    print("target features:", " ".join(info["features"]) or "(none recorded)")

    exports = {name: (kind, index) for name, kind, index in info["exports"]}
    if exports.get("memory", (None,))[0] != "memory":
        problems.append("no exported memory named \"memory\"")
    entry = exports.get(args.entry)
    if entry is None or entry[0] != "func":
        problems.append(f"no exported function \"{args.entry}\"")
    else:
        index = entry[1] - len(imported_funcs)
        if index < 0:
            problems.append(f"\"{args.entry}\" is an imported function")
        elif info["types"][info["funcs"][index]] != ((), ("i32",)):
            problems.append(f"\"{args.entry}\" has type {info['types'][info['funcs'][index]]}, expected () -> i32")
    if any(f.lstrip("+") == "simd128" for f in info["features"] if f.startswith("+")):
        problems.append("uses SIMD (simd128), which the host may not support")

    for p in problems:
        print("PROBLEM:", p)
    print("OK: dml-abi-1 module" if not problems else "FAILED")
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
