#!/usr/bin/env python3
"""Measured cost of additive homomorphic encryption (Paillier) for federated averaging.

The comparison point for docs/privacy.md: why the project aggregates model updates with
pairwise masking (Bonawitz et al. 2017) rather than with additive homomorphic encryption.

What it measures, with python-paillier (PyPI `phe`, accelerated by `gmpy2` when present):
  * per ciphertext: key generation, encryption, homomorphic addition, decryption, size;
    at 2048-bit n (with and without gmpy2) and 3072-bit n (with gmpy2);
  * directly, at 2048 bits: one device encrypting P = 1 000 and P = 10 000 parameters
    (one value per ciphertext), and P = 100 000 packed; the server adding 100 devices'
    ciphertexts; the key holder decrypting the sum (checked against the plaintext sum);
  * extrapolated to one round of 100 devices x 100 000 parameters: device encryption,
    upload bytes (against 4 bytes/parameter for masking), server additions, decryption.

Model updates are fixed-point integers: float * 2^16, rounded, held as signed 32-bit, summed
modulo 2^32 as the masking protocol does. "Packed" puts several values in one plaintext:
each slot is 32 + ceil(log2(devices)) bits wide, so the sum of all devices cannot carry into
the next slot; 2047 usable bits / 39 bits = 52 slots at 2048-bit n, 78 at 3072-bit n.

Usage:  python3 scripts/bench/he_cost.py [--quick] [--devices N] [--params P]
If `phe` is not importable, the script makes a virtualenv (HE_VENV, default /tmp/he-venv),
installs `phe` and `gmpy2` from PyPI into it, and re-runs itself there.
Runtime: about 2 minutes on 2 cores (--quick: about 40 s).
"""

import argparse
import math
import os
import platform
import random
import subprocess
import sys
import time

# ---------------------------------------------------------------------------------------------
# Bootstrap: run inside a venv with phe (+ gmpy2) if the current interpreter lacks phe.
# ---------------------------------------------------------------------------------------------
try:
    import phe  # noqa: F401
except ImportError:
    if os.environ.get("HE_COST_BOOTSTRAPPED") == "1":
        sys.exit("he_cost.py: `phe` still not importable inside the venv; see the messages above")
    venv = os.environ.get("HE_VENV", "/tmp/he-venv")
    py = os.path.join(venv, "bin", "python")
    if not os.path.exists(py):
        print(f"# creating virtualenv {venv} (phe, gmpy2 from PyPI)", file=sys.stderr)
        subprocess.check_call([sys.executable, "-m", "venv", venv])
    subprocess.check_call([py, "-m", "pip", "install", "-q", "phe"])
    # gmpy2 is optional: without it phe falls back to Python's pow(), several times slower.
    if subprocess.call([py, "-m", "pip", "install", "-q", "gmpy2"]) != 0:
        print("# gmpy2 could not be installed; measuring pure-Python phe only", file=sys.stderr)
    os.environ["HE_COST_BOOTSTRAPPED"] = "1"
    os.execv(py, [py, os.path.abspath(__file__)] + sys.argv[1:])

from phe import paillier, util  # noqa: E402
from phe.paillier import EncryptedNumber  # noqa: E402

HAVE_GMP = util.HAVE_GMP
FIXED_POINT_SCALE = 1 << 16
MASK_BYTES_PER_PARAM = 4  # masking uploads one uint32 per parameter (plus O(devices) key/share setup)


def set_gmp(on):
    """phe.util consults HAVE_GMP at call time, so this switches gmpy2 on and off."""
    util.HAVE_GMP = bool(on) and HAVE_GMP


# ---------------------------------------------------------------------------------------------
# Environment
# ---------------------------------------------------------------------------------------------
def cpu_model():
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def os_name():
    try:
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    return line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return platform.platform()


def mem_gib():
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) / (1 << 20)
    except OSError:
        pass
    return float("nan")


def environment():
    gmp_version = "not installed"
    if HAVE_GMP:
        import gmpy2

        gmp_version = f"gmpy2 {gmpy2.version()} ({gmpy2.mp_version()})"
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "memory": f"{mem_gib():.0f} GiB",
        "os": os_name(),
        "python": platform.python_version(),
        "phe": getattr(phe, "__version__", "unknown"),
        "gmpy2": gmp_version,
    }


# ---------------------------------------------------------------------------------------------
# Fixed-point model updates and packing
# ---------------------------------------------------------------------------------------------
def fixed_point_update(rng, count):
    """A model update as signed 32-bit fixed-point integers (floats in [-1, 1) * 2^16)."""
    return [int(round(rng.uniform(-1.0, 1.0) * FIXED_POINT_SCALE)) for _ in range(count)]


def to_signed32(x):
    x &= 0xFFFFFFFF
    return x - (1 << 32) if x >= (1 << 31) else x


