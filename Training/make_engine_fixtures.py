"""Make the ONNX fixtures for the RadLens inference engine tests (Tests/Fixtures/models/).

    .venv-train/bin/python Training/make_engine_fixtures.py

Writes, into Tests/Fixtures/models/:

* `<model>-c1.onnx`, `<model>-c3.onnx` for model in small_cnn, resnet18, densenet121,
  mobilenet_v2 (torchvision architectures, weights=None, num_classes=10; the -c1 variant has its
  first conv replaced by a 1-input-channel conv with the same other parameters).
* `<model>-c<k>.b<batch>.input.npy` / `.output.npy` for batch 1 and 8: a deterministic random
  input (uniform in [-1, 1], float32, NCHW; 64x64 for -c1, 96x96 for -c3) and the ONNX Runtime
  output (CPU provider, default graph optimisations).
* `bad/`: malformed models for the loader's error paths (see BAD_README below).
* `README.md`.

Weights are deterministic random (fixed seeds). Every float parameter and buffer is rounded to a
per-tensor power-of-two grid, w = round(w / s) * s with s = 2^ceil(log2(max|w| / 127)), so each
tensor has at most 255 distinct values and every float32 has its low 16 mantissa bits zero (git
compresses that well). BatchNorm weight/bias/running_mean/running_var are randomised too (running
stats are first estimated on random inputs so activations stay O(1), then perturbed), and the
export keeps BatchNormalization nodes (TrainingMode.PRESERVE on an eval() model: the TorchScript
exporter's eval peephole would otherwise fold BN into the convs), so the engine's BN folding is
really exercised. (torch then warns that constant folding is not recommended in
training-amenable mode; that applies to a model in train mode. The ORT vs PyTorch check below
confirms the parameters came out right.)

Export: TorchScript exporter (dynamo=False), opset 17, input `input`, output `output`, dynamic
batch axis, do_constant_folding=True. The script prints the op set per model and fails on an op
outside SUPPORTED_OPS, on ORT vs PyTorch max abs diff > 1e-4, and on degenerate outputs.
"""
from __future__ import annotations

import os as _os
for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    _os.environ.setdefault(_v, "1")

import io
import json
import math
import os
import shutil
import sys
import zlib

import numpy as np
import onnx
import onnxruntime as ort
import torch
import torch.nn as nn
import torchvision
from onnx import TensorProto, helper, numpy_helper

torch.set_num_threads(1)

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(REPO, "Tests", "Fixtures", "models")
BAD = os.path.join(OUT, "bad")

OPSET = 17
NUM_CLASSES = 10
BATCHES = (1, 8)
SIZES = {1: 64, 3: 96}          # input H = W per channel count
TOL = 1e-4                      # ORT vs PyTorch, and the Swift tests' tolerance
SUPPORTED_OPS = {"Conv", "BatchNormalization", "Relu", "Clip", "Sigmoid", "HardSigmoid", "HardSwish",
                 "Mul", "Add", "MaxPool", "AveragePool", "GlobalAveragePool", "Flatten", "Reshape",
                 "Gemm", "MatMul", "Concat", "Softmax", "Identity", "Dropout", "Constant", "Pad",
                 "ReduceMean"}
MODELS = ("small_cnn", "grouped_cnn", "resnet18", "densenet121", "mobilenet_v2", "border_cnn")
MODEL_SEED = {"small_cnn": 101, "resnet18": 102, "densenet121": 103, "mobilenet_v2": 104, "grouped_cnn": 105,
              "border_cnn": 106}


# --------------------------------------------------------------------------------------------
# small_cnn: a custom network touching most supported ops

