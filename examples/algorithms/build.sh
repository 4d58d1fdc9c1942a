#!/usr/bin/env bash
# Builds every example algorithm to build/NAME.wasm (NAME = the example's directory, which
# holds a manifest.json naming module NAME.wasm, and one .c file), and lays out a package
# folder build/packages/NAME/ (manifest.json + NAME.wasm) as `dml algo pack` reads it.
# With --native, also builds build/NAME-native: the same C linked with native/native_host.c,
# for checks and the WasmKit-vs-native benchmark.
#
#   ./build.sh            # WebAssembly only
#   ./build.sh --native   # WebAssembly and native
#
# Uses `clang` from PATH (override with CLANG=/path/to/clang); it must have the WebAssembly
# target and find wasm-ld (the Swift toolchain's clang does).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

native=0
for arg in "$@"; do
    case "$arg" in
        --native) native=1 ;;
        -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
        *) echo "build.sh: unknown option $arg" >&2; exit 2 ;;
    esac
done

CLANG="${CLANG:-clang}"
if ! command -v "$CLANG" >/dev/null 2>&1; then
    echo "build.sh: $CLANG not found on PATH (set CLANG=...)" >&2
    exit 1
fi

# Pinned WebAssembly features (all supported by WasmKit): the MVP plus bulk memory (memory.fill
# and memory.copy stand in for memset/memcpy, as there is no libc), sign extension and
# non-trapping float-to-int. No SIMD. -ffp-contract=off: never fuse a*b+c, so native results
# are bit-identical to WebAssembly's.
WASM_FLAGS=(--target=wasm32 -nostdlib -O2 -ffp-contract=off
            -mcpu=mvp -mbulk-memory -msign-ext -mnontrapping-fptoint
            -Wall -Wextra
            -Wl,--no-entry -Wl,--export=run)
NATIVE_FLAGS=(-O2 -ffp-contract=off -DDML_NATIVE -Wall -Wextra)

mkdir -p build
for manifest in */manifest.json; do
    dir="$(dirname "$manifest")"
    name="$dir"
    sources=("$dir"/*.c)
    if [ "${#sources[@]}" -ne 1 ] || [ ! -f "${sources[0]}" ]; then
        echo "build.sh: $dir must hold exactly one .c file" >&2
        exit 1
    fi
    src="${sources[0]}"
    if ! grep -q "\"module\": *\"$name.wasm\"" "$manifest"; then
        echo "build.sh: $manifest must name module \"$name.wasm\"" >&2
        exit 1
    fi
    echo "wasm    $src -> build/$name.wasm"
    "$CLANG" "${WASM_FLAGS[@]}" -o "build/$name.wasm" "$src"
    mkdir -p "build/packages/$name"
    cp "$manifest" "build/$name.wasm" "build/packages/$name/"
    if [ "$native" -eq 1 ]; then
        echo "native  $src -> build/$name-native"
        "$CLANG" "${NATIVE_FLAGS[@]}" -o "build/$name-native" "$src" native/native_host.c
    fi
done
