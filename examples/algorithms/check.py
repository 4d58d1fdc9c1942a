#!/usr/bin/env python3
"""Checks the example algorithms end to end against numpy references.

    ./build.sh --native && python3 check.py

1. Converts the example data to f32-matrix files (build/digits.bin, build/breast_cancer.bin).
2. Runs build/digits-native on all 1797 digits and compares the 10 counts with the counts numpy
   predicts from the weights in digits/weights.h, computed the same way (must match exactly).
3. Runs build/column-stats-native on breast_cancer and compares every count/sum/sumsq/min/max
   bit for bit with numpy (float32 inputs, float64 accumulation in row order).
4. Checks the error codes: wrong column count (3), size mismatch (2), no header (1), and an
   empty matrix.
5. If the Python package `wasmtime` is importable, also runs build/*.wasm under a small dml-abi-1
   host with memory capped at the manifest's pages, and requires the same output bytes as native.

Needs numpy. Exit status 0 when every check passes.
"""
import json
import os
import struct
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.path.join(HERE, "build")
sys.path.insert(0, os.path.join(HERE, "digits"))
import train  # noqa: E402  (digits/train.py: read_header, predict_like_c)
sys.path.insert(0, HERE)
import csv2matrix  # noqa: E402

failures = 0


def check(ok, what):
    global failures
    print(("ok    " if ok else "FAIL  ") + what)
    if not ok:
        failures += 1


def write_matrix(path, rows, skip_header, drop_last):
    data, n, cols = csv2matrix.to_matrix(csv2matrix.read_rows(rows, skip_header, drop_last))
    with open(path, "wb") as f:
        f.write(data)
    return data


def matrix_of(data):
    rows, cols = struct.unpack_from("<II", data, 0)
    return np.frombuffer(data, dtype="<f4", offset=8).reshape(rows, cols)


def run_native(name, path, repeats=1):
    exe = os.path.join(BUILD, name + "-native")
    p = subprocess.run([exe, path, str(repeats)], capture_output=True, text=True)
    values = [float(line) for line in p.stdout.splitlines() if line and not line.startswith("#")]
    timing = [line for line in p.stdout.splitlines() if line.startswith("# runs=")]
    return p.returncode, np.array(values, dtype=np.float64), p.stderr, (timing[0] if timing else p.stdout.strip())


def f64_bits(a):
    return np.asarray(a, dtype=np.float64).view(np.uint64)


def column_stats_reference(X):
    """As column_stats.c: float64, rows in order, NaN skipped, first min/max kept on ties."""
    X = X.astype(np.float64)
    cols = X.shape[1]
    count, s, sq = np.zeros(cols), np.zeros(cols), np.zeros(cols)
    lo, hi = np.full(cols, np.inf), np.full(cols, -np.inf)
    for row in X:
        ok = ~np.isnan(row)
        v = np.where(ok, row, 0.0)
        count = np.where(ok, count + 1.0, count)
        s = np.where(ok, s + v, s)
        sq = np.where(ok, sq + v * v, sq)
        lo = np.where(ok & (row < lo), row, lo)
        hi = np.where(ok & (row > hi), row, hi)
    return np.stack([count, s, sq, lo, hi], axis=1).reshape(-1)


def run_wasm(module_path, input_bytes, memory_pages):
    """A minimal dml-abi-1 host on wasmtime. Returns (code, output bytes, log lines)."""
    import wasmtime

    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    store.set_limits(memory_size=memory_pages * 65536)
    module = wasmtime.Module.from_file(engine, module_path)
    for imp in module.imports:
        if imp.module != "dml":
            raise RuntimeError(f"import {imp.module}.{imp.name} is not from dml")
    out, logs, mem = bytearray(), [], {}
    i32 = wasmtime.ValType.i32()

    def input_size():
        return len(input_bytes)

    def input_read(dst, offset, length):
        if dst < 0 or offset < 0 or length < 0:
            raise wasmtime.Trap("input_read: negative argument")
        memory = mem["m"]
        if dst + length > memory.data_len(store):
            raise wasmtime.Trap("input_read: destination outside memory")
        chunk = input_bytes[offset:offset + length]
        memory.write(store, chunk, dst)
        return len(chunk)

    def output_write(src, length):
        out.extend(mem["m"].read(store, src, src + length))
        return 0

    def log(src, length):
        logs.append(bytes(mem["m"].read(store, src, src + length)).decode("utf-8", "replace"))

    funcs = {
        "input_size": wasmtime.Func(store, wasmtime.FuncType([], [i32]), input_size),
        "input_read": wasmtime.Func(store, wasmtime.FuncType([i32, i32, i32], [i32]), input_read),
        "output_write": wasmtime.Func(store, wasmtime.FuncType([i32, i32], [i32]), output_write),
        "log": wasmtime.Func(store, wasmtime.FuncType([i32, i32], []), log),
    }
    instance = wasmtime.Instance(store, module, [funcs[imp.name] for imp in module.imports])
    exports = instance.exports(store)
    mem["m"] = exports["memory"]
    code = exports["run"](store)
    return code, bytes(out), logs