class SqueezeExcite(nn.Module):
    """GlobalAveragePool -> 1x1 Conv -> Relu -> 1x1 Conv -> HardSigmoid -> Mul."""

    def __init__(self, c: int, r: int = 4):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(c, c // r, 1)
        self.fc2 = nn.Conv2d(c // r, c, 1)
        self.gate = nn.Hardsigmoid()

    def forward(self, x):
        s = self.gate(self.fc2(torch.relu(self.fc1(self.pool(x)))))
        return x * s


class SmallCNN(nn.Module):
    def __init__(self, in_ch: int = 1, num_classes: int = NUM_CLASSES):
        super().__init__()
        # stem: Conv + BN + ReLU, MaxPool
        self.stem = nn.Sequential(nn.Conv2d(in_ch, 16, 3, stride=1, padding=1, bias=False),
                                  nn.BatchNorm2d(16), nn.ReLU())
        self.pool1 = nn.MaxPool2d(2)
        # residual block with a depthwise conv (groups = channels) and ReLU6 (Clip)
        self.dw = nn.Sequential(nn.Conv2d(16, 16, 3, padding=1, groups=16, bias=False),
                                nn.BatchNorm2d(16), nn.ReLU6())
        self.pw = nn.Sequential(nn.Conv2d(16, 16, 1, bias=False), nn.BatchNorm2d(16))
        # strided + dilated conv (stride 2, dilation 2), HardSwish
        self.down = nn.Sequential(nn.Conv2d(16, 24, 3, stride=2, padding=2, dilation=2, bias=True),
                                  nn.BatchNorm2d(24), nn.Hardswish())
        # two branches -> Concat: grouped 3x3 conv (2 groups of 12 -> 8) + Sigmoid-gated 1x1 conv (Mul)
        self.br_a = nn.Sequential(nn.Conv2d(24, 16, 3, padding=1, groups=2, bias=False), nn.BatchNorm2d(16), nn.ReLU())
        self.br_b = nn.Conv2d(24, 16, 1, bias=True)
        self.br_b_gate = nn.Conv2d(24, 16, 1, bias=True)
        self.se = SqueezeExcite(32)
        # AveragePool (with padding, count_include_pad=False), then an asymmetric-kernel conv
        self.avg = nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False)
        self.head = nn.Sequential(nn.Conv2d(32, 48, (3, 1), padding=(1, 0), bias=False),
                                  nn.BatchNorm2d(48), nn.ReLU())
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Linear(48, 32)
        self.fc2 = nn.Linear(32, num_classes)

    def forward(self, x):
        x = self.pool1(self.stem(x))
        x = x + self.pw(self.dw(x))                     # residual Add
        x = self.down(x)
        b = self.br_b(x) * torch.sigmoid(self.br_b_gate(x))
        x = torch.cat([self.br_a(x), b], dim=1)         # Concat
        x = self.se(x)                                  # SE: GAP, HardSigmoid, Mul
        x = self.head(self.avg(x))
        x = torch.flatten(self.gap(x), 1)               # GlobalAveragePool, Flatten
        x = torch.relu(self.fc1(x))                     # Gemm
        return torch.softmax(self.fc2(x), dim=1)        # Gemm, Softmax


class GroupedCNN(nn.Module):
    """ResNeXt-style grouped convolutions: groups 8 (4 channels each) in a residual bottleneck,
    groups 4 with stride 2, and groups 3 with an odd channel count per group."""

    def __init__(self, in_ch: int = 1, num_classes: int = NUM_CLASSES):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(in_ch, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU())
        self.reduce = nn.Sequential(nn.Conv2d(32, 32, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU())
        self.grouped = nn.Sequential(nn.Conv2d(32, 32, 3, padding=1, groups=8, bias=False), nn.BatchNorm2d(32), nn.ReLU())
        self.expand = nn.Sequential(nn.Conv2d(32, 32, 1, bias=False), nn.BatchNorm2d(32))
        self.down = nn.Sequential(nn.Conv2d(32, 48, 3, stride=2, padding=1, groups=4, bias=True), nn.ReLU())
        self.odd = nn.Sequential(nn.Conv2d(48, 21, 3, padding=1, groups=3, bias=True), nn.ReLU())
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(21, num_classes)

    def forward(self, x):
        x = self.stem(x)
        x = torch.relu(x + self.expand(self.grouped(self.reduce(x))))   # bottleneck with residual Add
        x = self.odd(self.down(x))
        return self.fc(torch.flatten(self.gap(x), 1))


class BorderCNN(nn.Module):
    """Convolutions whose border taps read the zero padding in every way the engine skips them:
    a dilated kernel, per-axis padding and dilation, a rectangular kernel with a residual Add,
    strides 2 and 3, and a 7x7 kernel on a 12x12 map."""

    def __init__(self, in_ch: int = 1, num_classes: int = NUM_CLASSES):
        super().__init__()
        self.dilated = nn.Sequential(nn.Conv2d(in_ch, 32, 5, padding=4, dilation=2), nn.ReLU())
        self.per_axis = nn.Sequential(nn.Conv2d(32, 40, 3, stride=2, padding=(3, 1), dilation=(3, 1)), nn.ReLU())
        self.rectangular = nn.Sequential(nn.Conv2d(40, 40, (5, 3), padding=(2, 1), bias=False), nn.BatchNorm2d(40))
        self.stride3 = nn.Sequential(nn.Conv2d(40, 24, 3, stride=3, padding=2), nn.ReLU())
        self.wide = nn.Sequential(nn.Conv2d(24, 24, 7, padding=3), nn.ReLU())
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(24, num_classes)

    def forward(self, x):
        x = self.per_axis(self.dilated(x))               # 64x64 -> 64x64 -> 32x32
        x = torch.relu(x + self.rectangular(x))          # residual Add
        x = self.wide(self.stride3(x))                   # 12x12
        return self.fc(torch.flatten(self.gap(x), 1))


# --------------------------------------------------------------------------------------------

def first_conv_name(model: nn.Module) -> str:
    for name, m in model.named_modules():
        if isinstance(m, nn.Conv2d):
            return name
    raise RuntimeError("no conv")


def replace_module(model: nn.Module, name: str, new: nn.Module) -> None:
    parent = model
    parts = name.split(".")
    for p in parts[:-1]:
        parent = getattr(parent, p)
    setattr(parent, parts[-1], new)


def to_one_channel(model: nn.Module) -> nn.Module:
    name = first_conv_name(model)
    old = model.get_submodule(name)
    if old.in_channels == 1:
        return model
    new = nn.Conv2d(1, old.out_channels, old.kernel_size, stride=old.stride, padding=old.padding,
                    dilation=old.dilation, groups=1, bias=old.bias is not None,
                    padding_mode=old.padding_mode)
    replace_module(model, name, new)
    return model


def build(name: str, channels: int) -> nn.Module:
    if name == "small_cnn":
        return SmallCNN(in_ch=channels)
    if name == "grouped_cnn":
        return GroupedCNN(in_ch=channels)
    if name == "border_cnn":
        return BorderCNN(in_ch=channels)
    ctor = getattr(torchvision.models, name)
    m = ctor(weights=None, num_classes=NUM_CLASSES)
    return to_one_channel(m) if channels == 1 else m


def pow2_quantize_(t: torch.Tensor, positive: bool = False) -> None:
    """In place: round to a power-of-two grid with at most 255 levels (|k| <= 127)."""
    with torch.no_grad():
        amax = float(t.abs().max())
        if amax == 0.0 or not math.isfinite(amax):
            return
        s = 2.0 ** math.ceil(math.log2(amax / 127.0))
        q = torch.round(t / s).clamp_(-127, 127) * s
        if positive:
            q = q.clamp_(min=s)
        t.copy_(q)


def randomise(model: nn.Module, seed: int, channels: int, size: int) -> nn.Module:
    g = torch.Generator().manual_seed(seed)
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    with torch.no_grad():
        # small random biases on convs / linears that have them (default init already random)
        for m in model.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)) and m.bias is not None:
                m.bias.copy_((torch.rand(m.bias.shape, generator=g) - 0.5) * 0.2)
        for bn in bns:
            bn.weight.copy_(0.5 + torch.rand(bn.weight.shape, generator=g))          # [0.5, 1.5)
            bn.bias.copy_((torch.rand(bn.bias.shape, generator=g) - 0.5) * 0.4)      # [-0.2, 0.2)
        # running stats estimated on random inputs (cumulative average) so activations stay O(1)
        for bn in bns:
            bn.reset_running_stats()
            bn.momentum = None
        model.train()
        for _ in range(4):
            model(torch.rand((8, channels, size, size), generator=g) * 2 - 1)
        for bn in bns:
            bn.momentum = 0.1
            std = bn.running_var.sqrt()
            bn.running_mean.add_(0.1 * std * torch.randn(bn.running_mean.shape, generator=g))
            bn.running_var.mul_(0.7 + 0.7 * torch.rand(bn.running_var.shape, generator=g))
    model.eval()
    if isinstance(model, (SmallCNN, GroupedCNN, BorderCNN)):
        # scale the last Gemm so the pre-softmax logits have std ~2 across classes (otherwise the
        # softmax output is nearly uniform and the 1e-4 output tolerance would test little)
        seen = []
        last = model.fc2 if isinstance(model, SmallCNN) else model.fc
        h = last.register_forward_hook(lambda m, i, o: seen.append(o))
        with torch.no_grad():
            model(torch.rand((8, channels, size, size), generator=g) * 2 - 1)
            k = 2.0 / float(seen[0].std(dim=1).mean())
            last.weight.mul_(k)
            last.bias.mul_(k)
        h.remove()
    with torch.no_grad():
        for n, p in model.named_parameters():
            pow2_quantize_(p)
        for n, b in model.named_buffers():
            if b.is_floating_point():
                pow2_quantize_(b, positive=n.endswith("running_var"))
    return model