def slot_bits_for(devices):
    return 32 + max(1, math.ceil(math.log2(devices)))


def slots_per_plaintext(n_bits, devices):
    # Plaintexts must stay below n; use n_bits - 1 bits so any packed value is < n.
    return (n_bits - 1) // slot_bits_for(devices)


def pack(values, slot_bits):
    """Signed int32 values -> one integer; each slot holds the value's uint32 form."""
    acc = 0
    for k, v in enumerate(values):
        acc |= (v & 0xFFFFFFFF) << (slot_bits * k)
    return acc


def unpack(packed, count, slot_bits):
    """Sum of packed plaintexts -> signed int32 per slot (the sum modulo 2^32, as masking)."""
    mask = (1 << slot_bits) - 1
    return [to_signed32((packed >> (slot_bits * k)) & mask) for k in range(count)]


# ---------------------------------------------------------------------------------------------
# Timing helpers
# ---------------------------------------------------------------------------------------------
def clock():
    return time.perf_counter()


def fmt_time(seconds):
    if seconds != seconds:  # NaN
        return "-"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    if seconds < 120:
        return f"{seconds:.1f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def fmt_bytes(b):
    if b < 10_000:
        return f"{b:,.0f} B"
    if b < 10_000_000:
        return f"{b / 1e3:,.0f} kB"
    return f"{b / 1e6:,.1f} MB"


def table(headers, rows):
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------
# Per-ciphertext microbenchmark
# ---------------------------------------------------------------------------------------------
def microbench(n_bits, gmp, samples, rng):
    set_gmp(gmp)
    t = clock()
    pk, sk = paillier.generate_paillier_keypair(n_length=n_bits)
    keygen = clock() - t

    values = fixed_point_update(rng, samples)
    t = clock()
    cts = [pk.encrypt(v) for v in values]
    enc = (clock() - t) / samples

    # Homomorphic addition through phe's API (what a server using the library pays) ...
    adds = 0
    t = clock()
    acc = cts[0]
    while clock() - t < 0.5:
        for c in cts[1:]:
            acc = acc + c
        adds += len(cts) - 1
    add_api = (clock() - t) / adds
    # ... and the bare modular multiplication underneath it (a lower bound).
    raw = [c.ciphertext(be_secure=False) for c in cts]
    nsq = pk.nsquare
    mulmod = util.mulmod
    adds = 0
    t = clock()
    a = raw[0]
    while clock() - t < 0.3:
        for c in raw[1:]:
            a = mulmod(a, c, nsq)
        adds += len(raw) - 1
    add_raw = (clock() - t) / adds

    t = clock()
    dec = [sk.decrypt(c) for c in cts]
    decrypt = (clock() - t) / samples
    assert dec == values, "decryption mismatch"

    ct_bytes = (nsq.bit_length() + 7) // 8
    json_chars = sum(len(str(c.ciphertext())) for c in cts) / len(cts)  # phe's decimal form
    set_gmp(True)
    return {
        "n_bits": n_bits,
        "gmp": bool(gmp and HAVE_GMP),
        "keygen": keygen,
        "enc": enc,
        "add": add_api,
        "add_raw": add_raw,
        "dec": decrypt,
        "ct_bytes": ct_bytes,
        "json_chars": json_chars,
        "samples": samples,
    }


# ---------------------------------------------------------------------------------------------
# Direct measurements (2048-bit, gmpy2 when present)
# ---------------------------------------------------------------------------------------------
_worker_pk = None


def _worker_init(n):
    global _worker_pk
    _worker_pk = paillier.PaillierPublicKey(n)


def _worker_encrypt(values):
    return [_worker_pk.encrypt(v).ciphertext(be_secure=False) for v in values]


def encrypt_parallel(pk, values, workers):
    """Encrypt on all cores, as a phone with several cores could. Returns (cts, wall seconds)."""
    import multiprocessing as mp

    chunks = [values[i::workers] for i in range(workers)]
    ctx = mp.get_context("fork")
    t = clock()
    with ctx.Pool(workers, initializer=_worker_init, initargs=(pk.n,)) as pool:
        parts = pool.map(_worker_encrypt, chunks)
    wall = clock() - t
    out = [None] * len(values)
    for i, part in enumerate(parts):
        out[i::workers] = part
    return [EncryptedNumber(pk, c, 0) for c in out], wall


def device_copies(pk, base_cts, device):
    """Device d's upload, derived cheaply from base ciphertexts: Enc(x) * (1 + n*d) = Enc(x + d).

    Real devices would each encrypt with fresh randomness (that cost is measured separately);
    for timing the server's additions the ciphertexts only need to be valid and distinct.
    """
    n, nsq = pk.n, pk.nsquare
    shift = (1 + n * device) % nsq
    return [EncryptedNumber(pk, (c.ciphertext(be_secure=False) * shift) % nsq, c.exponent) for c in base_cts]


