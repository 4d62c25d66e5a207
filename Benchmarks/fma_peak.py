"""This CPU's single-core FP32 FMA peak, measured: a C loop of independent FMAs, compiled here.

    python Benchmarks/fma_peak.py          # prints GFLOP/s per core, and the vector width used

The loop keeps 16 independent accumulators in zmm registers (12 in ymm), more than FMA latency x
FMA units on any x86 core today, at the widest vectors the CPU runs: 512-bit with AVX-512, else
256-bit with AVX2 + FMA.
It runs at the clock a busy core holds while the benchmark runs, which a VM's /proc/cpuinfo does
not say (session 18's Xeon reported 2300 MHz and ran ONNX Runtime above that clock's peak).
`engine_bench.py` uses it for its "% of peak" columns unless --peak-per-core is given.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile

SOURCE = r"""
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }

// 16 accumulators in the 32 zmm registers; 12 in the 16 ymm ones (with the two constants).
#define CHAINS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13) X(14) X(15)
#define CHAINS12(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)

__attribute__((target("avx512f"))) static float loop512(long n) {
#define DECLARE(i) __m512 a##i = _mm512_set1_ps((float)i);
    CHAINS(DECLARE)
    const __m512 m = _mm512_set1_ps(0.999999f), c = _mm512_set1_ps(1e-6f);
    for (long k = 0; k < n; k++) {
#define STEP(i) a##i = _mm512_fmadd_ps(a##i, m, c);
        CHAINS(STEP)
    }
    float s = 0;
#define SUM(i) s += _mm512_reduce_add_ps(a##i);
    CHAINS(SUM)
    return s;
}

__attribute__((target("avx2,fma"))) static float loop256(long n) {
#define DECLARE8(i) __m256 a##i = _mm256_set1_ps((float)i);
    CHAINS12(DECLARE8)
    const __m256 m = _mm256_set1_ps(0.999999f), c = _mm256_set1_ps(1e-6f);
    for (long k = 0; k < n; k++) {
#define STEP8(i) a##i = _mm256_fmadd_ps(a##i, m, c);
        CHAINS12(STEP8)
    }
    float s = 0, lanes[8];
#define SUM8(i) _mm256_storeu_ps(lanes, a##i); for (int j = 0; j < 8; j++) s += lanes[j];
    CHAINS12(SUM8)
    return s;
}

int main(int argc, char **argv) {
    int wide = argc > 1 && strcmp(argv[1], "512") == 0;
    int lanes = wide ? 16 : 8;
    long n = 1000000;
    double best = 0;
    float sink = 0;
    for (int round = 0; round < 7; round++) {
        double t0 = now();
        sink += wide ? loop512(n) : loop256(n);
        double seconds = now() - t0;
        if (seconds < 0.05) { n *= 4; round--; continue; }
        double gflops = (wide ? 16.0 : 12.0) * lanes * 2 * n / seconds / 1e9;
        if (gflops > best) best = gflops;
    }
    printf("%.1f %d %g\n", best, lanes * 32, sink > 0 ? 0.0 : 1.0);
    return 0;
}
"""


def cpu_flags() -> set[str]:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def measure() -> tuple[float, int] | None:
    """(GFLOP/s of one core, vector bits), or None without a C compiler or AVX2 + FMA."""
    flags = cpu_flags()
    if "avx512f" in flags:
        width = "512"
    elif {"avx2", "fma"} <= flags:
        width = "256"
    else:
        return None
    compiler = shutil.which("cc") or shutil.which("clang") or shutil.which("gcc")
    if compiler is None:
        return None
    with tempfile.TemporaryDirectory(prefix="fma-peak-") as folder:
        source, binary = os.path.join(folder, "peak.c"), os.path.join(folder, "peak")
        with open(source, "w") as f:
            f.write(SOURCE)
        built = subprocess.run([compiler, "-O2", source, "-o", binary], capture_output=True, text=True)
        if built.returncode != 0:
            return None
        ran = subprocess.run([binary, width], capture_output=True, text=True, timeout=60)
        if ran.returncode != 0:
            return None
        gflops, bits, _ = ran.stdout.split()
        return float(gflops), int(bits)


if __name__ == "__main__":
    result = measure()
    if result is None:
        sys.exit("fma_peak: needs a C compiler (cc, clang or gcc) and a CPU with AVX2 + FMA")
    print(f"{result[0]:.1f} GFLOP/s per core ({result[1]}-bit FMA)")
