/*
 * digits.c — a handwritten-digit classifier for DML (dml-abi-1).
 *
 * Input:  f32-matrix with 64 columns: one 8x8 image per row, pixel values 0..16.
 * Output: f64-vector of 10 values: how many rows were predicted as 0, 1, ..., 9.
 *
 * The model is a multinomial logistic regression trained by train.py (weights.h):
 * score_k = sum_j W[k][j] * (x_j / 16) + b[k], computed in float64 with j in order;
 * the label is the first k with the highest score (ties go to the lowest label; NaN
 * scores never win, so an all-NaN row counts as 0).
 *
 * Memory: the input is read in chunks of CHUNK_ROWS rows (32 KiB), so any number of
 * rows fits in the module's initial memory.
 *
 * Errors: 1 = input shorter than the header, 2 = size != 8 + rows*64*4,
 *         3 = column count is not 64, 4 = input ended early. Each is logged.
 */
#include "../include/dml_abi.h"
#include "weights.h"

#define FEATURES 64
#define CLASSES 10
#define CHUNK_ROWS 128

static float chunk[CHUNK_ROWS * FEATURES];

static int predict(const float *x) {
    double best = -__builtin_inf();
    int label = 0;
    for (int k = 0; k < CLASSES; k++) {
        double s = 0.0;
        for (int j = 0; j < FEATURES; j++) s += (double)W[k][j] * ((double)x[j] / 16.0);
        s += (double)b[k];
        if (s > best) {
            best = s;
            label = k;
        }
    }
    return label;
}

DML_ENTRY int32_t run(void) {
    dml_matrix_header header;
    int32_t status = dml_read_matrix_header(&header);
    if (status != DML_OK) return status;
    if (header.cols != FEATURES) {
        dml_line line;
        dml_line_init(&line);
        dml_line_str(&line, "digits: expected 64 columns (8x8 pixels), got ");
        dml_line_u64(&line, header.cols);
        dml_line_log(&line);
        return DML_ERR_COLUMNS;
    }

    double counts[CLASSES];
    for (int k = 0; k < CLASSES; k++) counts[k] = 0.0;

    const int32_t row_bytes = FEATURES * (int32_t)sizeof(float);
    uint32_t done = 0;
    while (done < header.rows) {
        uint32_t n = header.rows - done;
        if (n > CHUNK_ROWS) n = CHUNK_ROWS;
        int32_t offset = DML_MATRIX_DATA_OFFSET + (int32_t)done * row_bytes;
        int32_t want = (int32_t)n * row_bytes;
        if (dml_read_exact(chunk, offset, want) != want) {
            dml_log_str("digits: input ended before the last row");
            return DML_ERR_READ;
        }
        for (uint32_t r = 0; r < n; r++) counts[predict(chunk + r * FEATURES)] += 1.0;
        done += n;
    }

    dml_write_f64(counts, CLASSES);
    return DML_OK;
}