def export(model: nn.Module, channels: int, size: int, path: str) -> None:
    dummy = torch.zeros(1, channels, size, size)
    torch.onnx.export(model, (dummy,), path, dynamo=False, opset_version=OPSET,
                      do_constant_folding=True, training=torch.onnx.TrainingMode.PRESERVE,
                      input_names=["input"], output_names=["output"],
                      dynamic_axes={"input": {0: "N"}, "output": {0: "N"}})


def ops_of(path: str) -> dict:
    m = onnx.load(path)
    onnx.checker.check_model(m, full_check=True)
    counts: dict = {}
    for n in m.graph.node:
        counts[n.op_type] = counts.get(n.op_type, 0) + 1
    return counts


def ort_run(path: str, x: np.ndarray) -> np.ndarray:
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    return sess.run(["output"], {"input": x})[0]


# The large torchvision networks (45 and 28 MB each) are kept in their 1-channel variant only,
# so the repository stays small; 3-channel inputs are covered by small_cnn and mobilenet_v2.
CHANNELS = {"small_cnn": (1, 3), "grouped_cnn": (1,), "mobilenet_v2": (1, 3), "resnet18": (1,), "densenet121": (1,),
            "border_cnn": (1,)}


def make_models() -> list:
    summary = []
    for name in MODELS:
        for ch in CHANNELS[name]:
            size = SIZES[ch]
            tag = f"{name}-c{ch}"
            seed = MODEL_SEED[name] * 10 + ch
            torch.manual_seed(seed)
            model = randomise(build(name, ch), seed, ch, size)
            path = os.path.join(OUT, f"{tag}.onnx")
            export(model, ch, size, path)
            ops = ops_of(path)
            unsupported = sorted(set(ops) - SUPPORTED_OPS)
            n_params = sum(p.numel() for p in model.parameters())
            print(f"{tag}: {n_params:,} params, {os.path.getsize(path) / 1e6:.2f} MB, input {ch}x{size}x{size}")
            print(f"  ops: {dict(sorted(ops.items()))}")
            if unsupported:
                raise SystemExit(f"  {tag}: ops outside the supported set: {unsupported}")
            row = {"model": tag, "input": [ch, size, size], "ops": dict(sorted(ops.items())),
                   "params": n_params, "bytes": os.path.getsize(path), "checks": []}
            for b in BATCHES:
                rng = np.random.default_rng(seed * 100 + b)
                x = rng.uniform(-1.0, 1.0, size=(b, ch, size, size)).astype(np.float32)
                with torch.no_grad():
                    ref = model(torch.from_numpy(x)).numpy()
                y = ort_run(path, x).astype(np.float32)
                diff = float(np.abs(y - ref).max())
                std_cls = float(y.std(axis=1).min())          # per sample, across classes
                std_batch = float(y.std(axis=0).max()) if b > 1 else float("nan")
                same_argmax = bool((y.argmax(1) == ref.argmax(1)).all())
                print(f"  b{b}: ORT vs torch max abs diff {diff:.2e}, |out| max {np.abs(y).max():.3g}, "
                      f"min std across classes {std_cls:.3g}, max std across batch {std_batch:.3g}, "
                      f"argmax equal {same_argmax}, argmax {y.argmax(1).tolist()}")
                if not np.isfinite(y).all():
                    raise SystemExit(f"{tag} b{b}: non-finite output")
                if std_cls <= 1e-3:
                    raise SystemExit(f"{tag} b{b}: degenerate output (std across classes {std_cls})")
                if b > 1 and std_batch <= 1e-3:
                    raise SystemExit(f"{tag} b{b}: output does not depend on the input")
                if diff > TOL or not same_argmax:
                    raise SystemExit(f"{tag} b{b}: ORT vs PyTorch differ ({diff:.2e})")
                np.save(os.path.join(OUT, f"{tag}.b{b}.input.npy"), np.ascontiguousarray(x, dtype="<f4"))
                np.save(os.path.join(OUT, f"{tag}.b{b}.output.npy"), np.ascontiguousarray(y, dtype="<f4"))
                row["checks"].append({"batch": b, "ort_vs_torch_max_abs": diff, "argmax": y.argmax(1).tolist()})
            summary.append(row)
    return summary


