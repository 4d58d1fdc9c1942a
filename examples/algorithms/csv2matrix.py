#!/usr/bin/env python3
"""Converts a numeric CSV into an "f32-matrix" file: uint32 LE rows, uint32 LE cols, then
rows*cols float32 LE, row-major.

    python3 csv2matrix.py digits/data/digits.csv.gz build/digits.bin --drop-last-column
    python3 csv2matrix.py column-stats/data/breast_cancer.csv build/breast_cancer.bin \\
        --skip-header --drop-last-column

A name ending in .gz is read through gzip. Empty lines are ignored; every row must have the
same number of fields. Values are parsed as Python floats (float64) and rounded to float32.
Standard library only.
"""
import argparse
import array
import csv
import gzip
import io
import struct
import sys


def read_rows(path, skip_header, drop_last):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", newline="") as f:
        reader = csv.reader(f)
        rows = []
        for number, fields in enumerate(reader, start=1):
            if skip_header and number == 1:
                continue
            if not fields or all(not x.strip() for x in fields):
                continue
            if drop_last:
                fields = fields[:-1]
            try:
                rows.append([float(x) for x in fields])
            except ValueError as e:
                sys.exit(f"{path}:{number}: {e}")
            if len(rows[-1]) != len(rows[0]):
                sys.exit(f"{path}:{number}: {len(rows[-1])} values, the first row had {len(rows[0])}")
    return rows


def to_matrix(rows):
    cols = len(rows[0]) if rows else 0
    values = array.array("f", (v for row in rows for v in row))
    if sys.byteorder != "little":
        values.byteswap()
    out = io.BytesIO()
    out.write(struct.pack("<II", len(rows), cols))
    out.write(values.tobytes())
    return out.getvalue(), len(rows), cols


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("csv", help="input CSV (.gz allowed)")
    ap.add_argument("output", help="output f32-matrix file")
    ap.add_argument("--skip-header", action="store_true", help="ignore the first line")
    ap.add_argument("--drop-last-column", action="store_true", help="drop each row's last field (a label)")
    args = ap.parse_args()
    data, rows, cols = to_matrix(read_rows(args.csv, args.skip_header, args.drop_last_column))
    with open(args.output, "wb") as f:
        f.write(data)
    print(f"{args.output}: {rows} rows x {cols} columns, {len(data)} bytes")


if __name__ == "__main__":
    main()
