#!/usr/bin/env python3
"""FedAvg in NumPy, for `dml fl bench`: the weighted average of UPDATES vectors of PARAMETERS
float32 values, timed two ways — np.average (what most code writes) and a float32
matrix-vector product (BLAS sgemv, NumPy's fastest route). Prints one JSON line.

    python3 scripts/bench/fedavg_numpy.py UPDATES PARAMETERS REPEATS
"""
import json
import sys
import time

import numpy as np


def best_of(repeats, fn):
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main():
    updates, parameters, repeats = (int(a) for a in sys.argv[1:4])
    rng = np.random.default_rng(1)
    stack = rng.standard_normal((updates, parameters), dtype=np.float32)
    counts = rng.integers(50, 200, size=updates).astype(np.float32)
    weights = counts / counts.sum()
    average = best_of(repeats, lambda: np.average(stack, axis=0, weights=counts))
    gemv = best_of(repeats, lambda: weights @ stack)
    print(json.dumps({
        "numpy": np.__version__,
        "average_seconds": average,
        "matvec_seconds": gemv,
    }))


if __name__ == "__main__":
    main()