def make_fixed_batch() -> dict:
    """`fixed_batch-c1`: a BorderCNN exported for batches of exactly 8 (no dynamic axis, as
    torch.onnx.export writes a model by default). A runtime must run its batch as declared,
    not split it into smaller chunks."""
    tag, ch, size, b = "fixed_batch-c1", 1, SIZES[1], 8
    seed = MODEL_SEED["border_cnn"] * 10 + 5
    torch.manual_seed(seed)
    model = randomise(build("border_cnn", ch), seed, ch, size)
    path = os.path.join(OUT, f"{tag}.onnx")
    torch.onnx.export(model, (torch.zeros(b, ch, size, size),), path, dynamo=False, opset_version=OPSET,
                      do_constant_folding=True, training=torch.onnx.TrainingMode.PRESERVE,
                      input_names=["input"], output_names=["output"])
    x = np.random.default_rng(seed * 100 + b).uniform(-1.0, 1.0, size=(b, ch, size, size)).astype(np.float32)
    with torch.no_grad():
        ref = model(torch.from_numpy(x)).numpy()
    y = ort_run(path, x).astype(np.float32)
    diff = float(np.abs(y - ref).max())
    print(f"{tag}: batch fixed at {b}, ORT vs torch max abs diff {diff:.2e}")
    if diff > TOL or not (y.argmax(1) == ref.argmax(1)).all():
        raise SystemExit(f"{tag}: ORT vs PyTorch differ ({diff:.2e})")
    np.save(os.path.join(OUT, f"{tag}.b{b}.input.npy"), np.ascontiguousarray(x, dtype="<f4"))
    np.save(os.path.join(OUT, f"{tag}.b{b}.output.npy"), np.ascontiguousarray(y, dtype="<f4"))
    return {"model": tag, "input": [ch, size, size], "ops": dict(sorted(ops_of(path).items())),
            "params": sum(p.numel() for p in model.parameters()), "bytes": os.path.getsize(path),
            "checks": [{"batch": b, "ort_vs_torch_max_abs": diff, "argmax": y.argmax(1).tolist()}]}


