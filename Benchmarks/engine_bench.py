"""Benchmark the RadLens ONNX engine against ONNX Runtime on the same .onnx files.

    .venv-test/bin/python Benchmarks/engine_bench.py [--quick] [--json FILE] [--models ...]
                                                    [--size 224] [--threads 1 2] [--batches 1 16]
                                                    [--peak-per-core GFLOPS] [--radlens PATH] [--rounds 3]
                                                    [--kernels avx2]

Models (default): Models/cxr-pneumonia/model.onnx if it exists (at its fixed input size from
Models/cxr-pneumonia/manifest.json `input.height/width`), and the engine fixtures resnet18-c1, densenet121-c1, mobilenet_v2-c1,
small_cnn-c1 from Tests/Fixtures/models/ at 224x224 (they end in global pooling, so any H, W).

For each model x threads x batch (RadLens timed twice: `--precision fp32` and `--precision fast`),
in --rounds rounds (default 3) that alternate ORT, RadLens fp32 and RadLens fast, each engine
keeping its best round (a burst of load elsewhere on the machine only ever slows a run down);
together the rounds time each engine for about 2 s (--quick: 0.5 s):
* ONNX Runtime: CPU provider, intra_op_num_threads=threads, inter_op_num_threads=1, sequential
  execution, default graph optimisations; warm-up, then iterations for the round's time.
* RadLens: `.build/release/radlens model bench MODEL --batch N --threads T --height H --width W
  --seconds S --format json` (JSON with imagesPerSecond, gflops, flopsPerImage, threads, batch,
  precision).
  When the binary is missing or the command fails, the row says why and the ORT numbers stand.
* FLOPs per image are counted here from the ONNX graph, independently of RadLens
  (Conv: 2*Cout*Hout*Wout*(Cin/groups)*kh*kw; Gemm/MatMul: 2*M*N*K; other ops ignored), with
  onnx.shape_inference when the `onnx` package is importable, else from the tensor shapes that an
  ONNX Runtime profiling run records per node (graph optimisations off, so the nodes are the
  file's own).
* % of peak: achieved GFLOP/s / (peak per core x threads). The peak per core is measured at the
  start by `fma_peak.py` (a C loop of independent FMAs at the CPU's widest vectors, compiled with
  cc; 174-176 GFLOP/s on session 19's Xeon at 512-bit), or given with --peak-per-core; without a
  C compiler it falls back to 117, a Zen 4 core's, and says so.

Does not import torch (the test venv has numpy + onnxruntime only).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnxruntime as ort

import fma_peak

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(REPO, "Tests", "Fixtures", "models")
SHIPPED = os.path.join(REPO, "Models", "cxr-pneumonia", "model.onnx")
SHIPPED_MANIFEST = os.path.join(REPO, "Models", "cxr-pneumonia", "manifest.json")
DEFAULT_FIXTURES = ("resnet18-c1", "densenet121-c1", "mobilenet_v2-c1", "small_cnn-c1")
DEFAULT_RADLENS = os.path.join(REPO, ".build", "release", "radlens")
FALLBACK_PEAK_PER_CORE = 117.0   # GFLOP/s, a Zen 4 core's FP32 FMA peak, when fma_peak.py cannot measure this CPU's


# --------------------------------------------------------------------------------------------
# Input-shape override without the `onnx` package (ONNX Runtime rejects an H, W other than the
# file's declared static input dims). Minimal protobuf wire-format editing of ModelProto:
#   ModelProto.graph = 7; GraphProto.input = 11, value_info = 13; ValueInfoProto.name = 1,
#   type = 2; TypeProto.tensor_type = 1; TypeProto.Tensor.shape = 2; TensorShapeProto.dim = 1;
#   Dimension.dim_value = 1 (int64), dim_param = 2 (string).

def _varint(buf: bytes, i: int):
    shift = result = 0
    while True:
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, i
        shift += 7


def _enc_varint(v: int) -> bytes:
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _fields(buf: bytes):
    """Yield (field, wiretype, raw_bytes_of_whole_field, payload) for one message."""
    i, n = 0, len(buf)
    while i < n:
        start = i
        key, i = _varint(buf, i)
        field, wt = key >> 3, key & 7
        if wt == 0:
            v, i = _varint(buf, i)
            payload = v
        elif wt == 1:
            payload = buf[i:i + 8]; i += 8
        elif wt == 2:
            ln, i = _varint(buf, i)
            payload = buf[i:i + ln]; i += ln
        elif wt == 5:
            payload = buf[i:i + 4]; i += 4
        else:
            raise ValueError(f"unsupported protobuf wire type {wt}")
        yield field, wt, buf[start:i], payload


def _ld(field: int, payload: bytes) -> bytes:
    return _enc_varint((field << 3) | 2) + _enc_varint(len(payload)) + payload


def _rewrite_value_info(vi: bytes, dims: list) -> bytes:
    out = bytearray()
    for f, wt, raw, pl in _fields(vi):
        if f == 2 and wt == 2:                                    # TypeProto
            t_out = bytearray()
            for f2, wt2, raw2, pl2 in _fields(pl):
                if f2 == 1 and wt2 == 2:                          # tensor_type
                    tt_out = bytearray()
                    for f3, wt3, raw3, pl3 in _fields(pl2):
                        if f3 == 2 and wt3 == 2:                  # shape -> replaced below
                            continue
                        tt_out += raw3
                    shape = b"".join(_ld(1, (_enc_varint(1 << 3) + _enc_varint(d)) if isinstance(d, int)
                                         else _ld(2, d.encode())) for d in dims)
                    tt_out += _ld(2, shape)
                    t_out += _ld(1, bytes(tt_out))
                else:
                    t_out += raw2
            out += _ld(2, bytes(t_out))
        else:
            out += raw
    return bytes(out)


def with_input_shape(path: str, input_name: str, dims: list) -> bytes:
    """The model's bytes with input `input_name` declared as `dims` (ints or names) and
    graph.value_info dropped (it may hold shapes derived from the old input size)."""
    with open(path, "rb") as f:
        buf = f.read()
    out = bytearray()
    for f, wt, raw, pl in _fields(buf):
        if f == 7 and wt == 2:                                    # graph
            g_out = bytearray()
            for f2, wt2, raw2, pl2 in _fields(pl):
                if f2 == 13:                                      # value_info
                    continue
                if f2 == 11 and wt2 == 2:
                    name = next((p for ff, w, _, p in _fields(pl2) if ff == 1 and w == 2), b"")
                    if name.decode() == input_name:
                        g_out += _ld(11, _rewrite_value_info(pl2, dims))
                        continue
                g_out += raw2
            out += _ld(7, bytes(g_out))
        else:
            out += raw
    return bytes(out)


def session(path: str, in_shape, so: ort.SessionOptions) -> ort.InferenceSession:
    """An ORT session that accepts input shape in_shape (batch axis kept dynamic)."""
    probe = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    inp = probe.get_inputs()[0]
    declared = list(inp.shape)
    del probe
    if all(not isinstance(d, int) or d == v for d, v in zip(declared[1:], in_shape[1:])):
        return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    dims = [declared[0] if not isinstance(declared[0], int) else "N"] + [int(v) for v in in_shape[1:]]
    return ort.InferenceSession(with_input_shape(path, inp.name, dims), so, providers=["CPUExecutionProvider"])


# --------------------------------------------------------------------------------------------
# FLOP counting

def _conv_flops(w_shape, out_shape) -> int:
    # w: [Cout, Cin/groups, kh, kw, ...]; out: [N, Cout, Hout, Wout, ...] -> per image
    cout, cin_g = w_shape[0], w_shape[1]
    k = int(np.prod(w_shape[2:])) if len(w_shape) > 2 else 1
    spatial = int(np.prod(out_shape[2:])) if len(out_shape) > 2 else 1
    return 2 * cout * spatial * cin_g * k


def _matmul_flops(a_shape, b_shape, out_shape, op: str, attrs: dict, batch: int) -> int:
    if op == "Gemm":
        a = list(a_shape)
        if attrs.get("transA", 0):
            a = a[::-1]
        m, k = a[0], a[1]
        n = out_shape[-1]
        return 2 * m * n * k // batch
    # MatMul with numpy broadcasting: out [..., M, N], K = a[-1]
    k = a_shape[-1]
    total = int(np.prod(out_shape)) * k * 2
    return total // batch


def flops_onnx(path: str, in_shape) -> tuple:
    """Per-image FLOPs with onnx.shape_inference (batch 1)."""
    import onnx
    from onnx import shape_inference
    m = onnx.load(path)
    inits = {t.name: list(t.dims) for t in m.graph.initializer}
    real_inputs = [i for i in m.graph.input if i.name not in inits]
    dims = real_inputs[0].type.tensor_type.shape.dim
    for d, v in zip(dims, in_shape):
        d.ClearField("dim_param")
        d.dim_value = int(v)
    m = shape_inference.infer_shapes(m, strict_mode=True)
    shapes = dict(inits)
    for vi in list(m.graph.value_info) + list(m.graph.input) + list(m.graph.output):
        shapes.setdefault(vi.name, [d.dim_value for d in vi.type.tensor_type.shape.dim])
    total, by_op = 0, {}
    for n in m.graph.node:
        if n.op_type not in ("Conv", "Gemm", "MatMul"):
            continue
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute}
        out = shapes[n.output[0]]
        if n.op_type == "Conv":
            f = _conv_flops(shapes[n.input[1]], out)
        else:
            f = _matmul_flops(shapes[n.input[0]], shapes[n.input[1]], out, n.op_type, attrs, in_shape[0])
        total += f
        by_op[n.op_type] = by_op.get(n.op_type, 0) + f
    return total, by_op


def flops_ort_profile(path: str, in_shape) -> tuple:
    """Per-image FLOPs from the per-node shapes of an ORT profiling run (no `onnx` needed)."""
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.enable_profiling = True
    tmp = tempfile.mkdtemp(prefix="radlens-bench-prof-")
    so.profile_file_prefix = os.path.join(tmp, "prof")
    try:
        sess = session(path, in_shape, so)
        inp = sess.get_inputs()[0]
        sess.run(None, {inp.name: np.zeros(in_shape, np.float32)})
        prof = sess.end_profiling()
        with open(prof) as f:
            events = json.load(f)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    total, by_op, seen = 0, {}, set()
    for e in events:
        if e.get("cat") != "Node" or not e.get("name", "").endswith("_kernel_time"):
            continue
        args = e.get("args", {})
        op = args.get("op_name")
        if op not in ("Conv", "Gemm", "MatMul") or e["name"] in seen:
            continue
        seen.add(e["name"])
        ins = [list(d.values())[0] for d in args.get("input_type_shape", [])]
        outs = [list(d.values())[0] for d in args.get("output_type_shape", [])]
        if op == "Conv":
            f = _conv_flops(ins[1], outs[0])
        else:
            # Gemm attributes are not in the profile: K from A's last dim (transA is not used
            # by any exporter we know of), N from the output.
            f = _matmul_flops(ins[0], ins[1], outs[0], "MatMul", {}, in_shape[0])
        total += f
        by_op[op] = by_op.get(op, 0) + f
    return total, by_op


def count_flops(path: str, in_shape) -> tuple:
    try:
        import onnx  # noqa: F401
    except ImportError:
        f, by = flops_ort_profile(path, in_shape)
        return f, by, "ort-profile"
    f, by = flops_onnx(path, in_shape)
    return f, by, "onnx.shape_inference"


# --------------------------------------------------------------------------------------------
# timing

def ort_session(path: str, in_shape, threads: int):
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    sess = session(path, in_shape, so)
    x = np.random.default_rng(0).uniform(-1, 1, size=in_shape).astype(np.float32)
    return sess, {sess.get_inputs()[0].name: x}


def ort_time(sess, feeds: dict, batch: int, min_time: float, warmup: int) -> dict:
    for _ in range(warmup):
        sess.run(None, feeds)
    times = []
    t_start = time.perf_counter()
    while True:
        t0 = time.perf_counter()
        sess.run(None, feeds)
        times.append(time.perf_counter() - t0)
        if time.perf_counter() - t_start >= min_time and len(times) >= 3:
            break
    total = sum(times)
    return {"images_per_s": batch * len(times) / total, "iterations": len(times),
            "median_ms": 1000 * float(np.median(times)), "seconds": total}


def radlens_bench(binary: str, path: str, batch: int, threads: int, h: int, w: int,
                  precision: str | None, seconds: float, timeout: float, kernels: str | None = None) -> dict:
    if not os.path.isfile(binary) or not os.access(binary, os.X_OK):
        return {"error": f"binary not found: {os.path.relpath(binary, REPO)} (swift build -c release)"}
    cmd = [binary, "model", "bench", path, "--batch", str(batch), "--threads", str(threads),
           "--height", str(h), "--width", str(w), "--seconds", str(seconds), "--format", "json"]
    if precision:
        cmd += ["--precision", precision]
    if kernels:
        cmd += ["--kernels", kernels]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s: {' '.join(cmd)}"}
    if p.returncode != 0:
        msg = (p.stderr.strip() or p.stdout.strip()).splitlines()
        return {"error": f"exit {p.returncode}: {msg[-1][:160] if msg else '(no output)'}"}
    out = p.stdout
    try:
        data = json.loads(out[out.index("{"): out.rindex("}") + 1])
    except ValueError:
        return {"error": f"no JSON in output: {out.strip()[:160]!r}"}
    if "imagesPerSecond" not in data:
        return {"error": f"JSON without imagesPerSecond: {sorted(data)}"}
    return data


# --------------------------------------------------------------------------------------------

def model_list(args) -> list:
    """[(label, path, C, H, W, is_shipped)]"""
    out = []
    if args.models:
        for m in args.models:
            path = m if m.endswith(".onnx") else os.path.join(FIXTURES, f"{m}.onnx")
            out.append((os.path.basename(path)[:-5], path, None, args.size, args.size, False))
    else:
        if os.path.isfile(SHIPPED):
            h = w = None
            try:
                with open(SHIPPED_MANIFEST) as f:
                    inp = json.load(f)["input"]
                h, w = int(inp["height"]), int(inp["width"])
            except (OSError, KeyError, ValueError, TypeError) as e:
                print(f"note: cannot read input.height/width from {SHIPPED_MANIFEST} ({e!r}); "
                      f"using the model's own input shape")
            out.append(("cxr-pneumonia", SHIPPED, None, h, w, True))
        else:
            print(f"note: {os.path.relpath(SHIPPED, REPO)} not found; benchmarking the fixtures only")
        for m in DEFAULT_FIXTURES:
            out.append((m, os.path.join(FIXTURES, f"{m}.onnx"), None, args.size, args.size, False))
    resolved = []
    for label, path, _, h, w, shipped in out:
        if not os.path.isfile(path):
            print(f"note: {path} missing, skipped (make it with Training/make_engine_fixtures.py)")
            continue
        s = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        shape = s.get_inputs()[0].shape
        c = shape[1] if isinstance(shape[1], int) else 1
        if h is None:
            h = shape[2] if isinstance(shape[2], int) else args.size
        if w is None:
            w = shape[3] if isinstance(shape[3], int) else args.size
        resolved.append((label, path, c, h, w, shipped))
    return resolved


def fmt(v, spec):
    return "-" if v is None else format(v, spec)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer iterations (>= 0.5 s per row instead of 2 s)")
    ap.add_argument("--json", metavar="FILE", help="also write the rows as JSON")
    ap.add_argument("--models", nargs="+", help="fixture names (e.g. resnet18-c1) or .onnx paths")
    ap.add_argument("--size", type=int, default=224, help="H = W for the fixture models (default 224)")
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--batches", type=int, nargs="+", default=[1, 16])
    ap.add_argument("--peak-per-core", type=float,
                    help="FP32 FMA peak GFLOP/s per core (default: measured by fma_peak.py)")
    ap.add_argument("--radlens", default=DEFAULT_RADLENS, help="path of the radlens binary")
    ap.add_argument("--no-radlens", action="store_true", help="time ONNX Runtime only")
    ap.add_argument("--timeout", type=float, default=600.0, help="per radlens call, seconds")
    ap.add_argument("--kernels", choices=["avx512", "avx2", "generic"],
                    help="RadLens kernel level (default: the best this CPU runs; ONNX Runtime always keeps its best)")
    ap.add_argument("--rounds", type=int, default=3,
                    help="alternate the engines this many times per row and keep each one's best (default 3)")
    args = ap.parse_args()
    rounds = max(1, args.rounds)
    # Per round and engine; the whole row times each engine for about 2 s (0.5 s with --quick).
    min_time = (0.5 if args.quick else 2.0) / rounds
    warmup = 1 if args.quick else 3

    if args.peak_per_core is not None:
        peak_source = "given with --peak-per-core"
    elif (measured := fma_peak.measure()) is not None:
        args.peak_per_core, peak_source = measured[0], f"measured by fma_peak.py's {measured[1]}-bit FMA loop"
    else:
        args.peak_per_core, peak_source = FALLBACK_PEAK_PER_CORE, "NOT this CPU's: a Zen 4 core's, since fma_peak.py could not measure it"
    print(f"ONNX Runtime {ort.__version__}, numpy {np.__version__}, {os.cpu_count()} CPUs; "
          f"peak {args.peak_per_core:.1f} GFLOP/s per core (FP32 FMA, {peak_source})")
    try:
        print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())} (other processes skew timings)")
    except OSError:
        pass
    have_radlens = not args.no_radlens and os.path.isfile(args.radlens)
    if args.no_radlens:
        print("RadLens: skipped (--no-radlens)")
    elif not have_radlens:
        print(f"RadLens: binary {args.radlens} not found (build it: swift build -c release); "
              f"printing ONNX Runtime numbers only")

    rows = []
    for label, path, c, h, w, shipped in model_list(args):
        flops, by_op, method = count_flops(path, (1, c, h, w))
        print(f"\n{label}: {os.path.relpath(path, REPO)}, input {c}x{h}x{w}, "
              f"{flops / 1e9:.3f} GFLOP/image (" + ", ".join(f"{k} {v / 1e9:.3f}" for k, v in by_op.items())
              + f"; counted with {method})")
        precisions = ["fp32", "fast"]  # fast: Winograd for 3x3 stride-1 convolutions
        for t in args.threads:
            for b in args.batches:
                # Rounds alternate ORT, RadLens fp32 and RadLens fast, so a burst of load from
                # elsewhere on the machine slows one round of each rather than one engine's whole
                # measurement; each engine keeps its best round (load only ever slows a run down).
                sess, feeds = ort_session(path, (b, c, h, w), t)
                r = None
                results = {prec: None for prec in precisions}
                for _ in range(rounds):
                    o = ort_time(sess, feeds, b, min_time, warmup)
                    if r is None or o["images_per_s"] > r["images_per_s"]:
                        r = o
                    for prec in precisions:
                        if have_radlens:
                            x = radlens_bench(args.radlens, path, b, t, h, w, prec, min_time, args.timeout, args.kernels)
                        else:
                            x = {"error": "skipped" if args.no_radlens else "binary not found"}
                        best = results[prec]
                        if best is None or "error" in best or (
                                "error" not in x and float(x["imagesPerSecond"]) > float(best["imagesPerSecond"])):
                            results[prec] = x
                del sess
                for prec in precisions:
                    row = {"model": label, "path": os.path.relpath(path, REPO), "height": h, "width": w,
                           "channels": c, "threads": t, "batch": b, "flops_per_image": flops,
                           "precision": prec or "default",
                           "ort_images_per_s": r["images_per_s"], "ort_iterations": r["iterations"],
                           "ort_median_ms": r["median_ms"],
                           "ort_gflops": r["images_per_s"] * flops / 1e9}
                    row["ort_pct_peak"] = 100 * row["ort_gflops"] / (args.peak_per_core * t)
                    rl = results[prec]
                    if "error" in rl:
                        row["radlens_error"] = rl["error"]
                        if have_radlens:
                            print(f"  RadLens failed ({label} t{t} b{b}{' ' + prec if prec else ''}): {rl['error']}")
                    else:
                        ips = float(rl["imagesPerSecond"])
                        row["radlens_images_per_s"] = ips
                        row["radlens_gflops"] = ips * flops / 1e9        # with our FLOP count
                        row["radlens_reported_gflops"] = rl.get("gflops")
                        row["radlens_flops_per_image"] = rl.get("flopsPerImage")
                        row["radlens_precision"] = rl.get("precision")
                        row["radlens_pct_peak"] = 100 * row["radlens_gflops"] / (args.peak_per_core * t)
                        row["ratio"] = ips / row["ort_images_per_s"]
                        rf = rl.get("flopsPerImage")
                        if rf and abs(float(rf) - flops) > 0.01 * flops:
                            print(f"  note: RadLens counts {float(rf) / 1e9:.3f} GFLOP/image, this script {flops / 1e9:.3f}")
                    rows.append(row)
                    print(f"  t{t} b{b:<3}{' ' + prec if prec else ''}: ORT {row['ort_images_per_s']:8.2f} img/s "
                          f"({row['ort_gflops']:6.1f} GFLOP/s, {r['iterations']} it)"
                          + (f", RadLens {row['radlens_images_per_s']:8.2f} img/s" if "radlens_images_per_s" in row else ""),
                          flush=True)

    # table
    hdr = ["model", "prec", "thr", "batch", "ORT img/s", "RL img/s", "RL/ORT", "ORT GF/s", "RL GF/s",
           "ORT %pk", "RL %pk"]
    lines = []
    for r in rows:
        lines.append([r["model"], r["precision"], str(r["threads"]), str(r["batch"]),
                      fmt(r["ort_images_per_s"], ".2f"), fmt(r.get("radlens_images_per_s"), ".2f"),
                      fmt(r.get("ratio"), ".2f"), fmt(r["ort_gflops"], ".1f"), fmt(r.get("radlens_gflops"), ".1f"),
                      fmt(r["ort_pct_peak"], ".1f"), fmt(r.get("radlens_pct_peak"), ".1f")])
    widths = [max(len(h_), *(len(l[i]) for l in lines)) if lines else len(h_) for i, h_ in enumerate(hdr)]
    print()
    print("  ".join(h_.ljust(wd) if i < 2 else h_.rjust(wd) for i, (h_, wd) in enumerate(zip(hdr, widths))))
    for l in lines:
        print("  ".join(v.ljust(wd) if i < 2 else v.rjust(wd) for i, (v, wd) in enumerate(zip(l, widths))))
    print(f"\nGFLOP/s use this script's FLOP count (Conv + Gemm/MatMul, 2 FLOPs per multiply-add). "
          f"%pk = % of {args.peak_per_core:.1f} GFLOP/s x threads (FP32 FMA peak per core, {peak_source}). "
          f"fast rows count the direct convolution's FLOPs, so Winograd can exceed 100%.")
    errors = sorted({r["radlens_error"] for r in rows if "radlens_error" in r})
    if errors and have_radlens:
        print("RadLens errors: " + "; ".join(errors))

    if args.json:
        meta = {"onnxruntime": ort.__version__, "peak_per_core_gflops": args.peak_per_core,
                "min_time_s": min_time, "rounds": rounds, "cpus": os.cpu_count(),
                "loadavg": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
                "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        with open(args.json, "w") as f:
            json.dump({"meta": meta, "rows": rows}, f, indent=1)
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
