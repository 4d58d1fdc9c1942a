/*
 * dml_abi.h — the DML host ABI "dml-abi-1" for algorithms written in C, plus small helpers.
 *
 * An algorithm is a WebAssembly module that
 *   - imports functions only from the module "dml" (the host refuses any other import), and
 *   - exports its linear memory as "memory" and an entry function (by default "run"):
 *
 *         int32_t run(void);      0 = success, anything else = an error code of your choosing
 *
 * The host gives the run one input (a byte string) and collects one output (a byte string,
 * appended to by output_write). Both are fixed by the manifest: for example the input format
 * "f32-matrix" and the output format "f64-vector" with a fixed list of field names.
 *
 * The four imports (all integers are i32; a "pointer" is an offset into the guest's memory):
 *
 *   input_size()                  -> number of input bytes.
 *   input_read(dst, offset, len)  -> copies min(len, size - offset) input bytes, starting at
 *                                    input byte `offset`, to guest memory at `dst`; returns
 *                                    the number copied (0 at or past the end). Traps if an
 *                                    argument is negative or [dst, dst+len) is outside memory.
 *   output_write(src, len)        -> appends len bytes from guest memory at `src` to the
 *                                    output; returns 0. The host stops the run if the output
 *                                    grows beyond the manifest's `limits.outputBytes`.
 *   log(src, len)                 -> one UTF-8 log line (the host keeps a bounded number).
 *
 * No libc is available. Build a module with
 *
 *   clang --target=wasm32 -nostdlib -O2 -ffp-contract=off \
 *         -Wl,--no-entry -Wl,--export=run -o NAME.wasm NAME.c
 *
 * Determinism: WebAssembly floating point is deterministic (IEEE 754, round to nearest, no
 * fused multiply-add unless you ask for it). Keep it so: no -ffast-math. This header turns off
 * floating-point contraction so the same C also gives bit-identical results natively.
 *
 * Native builds (for tests and the WasmKit-vs-native benchmark): compile with -DDML_NATIVE
 * together with native/native_host.c, which implements the imports over a file. The imports
 * are then plain extern functions of the same names (dml_input_size, ...).
 *
 * In C the imports are named dml_input_size, dml_input_read, dml_output_write and dml_log
 * (a C function named `log` would clash with the math library natively); their WebAssembly
 * import names are the ABI's: "input_size", "input_read", "output_write", "log".
 * Pointers are 32-bit on wasm32, so `void *` parameters are the ABI's i32 offsets.
 */
#ifndef DML_ABI_H
#define DML_ABI_H

#include <stdint.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "dml-abi-1 data is little-endian; these helpers assume a little-endian target"
#endif

/* Same floating-point results natively as in WebAssembly: never fuse a*b+c into an FMA. */
#pragma STDC FP_CONTRACT OFF

#define DML_ABI_VERSION 1

/* ------------------------------------------------------------------------------------------ */
/* Imports and the entry point                                                                 */
/* ------------------------------------------------------------------------------------------ */

#ifdef DML_NATIVE
#define DML_IMPORT(name)
#define DML_EXPORT(name)
#else
#define DML_IMPORT(name) __attribute__((import_module("dml"), import_name(name)))
#define DML_EXPORT(name) __attribute__((export_name(name)))
#endif

/** Number of input bytes. */
DML_IMPORT("input_size") int32_t dml_input_size(void);

/** Copies up to `len` input bytes from input offset `offset` to `dst`; returns the count (0 at end). */
DML_IMPORT("input_read") int32_t dml_input_read(void *dst, int32_t offset, int32_t len);

/** Appends `len` bytes at `src` to the output; returns 0. */
DML_IMPORT("output_write") int32_t dml_output_write(const void *src, int32_t len);

/** Emits one UTF-8 log line of `len` bytes at `src` (no trailing newline needed). */
DML_IMPORT("log") void dml_log(const void *src, int32_t len);

/*
 * Define your entry point as
 *
 *     DML_ENTRY int32_t run(void) { ... }
 *
 * On wasm32 this also exports it under the name "run" (so -Wl,--export=run is belt and braces).
 */
#define DML_ENTRY DML_EXPORT("run")

/* ------------------------------------------------------------------------------------------ */
/* Error codes used by the examples (any nonzero value is an error; these are a convention)    */
/* ------------------------------------------------------------------------------------------ */

#define DML_OK 0
#define DML_ERR_SHORT_INPUT 1    /* fewer than 8 bytes: no f32-matrix header */
#define DML_ERR_SIZE_MISMATCH 2  /* input size != 8 + rows * cols * 4 */
#define DML_ERR_COLUMNS 3        /* the column count is not what the algorithm accepts */
#define DML_ERR_READ 4           /* input_read returned fewer bytes than the size promised */
#define DML_ERR_EMPTY 5          /* no rows, where the algorithm has nothing finite to report */