# --------------------------------------------------------------------------------------------
# bad models

def _tiny_conv_graph(weight: np.ndarray, name: str = "tiny"):
    x = helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 1, 8, 8])
    y = helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", 2, 8, 8])
    w = numpy_helper.from_array(weight.astype(np.float32), "conv.weight")
    b = numpy_helper.from_array(np.zeros(2, np.float32), "conv.bias")
    conv = helper.make_node("Conv", ["input", "conv.weight", "conv.bias"], ["c"], name="conv",
                            kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    relu = helper.make_node("Relu", ["c"], ["output"], name="relu")
    return helper.make_graph([conv, relu], name, [x], [y], initializer=[w, b])


def _save(model: onnx.ModelProto, fname: str, check: bool = False) -> None:
    if model.ir_version > 8:
        model.ir_version = 8   # what torch's exporter writes for opset 17; ORT 1.31 reads <= 13
    if check:
        onnx.checker.check_model(model)
    onnx.save(model, os.path.join(BAD, fname))


def make_bad() -> None:
    os.makedirs(BAD, exist_ok=True)
    rng = np.random.default_rng(7)
    w = (np.round(rng.uniform(-1, 1, (2, 1, 3, 3)) * 8) / 8).astype(np.float32)

    # truncated: small_cnn-c1.onnx cut in the middle
    with open(os.path.join(OUT, "small_cnn-c1.onnx"), "rb") as f:
        blob = f.read()
    with open(os.path.join(BAD, "truncated.onnx"), "wb") as f:
        f.write(blob[: len(blob) // 2])

    # wrong-opset: a valid Conv+Relu model that declares default-domain opset 3
    m = helper.make_model(_tiny_conv_graph(w, "wrong_opset"), opset_imports=[helper.make_opsetid("", 3)],
                                  producer_name="radlens-fixtures")
    m.ir_version = 3
    _save(m, "wrong-opset.onnx")

    # unknown-op: Conv -> FancyOp (default domain) -> output
    x = helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 1, 8, 8])
    y = helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", 2, 8, 8])
    g = helper.make_graph(
        [helper.make_node("Conv", ["input", "conv.weight"], ["c"], name="conv", kernel_shape=[3, 3],
                          pads=[1, 1, 1, 1]),
         helper.make_node("FancyOp", ["c"], ["output"], name="fancy", alpha=0.5)],
        "unknown_op", [x], [y], initializer=[numpy_helper.from_array(w, "conv.weight")])
    _save(helper.make_model(g, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="radlens-fixtures"),
          "unknown-op.onnx")

    # mismatched-shapes: Flatten gives [N, 2*8*8 = 128] but the Gemm weight is [10, 100] (transB=1),
    # and a second path Adds a [3] bias to a [N, 10] tensor (not broadcastable).
    x = helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 2, 8, 8])
    y = helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", 10])
    gw = numpy_helper.from_array((np.round(rng.uniform(-1, 1, (10, 100)) * 8) / 8).astype(np.float32), "fc.weight")
    gb = numpy_helper.from_array(np.zeros(10, np.float32), "fc.bias")
    ab = numpy_helper.from_array(np.ones(3, np.float32), "add.bias")
    g = helper.make_graph(
        [helper.make_node("Flatten", ["input"], ["f"], name="flatten", axis=1),
         helper.make_node("Gemm", ["f", "fc.weight", "fc.bias"], ["g"], name="fc", transB=1),
         helper.make_node("Add", ["g", "add.bias"], ["output"], name="add")],
        "mismatched_shapes", [x], [y], initializer=[gw, gb, ab])
    _save(helper.make_model(g, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="radlens-fixtures"),
          "mismatched-shapes.onnx")

    # unordered-nodes: the tiny Conv+Relu model with the Relu listed before the Conv it reads
    tiny = _tiny_conv_graph(w, "unordered_nodes")
    g = helper.make_graph(list(reversed(tiny.node)), tiny.name, list(tiny.input), list(tiny.output),
                          initializer=list(tiny.initializer))
    _save(helper.make_model(g, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="radlens-fixtures"),
          "unordered-nodes.onnx")

    # nan-weights: valid Conv+Relu model whose conv weight contains a NaN
    wn = w.copy()
    wn[1, 0, 1, 1] = np.nan
    _save(helper.make_model(_tiny_conv_graph(wn, "nan_weights"), opset_imports=[helper.make_opsetid("", OPSET)],
                            producer_name="radlens-fixtures"), "nan-weights.onnx", check=True)

    # not-onnx: a text file; empty: 0 bytes
    with open(os.path.join(BAD, "not-onnx.onnx"), "w") as f:
        f.write("This is not an ONNX model.\nIt is a plain text file with an .onnx extension.\n")
    open(os.path.join(BAD, "empty.onnx"), "wb").close()

    # what ONNX Runtime says about each (informative; the Swift loader must reject all of them,
    # nan-weights at load or by a non-finite-weights check)
    for fname in sorted(os.listdir(BAD)):
        if not fname.endswith(".onnx"):
            continue
        p = os.path.join(BAD, fname)
        try:
            sess = ort.InferenceSession(p, providers=["CPUExecutionProvider"])
            i = sess.get_inputs()[0]
            shape = [1 if not isinstance(d, int) else d for d in i.shape]
            try:
                out = sess.run(None, {i.name: np.ones(shape, np.float32)})[0]
                msg = f"ORT loads and runs it (output finite: {bool(np.isfinite(out).all())})"
            except Exception as e:  # noqa: BLE001
                msg = f"ORT loads it, run fails: {str(e).splitlines()[0][:110]}"
        except Exception as e:  # noqa: BLE001
            msg = f"ORT load fails: {str(e).splitlines()[0][:110]}"
        print(f"  bad/{fname} ({os.path.getsize(p)} B): {msg}")


