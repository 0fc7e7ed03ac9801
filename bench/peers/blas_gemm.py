#!/usr/bin/env python3
"""OpenBLAS's sgemm through numpy on the shapes digitnet's GEMM bench measures (`npm run bench -- --gemm`).

Usage: blas_gemm.py MxNxK[T] ... [--seconds S]
A trailing T takes A transposed (stored K x M), as a filter gradient's colᵀ·dy does. Thread count comes from
OPENBLAS_NUM_THREADS; run with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset so that OpenBLAS picks the
machine's own kernels. Prints one JSON line: the library and, per shape, the median GFLOP/s of timed calls.
"""
import ctypes, glob, json, os, sys, time
import numpy as np


def blas_name():
    """'OpenBLAS 0.3.x (core)' from the library numpy links, when it says; else numpy's build info."""
    libs = glob.glob(os.path.join(os.path.dirname(np.__file__), "..", "numpy.libs", "*openblas*"))
    for path in libs:
        lib = ctypes.CDLL(path)
        for cfg, core in (("scipy_openblas_get_config64_", "scipy_openblas_get_corename64_"),
                          ("openblas_get_config64_", "openblas_get_corename64_"), ("openblas_get_config", "openblas_get_corename")):
            if hasattr(lib, cfg) and hasattr(lib, core):
                getattr(lib, cfg).restype = getattr(lib, core).restype = ctypes.c_char_p
                return f"OpenBLAS {getattr(lib, cfg)().decode().split()[1]} ({getattr(lib, core)().decode()} kernels)"
    try:
        return "BLAS " + np.__config__.CONFIG["Build Dependencies"]["blas"]["name"]
    except Exception:
        return "BLAS (unknown)"


def measure(spec, seconds):
    t = spec.endswith("T")
    m, n, k = (int(v) for v in spec.rstrip("T").split("x"))
    rng = np.random.default_rng(0)
    a = rng.random((k, m), dtype=np.float32).T if t else rng.random((m, k), dtype=np.float32)
    b = rng.random((k, n), dtype=np.float32)
    c = np.empty((m, n), dtype=np.float32)
    np.matmul(a, b, out=c)
    rates, start = [], time.perf_counter()
    while len(rates) < 3 or (time.perf_counter() - start < seconds and len(rates) < 200):
        t0 = time.perf_counter()
        np.matmul(a, b, out=c)
        rates.append(2 * m * n * k / (time.perf_counter() - t0) / 1e9)
    return round(float(np.median(rates)), 1)


def main():
    args = sys.argv[1:]
    seconds = 0.5
    if "--seconds" in args:
        i = args.index("--seconds")
        seconds = float(args[i + 1])
        del args[i:i + 2]
    out = {spec: measure(spec, seconds) for spec in args}
    print(json.dumps({"library": f"{blas_name()}, numpy {np.__version__}",
                      "threads": int(os.environ.get("OPENBLAS_NUM_THREADS", "0")) or os.cpu_count(), "gflops": out}))


if __name__ == "__main__":
    main()