/* ------------------------------------------------------------------------------------------ */
/* Helpers                                                                                      */
/* ------------------------------------------------------------------------------------------ */

static inline int32_t dml_strlen(const char *s) {
    int32_t n = 0;
    while (s[n] != 0) n++;
    return n;
}

/** Logs a NUL-terminated C string as one line. */
static inline void dml_log_str(const char *s) { dml_log(s, dml_strlen(s)); }

/*
 * A small line builder for log messages with numbers, without printf:
 *
 *     dml_line line; dml_line_init(&line);
 *     dml_line_str(&line, "expected 64 columns, got "); dml_line_u64(&line, cols);
 *     dml_line_log(&line);
 */
typedef struct {
    char text[160];
    int32_t len;
} dml_line;

static inline void dml_line_init(dml_line *l) { l->len = 0; }

static inline void dml_line_str(dml_line *l, const char *s) {
    while (*s != 0 && l->len < (int32_t)sizeof(l->text)) l->text[l->len++] = *s++;
}

static inline void dml_line_u64(dml_line *l, uint64_t v) {
    char digits[20];
    int32_t n = 0;
    do { digits[n++] = (char)('0' + (int)(v % 10)); v /= 10; } while (v != 0);
    while (n > 0 && l->len < (int32_t)sizeof(l->text)) l->text[l->len++] = digits[--n];
}

static inline void dml_line_log(const dml_line *l) { dml_log(l->text, l->len); }

/**
 * Reads exactly `len` input bytes from `offset` into `dst`, calling input_read as often as it
 * takes. Returns the number of bytes read: `len`, or fewer if the input ended first.
 */
static inline int32_t dml_read_exact(void *dst, int32_t offset, int32_t len) {
    char *p = (char *)dst;
    int32_t done = 0;
    while (done < len) {
        int32_t got = dml_input_read(p + done, offset + done, len - done);
        if (got <= 0) break;
        done += got;
    }
    return done;
}

/**
 * Reads the whole input into `buffer` (capacity `capacity` bytes). Returns the input size, or
 * -1 if it does not fit, or -2 if the input ended early. Fine for small inputs; for large ones
 * read in chunks with dml_read_exact so memory stays small.
 */
static inline int32_t dml_read_all(void *buffer, int32_t capacity) {
    int32_t size = dml_input_size();
    if (size < 0 || size > capacity) return -1;
    return dml_read_exact(buffer, 0, size) == size ? size : -2;
}

/** Appends `count` float64 values to the output (little-endian, as f64-vector requires). */
static inline int32_t dml_write_f64(const double *values, int32_t count) {
    return dml_output_write(values, count * (int32_t)sizeof(double));
}

/*
 * The "f32-matrix" input format: uint32 LE rows, uint32 LE cols, then rows*cols float32 LE,
 * row-major. The data starts at input offset DML_MATRIX_DATA_OFFSET.
 */
#define DML_MATRIX_DATA_OFFSET 8

typedef struct {
    uint32_t rows;
    uint32_t cols;
} dml_matrix_header;

/**
 * Reads and checks an f32-matrix header: the input must be exactly 8 + rows*cols*4 bytes.
 * Returns DML_OK, or DML_ERR_SHORT_INPUT / DML_ERR_SIZE_MISMATCH / DML_ERR_READ after
 * logging why.
 */
static inline int32_t dml_read_matrix_header(dml_matrix_header *header) {
    int32_t size = dml_input_size();
    if (size < DML_MATRIX_DATA_OFFSET) {
        dml_log_str("f32-matrix: input shorter than its 8-byte header");
        return DML_ERR_SHORT_INPUT;
    }
    uint32_t words[2];
    if (dml_read_exact(words, 0, 8) != 8) {
        dml_log_str("f32-matrix: could not read the header");
        return DML_ERR_READ;
    }
    header->rows = words[0];
    header->cols = words[1];
    uint64_t expected = 8u + (uint64_t)header->rows * (uint64_t)header->cols * 4u;
    if (expected != (uint64_t)size) {
        dml_line line;
        dml_line_init(&line);
        dml_line_str(&line, "f32-matrix: ");
        dml_line_u64(&line, header->rows);
        dml_line_str(&line, " x ");
        dml_line_u64(&line, header->cols);
        dml_line_str(&line, " needs ");
        dml_line_u64(&line, expected);
        dml_line_str(&line, " bytes, input has ");
        dml_line_u64(&line, (uint64_t)size);
        dml_line_log(&line);
        return DML_ERR_SIZE_MISMATCH;
    }
    return DML_OK;
}

#endif /* DML_ABI_H */