# --------------------------------------------------------------------------------------------

README = """# Engine fixtures (ONNX models)

Test fixtures for RadLens's Swift ONNX inference engine. Produced by

```sh
.venv-train/bin/python Training/make_engine_fixtures.py
```

(torch {torch}, torchvision {tv}, onnx {onnx}, onnxruntime {ort}; CPU, deterministic: fixed seeds).
Re-running it rewrites every file in this folder.

## Models

| file | network | input (C x H x W) | params | size |
| --- | --- | --- | --- | --- |
{table}

* `small_cnn`: a custom network (see `SmallCNN` in the script) that exercises Conv+BN+ReLU,
  MaxPool, a residual Add, a depthwise conv (groups = channels) with ReLU6 (Clip), a stride-2
  dilation-2 conv with HardSwish, a Sigmoid-gated branch (Mul), Concat, a squeeze-excite block
  (GlobalAveragePool, 1x1 convs, HardSigmoid, Mul), AveragePool (3x3, stride 2, pad 1,
  count_include_pad=0), a 3x1 conv, GlobalAveragePool, Flatten, two Gemm and a final Softmax
  (its output is probabilities, the others output logits; its last Gemm is scaled so the
  pre-softmax logits have std ~2, so the probabilities are far from uniform).
* `grouped_cnn`: grouped convolutions that are not depthwise (see `GroupedCNN`): a ResNeXt-style
  bottleneck with a 3x3 conv of 8 groups of 4 channels and a residual Add, a stride-2 conv of 4
  groups, and a conv of 3 groups with 16 -> 7 channels each.
* `border_cnn`: convolutions whose border taps read the zero padding in every way the engine
  skips them (see `BorderCNN`): a dilated 5x5, per-axis padding and dilation with stride 2, a
  5x3 kernel with a residual Add, stride 3, and a 7x7 kernel on a 12x12 map.
* `fixed_batch`: a `border_cnn` exported without a dynamic axis, for batches of exactly 8 (the
  exporter's default): a runtime must run the batch as declared rather than in chunks.
* `resnet18`, `densenet121`, `mobilenet_v2`: torchvision architectures (`weights=None`,
  `num_classes=10`). The `-c1` variants replace the first conv by a 1-input-channel conv with the
  same kernel, stride, padding and bias setting.
* Input `input` [N,C,H,W] float32, output `output` [N,10] float32; only the batch axis is
  dynamic (`N`), H and W are declared static (64x64 for `-c1`, 96x96 for `-c3`). No op depends
  on the size (every model ends in global pooling), so the graphs work at any H, W, but ONNX
  Runtime rejects a size other than the declared one; `Benchmarks/engine_bench.py` rewrites the
  declared input shape for ORT when it times them at 224x224.
* Size: {raw:.1f} MB raw; ~{comp:.1f} MB zlib-compressed (level 6, roughly what git stores).
* Weights: deterministic random. BatchNorm weight/bias/running_mean/running_var are randomised
  (running stats estimated on random inputs, then perturbed) and the BatchNormalization nodes are
  kept in the graph (not folded by the exporter), so the engine's BN folding is tested. Every
  float parameter/buffer is rounded to a per-tensor power-of-two grid: w = round(w/s)*s,
  s = 2^ceil(log2(max|w|/127)) (at most 255 levels, low 16 mantissa bits zero: compresses well).
* Export: `torch.onnx.export(..., dynamo=False, opset_version=17, do_constant_folding=True,
  training=TrainingMode.PRESERVE)` on an `eval()` model.

Ops per model:

{ops}

## Reference inputs/outputs

For each model and batch 1 and 8: `<model>-c<k>.b<batch>.input.npy` (uniform in [-1, 1],
float32, C order, little endian, `np.save` format v1) and `<model>-c<k>.b<batch>.output.npy`
(ONNX Runtime {ort}, CPU provider, default graph optimisations, 1 thread). ONNX Runtime was
checked against PyTorch when the fixtures were made: max abs difference <= 1e-4 and same argmax
(largest difference seen: {maxdiff:.1e}).

**Tolerance used by the Swift tests: max abs error <= 1e-4 on the outputs, and the same argmax
per sample.**

## bad/

Malformed models that the loader must reject with a clear error (never crash):

| file | what is wrong |
| --- | --- |
| `truncated.onnx` | `small_cnn-c1.onnx` cut in the middle (first half of the bytes) |
| `wrong-opset.onnx` | a valid Conv+Relu model declaring default-domain opset 3 (IR version 3) |
| `unknown-op.onnx` | a node with op_type `FancyOp` (default domain) |
| `mismatched-shapes.onnx` | Flatten gives [N,128] but the Gemm weight is [10,100] (transB=1); then an Add of [N,10] and [3] |
| `unordered-nodes.onnx` | a Conv+Relu model whose Relu is listed before the Conv it reads (not topologically sorted) |
| `nan-weights.onnx` | a valid Conv+Relu model whose conv weight contains a NaN |
| `not-onnx.onnx` | a text file |
| `empty.onnx` | 0 bytes |
"""


