/*
 * column_stats.c — per-column statistics for DML (dml-abi-1).
 *
 * Input:  f32-matrix with 1..256 columns.
 * Output: f64-vector of 5 values per column, columns in order:
 *           count, sum, sum of squares, min, max
 *         so field 5*c + i is statistic i of column c (c0.count, c0.sum, c0.sumsq, c0.min,
 *         c0.max, c1.count, ...). The manifest fixes the column count (30 for its example).
 *
 * Accumulation is in float64, rows in order. Partial results from several devices combine
 * by adding count/sum/sumsq and taking the min of mins and the max of maxes (the
 * manifest's "columnStats" aggregation).
 *
 * The host only accepts finite outputs, and hands the module only finite inputs. So a matrix
 * with no rows is an error (5): it has no finite min or max to report. (Natively, NaN values
 * are skipped — not counted, not summed — and a column of only NaNs reports min +infinity,
 * max -infinity, the identities of the merge.)
 *
 * Memory: the input is read in chunks of at most 64 KiB, whole rows at a time.
 *
 * Errors: 1 = input shorter than the header, 2 = size != 8 + rows*cols*4,
 *         3 = zero or more than 256 columns, 4 = input ended early, 5 = no rows.
 *         Each is logged.
 */
#include "../include/dml_abi.h"

#define MAX_COLS 256
#define STATS 5
#define CHUNK_FLOATS 16384 /* 64 KiB */

static float chunk[CHUNK_FLOATS];
static double out[MAX_COLS * STATS];

DML_ENTRY int32_t run(void) {
    dml_matrix_header header;
    int32_t status = dml_read_matrix_header(&header);
    if (status != DML_OK) return status;
    if (header.cols == 0 || header.cols > MAX_COLS) {
        dml_line line;
        dml_line_init(&line);
        dml_line_str(&line, "column-stats: expected 1 to 256 columns, got ");
        dml_line_u64(&line, header.cols);
        dml_line_log(&line);
        return DML_ERR_COLUMNS;
    }
    if (header.rows == 0) {
        dml_log_str("column-stats: the matrix has no rows");
        return DML_ERR_EMPTY;
    }

    const uint32_t cols = header.cols;
    double count[MAX_COLS], sum[MAX_COLS], sumsq[MAX_COLS], lo[MAX_COLS], hi[MAX_COLS];
    for (uint32_t c = 0; c < cols; c++) {
        count[c] = 0.0;
        sum[c] = 0.0;
        sumsq[c] = 0.0;
        lo[c] = __builtin_inf();
        hi[c] = -__builtin_inf();
    }

    const uint32_t rows_per_chunk = CHUNK_FLOATS / cols;
    const int32_t row_bytes = (int32_t)(cols * sizeof(float));
    uint32_t done = 0;
    while (done < header.rows) {
        uint32_t n = header.rows - done;
        if (n > rows_per_chunk) n = rows_per_chunk;
        int32_t offset = DML_MATRIX_DATA_OFFSET + (int32_t)done * row_bytes;
        int32_t want = (int32_t)n * row_bytes;
        if (dml_read_exact(chunk, offset, want) != want) {
            dml_log_str("column-stats: input ended before the last row");
            return DML_ERR_READ;
        }
        const float *x = chunk;
        for (uint32_t r = 0; r < n; r++, x += cols) {
            for (uint32_t c = 0; c < cols; c++) {
                double v = (double)x[c];
                if (v != v) continue; /* NaN */
                count[c] += 1.0;
                sum[c] += v;
                sumsq[c] += v * v;
                if (v < lo[c]) lo[c] = v;
                if (v > hi[c]) hi[c] = v;
            }
        }
        done += n;
    }

    for (uint32_t c = 0; c < cols; c++) {
        out[STATS * c + 0] = count[c];
        out[STATS * c + 1] = sum[c];
        out[STATS * c + 2] = sumsq[c];
        out[STATS * c + 3] = lo[c];
        out[STATS * c + 4] = hi[c];
    }
    dml_write_f64(out, (int32_t)(cols * STATS));
    return DML_OK;
}
