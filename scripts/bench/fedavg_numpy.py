#!/usr/bin/env python3
"""FedAvg in NumPy, for `dml fl bench`: the weighted average of UPDATES vectors of PARAMETERS
float32 values, timed three ways — as Flower's server aggregates (one array per device, each
multiplied by its example count, summed with functools.reduce(np.add), divided by the total),
np.average over the updates already stacked in one matrix, and a float32 matrix-vector product
on that matrix (BLAS sgemv, NumPy's fastest route). Prints one JSON line.

    python3 scripts/bench/fedavg_numpy.py UPDATES PARAMETERS REPEATS
"""
import functools
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
    separate = [stack[i].copy() for i in range(updates)]

    def flower():
        # flwr.server.strategy.aggregate.aggregate, for one layer.
        weighted = [array * count for array, count in zip(separate, counts)]
        return functools.reduce(np.add, weighted) / counts.sum()

    flower_seconds = best_of(repeats, flower)
    average = best_of(repeats, lambda: np.average(stack, axis=0, weights=counts))
    gemv = best_of(repeats, lambda: weights @ stack)
    print(json.dumps({
        "numpy": np.__version__,
        "flower_seconds": flower_seconds,
        "average_seconds": average,
        "matvec_seconds": gemv,
    }))


if __name__ == "__main__":
    main()
