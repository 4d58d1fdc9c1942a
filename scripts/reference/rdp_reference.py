#!/usr/bin/env python3
"""Reference values for DMLLearning's RDP accountant (Sources/DMLLearning/Privacy/RDPAccountant.swift).

Computed with Google's `dp-accounting` package (the accountant TensorFlow Privacy now uses), so
that anyone can check the numbers that Tests/DMLLearningTests/PrivacyAccountantTests.swift
expects. Run:

    python3 -m venv /tmp/dpvenv && /tmp/dpvenv/bin/pip install dp-accounting
    /tmp/dpvenv/bin/python scripts/reference/rdp_reference.py

Every setting uses TensorFlow Privacy's `compute_dp_sgd_privacy` orders (the accountant's
default), Poisson sampling at rate q, noise multiplier sigma, `steps` compositions; the
classic block uses the 2019 MNIST tutorial's own orders and Mironov's original conversion, to
show where TensorFlow Privacy's published 1.03 / 1.11 / 3.01 / 1.19 / 7.10 come from. Printed
with dp-accounting 0.6.0 (numpy 2.4, scipy 1.17, Python 3.11), in about 3 seconds:

    == one step: RDP of the Poisson-subsampled Gaussian at a few orders ==
    q=1.0 sigma=5.0 order=1.25 rdp=0.025
    q=1.0 sigma=5.0 order=2.5 rdp=0.05
    q=1.0 sigma=5.0 order=8 rdp=0.16
    q=1.0 sigma=5.0 order=32 rdp=0.64
    q=1.0 sigma=5.0 order=256 rdp=5.12
    q=0.01 sigma=1.0 order=1.25 rdp=0.00011183742349322766
    q=0.01 sigma=1.0 order=2.5 rdp=0.00021777202424064354
    q=0.01 sigma=1.0 order=8 rdp=0.000893643907606041
    q=0.01 sigma=1.0 order=32 rdp=11.246275937048072
    q=0.01 sigma=1.0 order=256 rdp=123.37677032308648
    q=0.02 sigma=0.7 order=1.25 rdp=0.0017600802286627374
    q=0.02 sigma=0.7 order=2.5 rdp=0.003900133190659191
    q=0.02 sigma=0.7 order=8 rdp=3.6924168890239115
    q=0.02 sigma=0.7 order=32 rdp=28.614843928563975
    q=0.02 sigma=0.7 order=256 rdp=257.2971255238023
    q=0.001 sigma=2.0 order=1.25 rdp=1.7813725841122458e-07
    q=0.001 sigma=2.0 order=2.5 rdp=3.5508708383975417e-07
    q=0.001 sigma=2.0 order=8 rdp=1.138223717715796e-06
    q=0.001 sigma=2.0 order=32 rdp=4.587314898547158e-06
    q=0.001 sigma=2.0 order=256 rdp=25.0651554846297
    == epsilon after composition (improved conversion) ==
    full batch (q=1): q=1.0 sigma=5.0 steps=50 delta=1e-05 epsilon=7.087861628831665 order=4.0
    typical: q=0.01 sigma=1.0 steps=1000 delta=1e-05 epsilon=2.1077530754515745 order=8.0
    fractional order: q=0.02 sigma=0.7 steps=2000 delta=1e-05 epsilon=14.353863912949773 order=2.5
    small q: q=0.001 sigma=2.0 steps=10000 delta=1e-05 epsilon=0.20127230462931398 order=54.0
    MNIST tutorial: q=0.004266666666666667 sigma=1.1 steps=14063 delta=1e-05 epsilon=2.5970795196566616 order=8.0
    large epsilon (TF Privacy Test2): q=1.024e-05 sigma=0.1 steps=976563 delta=1e-07 epsilon=5907982.3113978775 order=1.25
    == TF Privacy MNIST tutorial, classic conversion, the tutorial's orders ==
    epochs=1 sigma=1.1 steps=234 epsilon=1.034022807083226 published=1.03
    epochs=2 sigma=1.1 steps=468 epsilon=1.1086351587522665 published=1.11
    epochs=60 sigma=1.1 steps=14062 epsilon=3.0082720891050823 published=3.01
    epochs=15 sigma=1.3 steps=3515 epsilon=1.1921299645498726 published=1.19
    epochs=45 sigma=0.7 steps=10546 epsilon=7.1012624875156565 published=7.10
    == smallest noise multiplier meeting a target (bisection to 1e-9) ==
    target=3.0 delta=1e-05 q=0.004266666666666667 steps=14063 sigma=1.0144943028676787
    target=1.0 delta=1e-05 q=0.01 steps=1000 sigma=1.5131221626866318
    target=2.0 delta=1e-05 q=1.0 steps=10 sigma=6.797880198351924
"""

