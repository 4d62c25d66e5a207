"""Export the shipped network to ONNX and check it.

    .venv-train/bin/python Training/export.py [--seeds 0 1 2] [--out Models/cxr-pneumonia/model.onnx]

* Builds the shipped network from Training/checkpoints/seed<S>/final.pt (EMA weights): with
  several seeds, common.EnsembleNet (mean of the members' logits, written as one network);
  with one seed, that single CxrNet.
* Exports with opset 17 (TorchScript exporter), input `image` [N,1,H,W] with a dynamic batch
  axis, outputs in this order: `logits` [N,1] (raw, before temperature), `features` [N,C]
  (pooled penultimate features = input of the final Linear), `feature_map` [N,C,h,w].
* Checks: only allowed op types; ONNX Runtime vs PyTorch max abs diff (logits <= 1e-4);
  writes Training/results/export_check.json.
* --latency: ONNX Runtime single-image latency at 1 thread for a single member at 128 and 160 px
  (random weights: speed does not depend on values) and for the exported model;
  writes Training/results/latency.json.
"""
from __future__ import annotations

import os as _os
for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    _os.environ.setdefault(_v, "1")  # avoid BLAS thread oversubscription on a shared 2-core machine

import argparse
import json
import os
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import HERE, REPO, CxrNet, EnsembleNet, ExportWrapper, build_model  # noqa: E402
import torch  # noqa: E402

RESULTS = os.environ.get("RADLENS_RESULTS", os.path.join(HERE, "results"))

ALLOWED_OPS = {"Conv", "BatchNormalization", "Relu", "MaxPool", "AveragePool", "GlobalAveragePool",
               "Flatten", "Gemm", "Add", "Concat", "Reshape", "Mul", "Sigmoid", "Clip"}


def load_member(seed: int, ckpt_dir: str):
    ck = torch.load(os.path.join(ckpt_dir, f"seed{seed}", "final.pt"), map_location="cpu", weights_only=False)
    m = build_model(ck["cfg"])
    m.load_state_dict(ck["ema"])
    return m.eval(), ck


def load_shipped(seeds, ckpt_dir):
    members, cks = zip(*[load_member(s, ckpt_dir) for s in seeds])
    sizes = {c["size"] for c in cks}; means = {round(c["mean"], 9) for c in cks}
    assert len(sizes) == 1 and len(means) == 1, "members must share input size and normalisation"
    net = members[0] if len(members) == 1 else EnsembleNet(list(members))
    return net.eval(), list(members), list(cks)


def export_onnx(net, size: int, path: str) -> None:
    wrapper = ExportWrapper(net).eval()
    dummy = torch.zeros(1, 1, size, size)
    torch.onnx.export(wrapper, (dummy,), path, dynamo=False, opset_version=17, do_constant_folding=True,
                      input_names=["image"], output_names=["logits", "features", "feature_map"],
                      dynamic_axes={"image": {0: "N"}, "logits": {0: "N"}, "features": {0: "N"},
                                    "feature_map": {0: "N"}})


def op_types(path: str):
    import onnx
    m = onnx.load(path)
    onnx.checker.check_model(m)
    return sorted({n.op_type for n in m.graph.node}), m


def ort_session(path: str, threads: int = 1):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def latency_ms(path: str, size: int, reps: int = 60) -> dict:
    sess = ort_session(path, 1)
    x = np.random.default_rng(0).standard_normal((1, 1, size, size)).astype(np.float32)
    for _ in range(10):
        sess.run(None, {"image": x})
    ts = []
    for _ in range(reps):
        t = time.perf_counter(); sess.run(["logits"], {"image": x}); ts.append((time.perf_counter() - t) * 1e3)
    return {"median_ms": float(np.median(ts)), "p10_ms": float(np.percentile(ts, 10)),
            "p90_ms": float(np.percentile(ts, 90))}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--ckpt-dir", default=os.path.join(HERE, "checkpoints"))
    ap.add_argument("--out", default=os.path.join(os.environ.get("RADLENS_BUNDLE", os.path.join(REPO, "Models", "cxr-pneumonia")), "model.onnx"))
    ap.add_argument("--latency", action="store_true")
    ap.add_argument("--latency-only", action="store_true", help="only the random-weight size comparison")
    a = ap.parse_args()
    torch.set_num_threads(int(os.environ.get("RADLENS_THREADS", "1")))
    res_dir = RESULTS; os.makedirs(res_dir, exist_ok=True)

    lat = {}
    if a.latency or a.latency_only:
        from train import MODEL_CFG
        torch.manual_seed(0)
        with tempfile.TemporaryDirectory() as td:
            for size in (128, 160):
                p = os.path.join(td, f"m{size}.onnx")
                export_onnx(build_model(MODEL_CFG).eval(), size, p)
                lat[f"single_{size}"] = latency_ms(p, size)
                ens = EnsembleNet([build_model(MODEL_CFG).eval() for _ in range(3)]).eval()
                p3 = os.path.join(td, f"e{size}.onnx")
                export_onnx(ens, size, p3)
                lat[f"ensemble3_{size}"] = latency_ms(p3, size)
                print(size, lat[f"single_{size}"], lat[f"ensemble3_{size}"], flush=True)
        if a.latency_only:
            json.dump(lat, open(os.path.join(res_dir, "latency.json"), "w"), indent=2)
            return

    net, members, cks = load_shipped(a.seeds, a.ckpt_dir)
    size = cks[0]["size"]
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    export_onnx(net, size, a.out)
    ops, model = op_types(a.out)
    bad = sorted(set(ops) - ALLOWED_OPS)
    print("ops:", ops)
    if bad:
        sys.exit(f"disallowed ONNX ops: {bad}")
    outs = [o.name for o in model.graph.output]
    assert outs == ["logits", "features", "feature_map"], outs
    assert [i.name for i in model.graph.input] == ["image"]
    assert model.opset_import[0].version == 17

    rng = np.random.default_rng(1)
    x = rng.standard_normal((5, 1, size, size)).astype(np.float32)
    with torch.no_grad():
        tl, tf, tm = [t.numpy() for t in net.forward_all(torch.from_numpy(x))]
    sess = ort_session(a.out, 1)
    ol, of, om = sess.run(None, {"image": x})
    diffs = {"logits": float(np.abs(ol - tl).max()), "features": float(np.abs(of - tf).max()),
             "feature_map": float(np.abs(om - tm).max())}
    shapes = {"logits": list(ol.shape), "features": list(of.shape), "feature_map": list(om.shape)}
    print("max abs diff ORT vs torch:", diffs, shapes)
    if diffs["logits"] > 1e-4:
        sys.exit("ONNX logits differ from PyTorch by more than 1e-4")
    # CAM consistency: logits == features @ w + b
    w = net.fc.weight.detach().numpy()[0]; b = float(net.fc.bias.detach().numpy()[0])
    cam_diff = float(np.abs(of @ w + b - ol[:, 0]).max())
    check = {"seeds": a.seeds, "size": size, "ops": ops, "max_abs_diff": diffs, "shapes": shapes,
             "features_dot_weights_minus_logits": cam_diff, "bytes": os.path.getsize(a.out)}
    if a.latency:
        lat["shipped"] = latency_ms(a.out, size)
        json.dump(lat, open(os.path.join(res_dir, "latency.json"), "w"), indent=2)
        check["latency"] = lat
    json.dump(check, open(os.path.join(res_dir, "export_check.json"), "w"), indent=2)
    print(json.dumps(check, indent=2))


if __name__ == "__main__":
    main()