def main():
    os.makedirs(BUILD, exist_ok=True)
    for exe in ("digits-native", "column-stats-native"):
        if not os.path.exists(os.path.join(BUILD, exe)):
            sys.exit(f"build/{exe} is missing: run ./build.sh --native first")

    # --- digits ---------------------------------------------------------------------------
    digits_bin = os.path.join(BUILD, "digits.bin")
    digits = write_matrix(digits_bin, os.path.join(HERE, "digits", "data", "digits.csv.gz"), False, True)
    X = matrix_of(digits)
    W, b = train.read_header(os.path.join(HERE, "digits", "weights.h"))
    expected = np.bincount(train.predict_like_c(W, b, X), minlength=10).astype(np.float64)
    code, got, err, timing = run_native("digits", digits_bin, 200)
    print("digits counts (native):", " ".join(str(int(v)) for v in got), "|", timing)
    print("digits counts (numpy): ", " ".join(str(int(v)) for v in expected))
    check(code == 0 and np.array_equal(f64_bits(got), f64_bits(expected)),
          f"digits: native counts equal numpy's on {X.shape[0]} rows")
    check(got.sum() == X.shape[0], "digits: counts add up to the row count")

    # --- column-stats -----------------------------------------------------------------------
    bc_bin = os.path.join(BUILD, "breast_cancer.bin")
    bc = write_matrix(bc_bin, os.path.join(HERE, "column-stats", "data", "breast_cancer.csv"), True, True)
    B = matrix_of(bc)
    expected_stats = column_stats_reference(B)
    code, got_stats, err, timing = run_native("column-stats", bc_bin, 200)
    print(f"column-stats: {B.shape[0]} x {B.shape[1]}, {len(got_stats)} values | {timing}")
    check(code == 0 and np.array_equal(f64_bits(got_stats), f64_bits(expected_stats)),
          "column-stats: native output equals numpy's bit for bit")
    B64 = B.astype(np.float64)
    loose = np.stack([np.full(B.shape[1], B.shape[0]), B64.sum(0), (B64 * B64).sum(0), B64.min(0), B64.max(0)],
                     axis=1).reshape(-1)
    check(len(got_stats) == len(loose) and np.allclose(got_stats, loose, rtol=1e-12, atol=0),
          "column-stats: agrees with numpy's (pairwise) sum/min/max to 1e-12")
    manifest = json.load(open(os.path.join(HERE, "column-stats", "manifest.json")))
    check(len(manifest["output"]["fields"]) == len(got_stats), "column-stats: output length matches the manifest's fields")
    check(bool(np.isfinite(got_stats).all()), "column-stats: every value is finite (the host rejects others)")

    # --- error paths --------------------------------------------------------------------------
    cases = [
        ("digits", "wrong-columns.bin", bc, 3),
        ("digits", "truncated.bin", digits[:-4], 2),
        ("digits", "header-only-short.bin", digits[:4], 1),
        ("column-stats", "too-many-columns.bin", struct.pack("<II", 1, 257) + bytes(257 * 4), 3),
        ("column-stats", "zero-columns.bin", struct.pack("<II", 5, 0), 3),
    ]
    for name, fname, data, want in cases:
        path = os.path.join(BUILD, fname)
        with open(path, "wb") as f:
            f.write(data)
        code, _, err, status = run_native(name, path)
        check(code == 1 and status == f"# run() returned error code {want}" and "log:" in err,
              f"{name}: {fname} -> error code {want}, logged ({err.strip()})")
    empty = os.path.join(BUILD, "empty64.bin")
    with open(empty, "wb") as f:
        f.write(struct.pack("<II", 0, 64))
    code, got, _, _ = run_native("digits", empty)
    check(code == 0 and list(got) == [0.0] * 10, "digits: 0 rows -> ten zeros")
    empty = os.path.join(BUILD, "empty3.bin")
    with open(empty, "wb") as f:
        f.write(struct.pack("<II", 0, 3))
    code, _, err, status = run_native("column-stats", empty)
    check(code == 1 and status == "# run() returned error code 5" and "no rows" in err,
          "column-stats: 0 rows -> error code 5 (no finite min/max to report)")
    nan_in = os.path.join(BUILD, "nan.bin")
    N = np.array([[1.0, np.nan, np.nan], [np.nan, 2.0, np.nan], [3.0, -0.5, np.nan]], dtype=np.float32)
    with open(nan_in, "wb") as f:
        f.write(struct.pack("<II", 3, 3) + N.astype("<f4").tobytes())
    code, got, _, _ = run_native("column-stats", nan_in)
    check(code == 0 and list(got) == [2, 4, 10, 1, 3, 2, 1.5, 4.25, -0.5, 2, 0, 0, 0, np.inf, -np.inf],
          "column-stats (native only; the host passes finite inputs): NaN values are skipped")

    # --- the WebAssembly modules, if wasmtime is available -----------------------------------
    try:
        import wasmtime  # noqa: F401
    except ImportError:
        print("skip  WebAssembly runs (pip package wasmtime not installed)")
    else:
        for name, data in (("digits", digits), ("column-stats", bc)):
            manifest = json.load(open(os.path.join(HERE, name, "manifest.json")))
            pages = manifest["limits"]["memoryPages"]
            code, out, logs = run_wasm(os.path.join(BUILD, name + ".wasm"), data, pages)
            _, native_values, _, _ = run_native(name, digits_bin if name == "digits" else bc_bin)
            wasm_values = np.frombuffer(out, dtype="<f8")
            check(code == 0 and np.array_equal(f64_bits(wasm_values), f64_bits(native_values)),
                  f"{name}.wasm (memory cap {pages} pages): same output as native, {len(out)} bytes")
        code, out, logs = run_wasm(os.path.join(BUILD, "digits.wasm"), bc, 64)
        check(code == 3 and out == b"" and len(logs) == 1, f"digits.wasm on 30 columns -> 3, log: {logs}")

    print(f"{failures} failed" if failures else "all checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