import math

import dp_accounting
from dp_accounting.rdp import rdp_privacy_accountant as rdp

# TensorFlow Privacy's compute_dp_sgd_privacy_lib orders; RDPAccountant.defaultOrders.
ORDERS = (
    [1.25, 1.5, 1.75, 2.0, 2.25, 2.5, 3.0, 3.5, 4.0, 4.5]
    + list(range(5, 64))
    + [128, 256, 512]
)

# The orders of TF Privacy's MNIST tutorial (mnist_dpsgd_tutorial.py, 2019), used with the
# classic conversion to reproduce the epsilons published in tutorials/README.md.
TUTORIAL_ORDERS = [1 + x / 10.0 for x in range(1, 100)] + list(range(12, 64))


def epsilon(q, sigma, steps, delta, orders=ORDERS):
    accountant = dp_accounting.rdp.RdpAccountant(orders)
    event = dp_accounting.PoissonSampledDpEvent(q, dp_accounting.GaussianDpEvent(sigma))
    accountant.compose(event, steps)
    eps, order = accountant.get_epsilon_and_optimal_order(delta)
    return float(eps), float(order)


def one_step_rdp(q, sigma, order):
    return float(rdp._compute_rdp_poisson_subsampled_gaussian(q, sigma, [order])[0])


def classic_epsilon(q, sigma, steps, delta, orders):
    """Mironov 2017, Proposition 3: min over orders of rdp - log(delta) / (order - 1)."""
    values = rdp._compute_rdp_poisson_subsampled_gaussian(q, sigma, orders) * steps
    return float(min(r - math.log(delta) / (a - 1) for a, r in zip(orders, values)))


def smallest_sigma(target, delta, q, steps):
    lo, hi = 0.01, 100.0
    while hi - lo > 1e-9 * hi:
        mid = (lo + hi) / 2
        if epsilon(q, mid, steps, delta)[0] <= target:
            hi = mid
        else:
            lo = mid
    return hi


def main():
    print("== one step: RDP of the Poisson-subsampled Gaussian at a few orders ==")
    for q, sigma in [(1.0, 5.0), (0.01, 1.0), (0.02, 0.7), (0.001, 2.0)]:
        for order in [1.25, 2.5, 8, 32, 256]:
            print(f"q={q!r} sigma={sigma!r} order={order!r} "
                  f"rdp={one_step_rdp(q, sigma, order)!r}")

    print("== epsilon after composition (improved conversion) ==")
    mnist_steps = math.ceil(60 * 60000 / 256)
    test2_steps = math.ceil(10 * 100000000 / 1024)
    for name, q, sigma, steps, delta in [
        ("full batch (q=1)", 1.0, 5.0, 50, 1e-5),
        ("typical", 0.01, 1.0, 1000, 1e-5),
        ("fractional order", 0.02, 0.7, 2000, 1e-5),
        ("small q", 0.001, 2.0, 10000, 1e-5),
        ("MNIST tutorial", 256 / 60000, 1.1, mnist_steps, 1e-5),
        ("large epsilon (TF Privacy Test2)", 1024 / 100000000, 0.1, test2_steps, 1e-7),
    ]:
        eps, order = epsilon(q, sigma, steps, delta)
        print(f"{name}: q={q!r} sigma={sigma!r} steps={steps} delta={delta!r} "
              f"epsilon={eps!r} order={order!r}")

    print("== TF Privacy MNIST tutorial, classic conversion, the tutorial's orders ==")
    for epochs, sigma, published in [(1, 1.1, "1.03"), (2, 1.1, "1.11"), (60, 1.1, "3.01"),
                                     (15, 1.3, "1.19"), (45, 0.7, "7.10")]:
        steps = epochs * 60000 // 256
        eps = classic_epsilon(256 / 60000, sigma, steps, 1e-5, TUTORIAL_ORDERS)
        print(f"epochs={epochs} sigma={sigma!r} steps={steps} epsilon={eps!r} "
              f"published={published}")

    print("== smallest noise multiplier meeting a target (bisection to 1e-9) ==")
    for target, delta, q, steps in [(3.0, 1e-5, 256 / 60000, mnist_steps),
                                    (1.0, 1e-5, 0.01, 1000), (2.0, 1e-5, 1.0, 10)]:
        sigma = smallest_sigma(target, delta, q, steps)
        print(f"target={target!r} delta={delta!r} q={q!r} steps={steps} "
              f"sigma={sigma!r}")


if __name__ == "__main__":
    main()
