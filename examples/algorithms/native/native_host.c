/*
 * native_host.c — the four dml-abi-1 imports implemented natively over a file, for testing
 * algorithms without WebAssembly and for the WasmKit-vs-native benchmark.
 *
 * Build together with an algorithm (see ../build.sh --native):
 *
 *   clang -O2 -ffp-contract=off -DDML_NATIVE -o build/digits-native \
 *         digits/digits.c native/native_host.c
 *
 * Usage:  NAME-native INPUT.bin [repeats]      (repeats defaults to 1)
 *
 * Runs run() `repeats` times over the same input (the output is reset before each run) and
 * prints, on stdout, the last run's output as float64 values, one per line ("%.17g"), then a
 * line "# runs=N avg_us=X min_us=Y" with the wall-clock time per run() call. Log lines go to
 * stderr as "log: ...". Exits 1 (after printing the code) if run() returns nonzero, 2 on a
 * usage or I/O problem, 3 if the runs' outputs differ (a determinism failure).
 *
 * Differences from the WebAssembly host: there is no fuel and no memory limit; the output cap
 * is DML_NATIVE_OUTPUT_CAP bytes (default 64 MiB); input_read cannot check that the destination
 * lies inside guest memory (native pointers), only that the arguments are not negative.
 */
#define _POSIX_C_SOURCE 199309L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef DML_NATIVE_OUTPUT_CAP
#define DML_NATIVE_OUTPUT_CAP (64u << 20)
#endif
#define MAX_LOG_LINES 64

int32_t run(void);

static unsigned char *input_data;
static int32_t input_len;
static unsigned char *output_data;
static size_t output_len, output_capacity;
static int log_lines;

static void trap(const char *why) {
    fprintf(stderr, "trap: %s\n", why);
    exit(2);
}

int32_t dml_input_size(void) { return input_len; }

int32_t dml_input_read(void *dst, int32_t offset, int32_t len) {
    if (offset < 0 || len < 0) trap("input_read: negative argument");
    if (dst == NULL && len > 0) trap("input_read: null destination");
    if (offset >= input_len) return 0;
    int32_t n = input_len - offset;
    if (n > len) n = len;
    memcpy(dst, input_data + offset, (size_t)n);
    return n;
}

int32_t dml_output_write(const void *src, int32_t len) {
    if (len < 0) trap("output_write: negative length");
    if (output_len + (size_t)len > DML_NATIVE_OUTPUT_CAP) trap("output_write: output over the cap");
    if (output_len + (size_t)len > output_capacity) {
        size_t capacity = output_capacity ? output_capacity : 4096;
        while (capacity < output_len + (size_t)len) capacity *= 2;
        output_data = realloc(output_data, capacity);
        if (output_data == NULL) trap("output_write: out of memory");
        output_capacity = capacity;
    }
    memcpy(output_data + output_len, src, (size_t)len);
    output_len += (size_t)len;
    return 0;
}

void dml_log(const void *src, int32_t len) {
    if (len < 0) trap("log: negative length");
    if (log_lines++ >= MAX_LOG_LINES) return;
    fprintf(stderr, "log: %.*s\n", (int)len, (const char *)src);
}

static double now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static unsigned char *read_file(const char *path, int32_t *size) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) return NULL;
    size_t capacity = 1 << 16, len = 0;
    unsigned char *data = malloc(capacity);
    while (data != NULL) {
        if (len == capacity) {
            capacity *= 2;
            unsigned char *grown = realloc(data, capacity);
            if (grown == NULL) { free(data); data = NULL; break; }
            data = grown;
        }
        size_t got = fread(data + len, 1, capacity - len, f);
        len += got;
        if (got == 0) break;
    }
    int failed = ferror(f);
    fclose(f);
    if (data == NULL || failed || len > INT32_MAX) { free(data); return NULL; }
    *size = (int32_t)len;
    return data;
}

int main(int argc, char **argv) {
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s INPUT.bin [repeats]\n", argv[0]);
        return 2;
    }
    long repeats = argc == 3 ? strtol(argv[2], NULL, 10) : 1;
    if (repeats < 1) {
        fprintf(stderr, "repeats must be a positive integer\n");
        return 2;
    }
    input_data = read_file(argv[1], &input_len);
    if (input_data == NULL) {
        fprintf(stderr, "cannot read %s\n", argv[1]);
        return 2;
    }

    unsigned char *first = NULL;
    size_t first_len = 0;
    double total = 0, best = 0;
    for (long i = 0; i < repeats; i++) {
        output_len = 0;
        log_lines = 0;
        double t0 = now_us();
        int32_t code = run();
        double t = now_us() - t0;
        if (code != 0) {
            printf("# run() returned error code %d\n", (int)code);
            return 1;
        }
        total += t;
        if (i == 0 || t < best) best = t;
        if (i == 0) {
            first_len = output_len;
            first = malloc(first_len ? first_len : 1);
            if (first == NULL) trap("out of memory");
            if (first_len) memcpy(first, output_data, first_len);
        } else if (output_len != first_len || (first_len && memcmp(first, output_data, first_len) != 0)) {
            fprintf(stderr, "run %ld gave a different output from run 0\n", i);
            return 3;
        }
    }

    if (output_len % 8 != 0) fprintf(stderr, "warning: output is %zu bytes, not whole float64s\n", output_len);
    for (size_t i = 0; i + 8 <= output_len; i += 8) {
        double v;
        memcpy(&v, output_data + i, 8); /* x86-64 and wasm are both little-endian */
        printf("%.17g\n", v);
    }
    printf("# runs=%ld avg_us=%.3f min_us=%.3f\n", repeats, total / (double)repeats, best);
    free(first);
    free(output_data);
    free(input_data);
    return 0;
}