def server_sum(pk, base_cts, devices):
    """Sum `devices` uploads elementwise; times only the homomorphic additions."""
    acc = list(base_cts)  # device 0
    add_time = 0.0
    for d in range(1, devices):
        upload = device_copies(pk, base_cts, d)
        t = clock()
        acc = [a + b for a, b in zip(acc, upload)]
        add_time += clock() - t
    return acc, add_time


def direct_unpacked(pk, sk, params, devices, rng, parallel_workers=1, decrypt_count=None):
    values = fixed_point_update(rng, params)
    if parallel_workers > 1:
        cts, enc_wall = encrypt_parallel(pk, values, parallel_workers)
    else:
        t = clock()
        cts = [pk.encrypt(v) for v in values]
        enc_wall = clock() - t
    acc, add_time = server_sum(pk, cts, devices)
    row = {"params": params, "ciphertexts": params, "enc_wall": enc_wall, "workers": parallel_workers,
           "add": add_time, "additions": (devices - 1) * params}
    k = params if decrypt_count is None else min(decrypt_count, params)
    t = clock()
    sums = [sk.decrypt(c) for c in acc[:k]]
    row["dec"] = clock() - t
    row["decrypted"] = k
    expected = [devices * v + devices * (devices - 1) // 2 for v in values[:k]]
    assert sums == expected, "unpacked sum mismatch"
    return row


def direct_packed(pk, sk, params, devices, rng):
    slot_bits = slot_bits_for(devices)
    slots = slots_per_plaintext(pk.n.bit_length(), devices)
    values = fixed_point_update(rng, params)
    t = clock()
    plaintexts = [pack(values[i:i + slots], slot_bits) for i in range(0, params, slots)]
    pack_time = clock() - t
    t = clock()
    cts = [EncryptedNumber(pk, pk.raw_encrypt(m), 0) for m in plaintexts]
    enc_wall = clock() - t
    # Device d adds d to every slot: Enc(m) * (1 + n * sum_k d << (slot_bits*k)).
    ones = [pack([1] * min(slots, params - i), slot_bits) for i in range(0, params, slots)]
    n, nsq = pk.n, pk.nsquare
    acc = list(cts)
    add_time = 0.0
    for d in range(1, devices):
        upload = [EncryptedNumber(pk, (c.ciphertext(be_secure=False) * ((1 + n * d * o) % nsq)) % nsq, 0)
                  for c, o in zip(cts, ones)]
        t = clock()
        acc = [a + b for a, b in zip(acc, upload)]
        add_time += clock() - t
    t = clock()
    sums_packed = [sk.raw_decrypt(c.ciphertext(be_secure=False)) for c in acc]
    dec = clock() - t
    t = clock()
    sums = []
    for i, s in enumerate(sums_packed):
        sums += unpack(s, min(slots, params - i * slots), slot_bits)
    unpack_time = clock() - t
    expected = [to_signed32(devices * v + devices * (devices - 1) // 2) for v in values]
    assert sums == expected, "packed sum mismatch"
    return {"params": params, "ciphertexts": len(cts), "slots": slots, "enc_wall": enc_wall, "workers": 1,
            "pack": pack_time, "unpack": unpack_time, "add": add_time,
            "additions": (devices - 1) * len(cts), "dec": dec, "decrypted": len(cts)}


# ---------------------------------------------------------------------------------------------
# Extrapolation
# ---------------------------------------------------------------------------------------------
def projection(m, params, devices, packed):
    if packed:
        slots = slots_per_plaintext(m["n_bits"], devices)
        cts = math.ceil(params / slots)
    else:
        slots, cts = 1, params
    upload = cts * m["ct_bytes"]
    return {
        "slots": slots,
        "ciphertexts": cts,
        "device_enc": cts * m["enc"],
        "upload": upload,
        "vs_mask": upload / (params * MASK_BYTES_PER_PARAM),
        "server_add": (devices - 1) * cts * m["add"],
        "server_dec": cts * m["dec"],
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--devices", type=int, default=100, help="devices per round (default 100)")
    ap.add_argument("--params", type=int, default=100_000, help="parameters per update (default 100000)")
    ap.add_argument("--quick", action="store_true", help="skip the P=10000 unpacked run; fewer samples")
    ap.add_argument("--seed", type=int, default=2017)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    started = clock()

    env = environment()
    print("# Additive homomorphic encryption (Paillier) for federated aggregation\n")
    print(f"CPU: {env['cpu']}, {env['cores']} cores, {env['memory']}; {env['os']}")
    print(f"Python {env['python']}; phe {env['phe']}; {env['gmpy2']}; "
          f"gmpy2 used for the main rows: {'yes' if HAVE_GMP else 'no'}")
    print(f"Fixed point: value * 2^16 as signed int32; round: {args.devices} devices x {args.params:,} parameters; "
          f"packed slot = 32 + ceil(log2 {args.devices}) = {slot_bits_for(args.devices)} bits\n")

    # 1. Per-ciphertext costs.
    s = 40 if args.quick else 100
    configs = [(2048, True, s), (3072, True, s // 2)]
    if HAVE_GMP:
        configs.append((2048, False, 10 if args.quick else 20))
    micro = [microbench(bits, gmp, n, rng) for bits, gmp, n in configs]
    print("## Per ciphertext (one core)\n")
    rows = []
    for m in micro:
        rows.append([m["n_bits"], "gmpy2" if m["gmp"] else "pure Python", fmt_time(m["keygen"]), fmt_time(m["enc"]),
                     fmt_time(m["add"]), fmt_time(m["add_raw"]), fmt_time(m["dec"]), f"{m['ct_bytes']} B",
                     f"{m['json_chars']:.0f} chars", m["samples"]])
    print(table(["n bits", "arithmetic", "keygen", "encrypt", "add (phe API)", "add (bare mulmod)", "decrypt",
                 "ciphertext (binary)", "ciphertext (phe JSON)", "samples"], rows))
    print()

    # 2. Direct measurements at 2048 bits.
    set_gmp(True)
    pk, sk = paillier.generate_paillier_keypair(n_length=2048)
    direct = []
    label = []
    direct.append(direct_unpacked(pk, sk, 1_000, args.devices, rng))
    label.append("unpacked")
    if not args.quick:
        workers = max(1, os.cpu_count() or 1)
        direct.append(direct_unpacked(pk, sk, 10_000, args.devices, rng, parallel_workers=workers,
                                      decrypt_count=1_000))
        label.append("unpacked")
    packed_params = args.params if not args.quick else min(args.params, 20_000)
    direct.append(direct_packed(pk, sk, packed_params, args.devices, rng))
    label.append(f"packed x{direct[-1]['slots']}")
    print(f"## Measured directly (2048-bit n, {'gmpy2' if HAVE_GMP else 'pure Python'}; "
          f"{args.devices} devices; sums checked against the plaintext sums)\n")
    rows = []
    for lab, r in zip(label, direct):
        enc = fmt_time(r["enc_wall"]) + (f" on {r['workers']} cores" if r["workers"] > 1 else "")
        dec = fmt_time(r["dec"]) + ("" if r["decrypted"] == r["ciphertexts"]
                                    else f" for {r['decrypted']:,} of {r['ciphertexts']:,} (all: "
                                         f"{fmt_time(r['dec'] * r['ciphertexts'] / r['decrypted'])})")
        per_ct = fmt_time(r["enc_wall"] * r["workers"] / r["ciphertexts"])
        rows.append([f"{r['params']:,}", lab, f"{r['ciphertexts']:,}", enc, per_ct,
                     f"{fmt_time(r['add'])} ({r['additions']:,} adds)", dec])
    print(table(["P", "encoding", "ciphertexts per device", "one device encrypts", "core time per ciphertext",
                 "server adds all devices", "key holder decrypts the sum"], rows))
    packed_row = direct[-1]
    print(f"\n(packing {packed_row['params']:,} values took {fmt_time(packed_row['pack'])}, "
          f"unpacking the sum {fmt_time(packed_row['unpack'])})\n")

    # 3. Extrapolation to one round.
    P, N = args.params, args.devices
    print(f"## One round: {N} devices x {P:,} parameters (from the per-ciphertext costs above; one core)\n")
    rows = []
    for m in micro:
        for packed in (False, True):
            p = projection(m, P, N, packed)
            rows.append([m["n_bits"], "gmpy2" if m["gmp"] else "pure Python",
                         f"packed x{p['slots']}" if packed else "unpacked", f"{p['ciphertexts']:,}",
                         fmt_time(p["device_enc"]), fmt_bytes(p["upload"]), f"{p['vs_mask']:.1f}x",
                         fmt_time(p["server_add"]), fmt_time(p["server_dec"])])
    print(table(["n bits", "arithmetic", "encoding", "ciphertexts per device", "device encrypts",
                 "device uploads", f"upload vs masking ({fmt_bytes(P * MASK_BYTES_PER_PARAM)})",
                 "server adds", "key holder decrypts"], rows))
    print(f"\nMasking uploads {MASK_BYTES_PER_PARAM} B/parameter ({fmt_bytes(P * MASK_BYTES_PER_PARAM)}) "
          f"plus a per-round key/share exchange that grows with the number of devices, not with P.")
    print("Not included above: threshold key generation and partial decryptions, which a deployment without a "
          "single trusted key holder would need (phe has no threshold variant).")
    print(f"\nTotal runtime {fmt_time(clock() - started)}.")


if __name__ == "__main__":
    main()