def folder_sizes(root: str):
    raw = comp = disk = 0
    for dp, _, files in os.walk(root):
        for f in files:
            p = os.path.join(dp, f)
            with open(p, "rb") as fh:
                data = fh.read()
            raw += len(data)
            comp += len(zlib.compress(data, 6))
            disk += os.stat(p).st_blocks * 512
    return raw, disk, comp


def main() -> None:
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    summary = make_models() + [make_fixed_batch()]
    print("bad models:")
    make_bad()
    table = "\n".join(f"| `{r['model']}.onnx` | {r['model'].rsplit('-', 1)[0]} | "
                      f"{r['input'][0]} x {r['input'][1]} x {r['input'][2]} | {r['params']:,} | "
                      f"{r['bytes'] / 1e6:.1f} MB |" for r in summary)
    ops = "\n".join(f"* `{r['model']}`: " + ", ".join(f"{k} {v}" for k, v in r["ops"].items()) for r in summary)
    maxdiff = max(c["ort_vs_torch_max_abs"] for r in summary for c in r["checks"])
    raw, _, comp = folder_sizes(OUT)     # README itself excluded (a few kB)
    with open(os.path.join(OUT, "README.md"), "w") as f:
        f.write(README.format(torch=torch.__version__.split("+")[0], tv=torchvision.__version__.split("+")[0],
                              onnx=onnx.__version__, ort=ort.__version__, table=table, ops=ops,
                              maxdiff=maxdiff, raw=raw / 1e6, comp=comp / 1e6))
    raw, disk, comp = folder_sizes(OUT)
    print(f"{OUT}: {raw / 1e6:.1f} MB raw, {disk / 1e6:.1f} MB on disk, "
          f"~{comp / 1e6:.1f} MB zlib-compressed (level 6, what git stores)")


if __name__ == "__main__":
    main()
