"""Trains two Fashion-MNIST classifiers in PyTorch 1.13 (Debian's python3-torch, testdata/torch-peer/python3) and
exports them to ONNX for the benchmarks of issue 20. Run it through scripts/export-fashion-models.sh.

Models (input "x" float32 [N, 1, 28, 28], output "logits" float32 [N, 10], batch axis dynamic, opset 13):

  resnet-fashion.onnx       ResNet-style CNN. Stem Conv 3x3 1->32 + BN + ReLU at 28x28, then one basic residual
                            block per stage (Conv 3x3 + BN + ReLU, Conv 3x3 + BN, add the shortcut, ReLU) at 32
                            (28x28), 64 (14x14) and 128 (7x7) channels; the first conv of the 64 and 128 blocks has
                            stride 2 and their shortcut is Conv 1x1 stride 2 + BN. Global average pool, Linear
                            128->10. 9 convs.
  transformer-fashion.onnx  Transformer encoder classifier: each image row is a token (28 tokens of 28 pixels),
                            Linear 28->128 input projection plus a learned position embedding, 2 x
                            nn.TransformerEncoderLayer (d_model 128, 4 heads, feed-forward 256, ReLU, post-norm,
                            dropout 0.1 in training), mean over the tokens, Linear 128->10.

BatchNorm: exported in eval mode (torch.onnx.TrainingMode.EVAL, do_constant_folding=True), where PyTorch 1.13's
exporter folds every BatchNorm into the weights and bias of the Conv before it: the ONNX file holds no
BatchNormalization node (checked below; the script fails if one is left).

Pixels: the IDX bytes as float32 divided by 255 (float32 division), exactly what the engine's IDX loader does
(io.caas.engine.data.Datasets: value / 255f); no mean/std normalisation. Checked bit for bit below.

Training: fixed seeds, one thread (torch.set_num_threads(1), the machine is shared), batch 128, AdamW with a
one-cycle learning-rate schedule over a fixed number of epochs, no augmentation, all 60,000 training images. The
schedule is fixed in advance (no early stopping on the test set). Top-1 is measured on the 10,000 test images with
the PyTorch module in eval mode; tests then check that the ONNX file gives the same figure in ONNX Runtime
(engine/src/test/java/io/caas/engine/compress/PyTorchFashionExportsTest.java).

Writes <out>/resnet-fashion.onnx, <out>/transformer-fashion.onnx and <out>/fashion-models.json (per model: test
top-1, parameters, epochs, training seconds, the ONNX node types). The onnx Python package is not part of the
peer, so the files are read back with a small protobuf reader here (node types, opset, inputs/outputs, weights).
"""
import argparse
import gzip
import json
import math
import os
import platform
import struct
import time
from collections import Counter

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

OPSET = 13
BATCH = 128
MODELS = ("resnet", "transformer")


# ---------------------------------------------------------------------------------------------------------- data

def read_idx(path, magic_expected):
    with gzip.open(path, "rb") as f:
        magic = struct.unpack(">I", f.read(4))[0]
        assert magic == magic_expected, "%s: not the IDX file expected (magic %#x)" % (path, magic)
        ndims = magic & 0xff
        shape = struct.unpack(">" + "I" * ndims, f.read(4 * ndims))
        data = np.frombuffer(f.read(), dtype=np.uint8)
    assert data.size == int(np.prod(shape)), path + " is truncated"
    return data.reshape(shape)


def scale(pixels_u8):
    """float32(byte) / 255f, as the engine's loader; checked against the exact quotient for all 256 bytes."""
    return pixels_u8.astype(np.float32) / np.float32(255.0)


def check_scaling():
    b = np.arange(256, dtype=np.uint8)
    # The double quotient rounded to float32 is the correctly rounded float32 quotient (double has more than
    # 2 * 24 + 2 bits), which is what Java's (b & 0xff) / 255f gives.
    exact = (b.astype(np.float64) / 255.0).astype(np.float32)
    assert np.array_equal(scale(b).view(np.uint32), exact.view(np.uint32)), "pixel scaling is not float32 b / 255"


def load(data_dir, split):
    x = read_idx(os.path.join(data_dir, split + "-images-idx3-ubyte.gz"), 0x803)
    y = read_idx(os.path.join(data_dir, split + "-labels-idx1-ubyte.gz"), 0x801)
    assert x.shape[0] == y.shape[0]
    return torch.from_numpy(scale(x).reshape(-1, 1, 28, 28)), torch.from_numpy(y.astype(np.int64))


# -------------------------------------------------------------------------------------------------------- models

class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = None
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + (x if self.shortcut is None else self.shortcut(x)))


class ResNetFashion(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU())
        self.stage1 = BasicBlock(32, 32, 1)
        self.stage2 = BasicBlock(32, 64, 2)
        self.stage3 = BasicBlock(64, 128, 2)
        self.fc = nn.Linear(128, 10)

    def forward(self, x):
        x = self.stage3(self.stage2(self.stage1(self.stem(x))))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class TransformerFashion(nn.Module):
    def __init__(self, d_model=128, heads=4, ff=256, layers=2, dropout=0.1):
        super().__init__()
        self.proj = nn.Linear(28, d_model)
        self.pos = nn.Parameter(torch.zeros(28, 1, d_model))
        nn.init.normal_(self.pos, std=0.02)
        # Sequence-first layout (batch_first=False): PyTorch 1.13's fused inference path for batch_first encoder
        # layers (aten::_transformer_encoder_layer_fwd) has no ONNX export.
        self.encoder = nn.TransformerEncoder(
            nn.TransformerEncoderLayer(d_model, heads, dim_feedforward=ff, dropout=dropout, activation="relu"),
            num_layers=layers, enable_nested_tensor=False)
        self.head = nn.Linear(d_model, 10)

    def forward(self, x):
        t = torch.squeeze(x, 1).transpose(0, 1)      # [28 rows, N, 28 pixels]
        h = self.encoder(self.proj(t) + self.pos)    # [28, N, d_model]
        return self.head(h.mean(dim=0))


def build(name):
    return ResNetFashion() if name == "resnet" else TransformerFashion()


# ------------------------------------------------------------------------------------------------------ training

@torch.no_grad()
def evaluate(model, x, y, batch=500):
    model.eval()
    correct = 0
    for i in range(0, len(x), batch):
        correct += (model(x[i:i + batch]).argmax(1) == y[i:i + batch]).sum().item()
    return correct / len(x)


def train(name, model, x, y, epochs, lr, weight_decay, seed, log):
    g = torch.Generator().manual_seed(seed)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    steps_per_epoch = math.ceil(len(x) / BATCH)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=epochs * steps_per_epoch,
                                                pct_start=0.25)
    history = []
    seconds = 0.0
    for epoch in range(epochs):
        model.train()
        t0 = time.perf_counter()
        order = torch.randperm(len(x), generator=g)
        total, seen = 0.0, 0
        for s in range(steps_per_epoch):
            idx = order[s * BATCH:(s + 1) * BATCH]
            loss = F.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
            seen += len(idx)
            if s % 100 == 0:
                log("%s epoch %d step %d/%d loss %.4f (%.0f s)" % (name, epoch + 1, s, steps_per_epoch,
                                                                   total / seen, time.perf_counter() - t0))
        dt = time.perf_counter() - t0
        seconds += dt
        history.append({"epoch": epoch + 1, "train_loss": round(total / seen, 5), "seconds": round(dt, 1)})
        log("%s epoch %d: train loss %.4f, %.0f s" % (name, epoch + 1, total / seen, dt))
    return seconds, history


# -------------------------------------------------------------------------------------------------------- export

def export(model, path):
    model.eval()
    dummy = torch.zeros(3, 1, 28, 28)  # not 1: a batch size folded into the graph would show in the tests
    with torch.no_grad():
        torch.onnx.export(model, dummy, path, opset_version=OPSET, input_names=["x"], output_names=["logits"],
                          dynamic_axes={"x": {0: "N"}, "logits": {0: "N"}}, do_constant_folding=True,
                          training=torch.onnx.TrainingMode.EVAL)


def _fields(buf):
    """(field number, wire type, value) of one protobuf message; value is an int or a memoryview."""
    i, n = 0, len(buf)
    while i < n:
        key, i = _varint(buf, i)
        field, wire = key >> 3, key & 7
        if wire == 0:
            v, i = _varint(buf, i)
        elif wire == 1:
            v, i = buf[i:i + 8], i + 8
        elif wire == 2:
            size, i = _varint(buf, i)
            v, i = buf[i:i + size], i + size
        elif wire == 5:
            v, i = buf[i:i + 4], i + 4
        else:
            raise ValueError("unexpected wire type %d" % wire)
        yield field, wire, v


def _varint(buf, i):
    shift = result = 0
    while True:
        b = buf[i]
        i += 1
        result |= (b & 0x7f) << shift
        if not b & 0x80:
            return result, i
        shift += 7


def _value_info(vi):
    name, dims = None, []
    for f, _, v in _fields(vi):
        if f == 1:
            name = bytes(v).decode()
        elif f == 2:                                        # TypeProto
            for f2, _, t in _fields(v):
                if f2 == 1:                                 # tensor_type
                    for f3, _, s in _fields(t):
                        if f3 == 2:                         # shape
                            for f4, _, d in _fields(s):
                                if f4 == 1:                 # dim
                                    for f5, w5, dv in _fields(d):
                                        dims.append(dv if w5 == 0 else bytes(dv).decode())
    return name, dims


def inspect_onnx(path):
    """Node types, opsets, graph inputs/outputs and float weight elements of an ONNX file."""
    with open(path, "rb") as fh:
        buf = memoryview(fh.read())
    ops, opsets, inputs, outputs = Counter(), {}, [], []
    weights = 0
    for f, _, v in _fields(buf):
        if f == 8:                                          # opset_import
            d = dict((f2, v2) for f2, _, v2 in _fields(v))
            opsets[bytes(d.get(1, b"")).decode() or "ai.onnx"] = d.get(2)
        elif f == 7:                                        # graph
            inits = set()
            for f2, _, v2 in _fields(v):
                if f2 == 1:                                 # node
                    op = [bytes(v3).decode() for f3, _, v3 in _fields(v2) if f3 == 4]
                    ops[op[0]] += 1
                elif f2 == 5:                               # initializer
                    dims, dtype, name = [], None, None
                    for f3, w3, v3 in _fields(v2):
                        if f3 == 1:
                            if w3 == 0:
                                dims.append(v3)
                            else:                           # packed
                                j = 0
                                while j < len(v3):
                                    d, j = _varint(v3, j)
                                    dims.append(d)
                        elif f3 == 2:
                            dtype = v3
                        elif f3 == 8:
                            name = bytes(v3).decode()
                    inits.add(name)
                    if dtype == 1:                          # FLOAT
                        weights += int(np.prod(dims)) if dims else 1
                elif f2 == 11:
                    inputs.append(_value_info(v2))
                elif f2 == 12:
                    outputs.append(_value_info(v2))
            inputs = [i for i in inputs if i[0] not in inits]
    return {"ops": dict(sorted(ops.items())), "opsets": opsets, "inputs": inputs, "outputs": outputs,
            "float_weight_elements": weights}


# ---------------------------------------------------------------------------------------------------------- main

DEFAULTS = {  # epochs, peak learning rate, weight decay
    "resnet": (3, 3e-3, 1e-4),
    "transformer": (8, 1e-3, 1e-2),
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True, help="folder with Fashion-MNIST's four -ubyte.gz files")
    ap.add_argument("--out", required=True)
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--seed", type=int, default=20)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--resnet-epochs", type=int, default=DEFAULTS["resnet"][0])
    ap.add_argument("--transformer-epochs", type=int, default=DEFAULTS["transformer"][0])
    ap.add_argument("--limit", type=int, default=0, help="train on the first N images only (smoke runs)")
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    torch.use_deterministic_algorithms(True)
    check_scaling()
    os.makedirs(a.out, exist_ok=True)

    def log(msg):
        print("export-fashion-models: " + msg, flush=True)

    x_train, y_train = load(a.data, "train")
    x_test, y_test = load(a.data, "t10k")
    if a.limit:
        x_train, y_train = x_train[:a.limit], y_train[:a.limit]
    log("train %s, test %s, pixels in [%.1f, %.1f]" % (tuple(x_train.shape), tuple(x_test.shape),
                                                       x_train.min().item(), x_train.max().item()))

    json_path = os.path.join(a.out, "fashion-models.json")
    report = {}
    if os.path.exists(json_path):
        with open(json_path) as fh:
            report = json.load(fh)
    report.update({
        "command": "scripts/export-fashion-models.sh",
        "torch": torch.__version__, "python": platform.python_version(), "threads": torch.get_num_threads(),
        "cpu": next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")),
                    platform.processor()),
        "nproc": os.cpu_count(), "opset": OPSET, "seed": a.seed, "batch": BATCH,
        "input": "x float32 [N,1,28,28], IDX bytes / 255f", "output": "logits float32 [N,10]",
        "train_images": len(x_train), "test_images": len(x_test),
    })
    models = report.setdefault("models", {})

    for name in a.models.split(","):
        epochs = getattr(a, name + "_epochs")
        _, lr, wd = DEFAULTS[name]
        torch.manual_seed(a.seed)
        model = build(name)
        params = sum(p.numel() for p in model.parameters() if p.requires_grad)
        log("%s: %d parameters, %d epochs, lr %g, load average %s" % (name, params, epochs, lr,
                                                                    open("/proc/loadavg").read().split()[:3]))
        load0 = os.getloadavg()[0]
        seconds, history = train(name, model, x_train, y_train, epochs, lr, wd, a.seed, log)
        top1 = evaluate(model, x_test, y_test)
        log("%s: test top-1 %.4f after %d epochs, %.0f s training" % (name, top1, epochs, seconds))
        path = os.path.join(a.out, name + "-fashion.onnx")
        export(model, path)
        info = inspect_onnx(path)
        assert info["opsets"].get("ai.onnx") == OPSET, info["opsets"]
        assert [i[0] for i in info["inputs"]] == ["x"] and [o[0] for o in info["outputs"]] == ["logits"], info
        assert info["inputs"][0][1][1:] == [1, 28, 28] and isinstance(info["inputs"][0][1][0], str), info["inputs"]
        assert isinstance(info["outputs"][0][1][0], str) and info["outputs"][0][1][1:] == [10], info["outputs"]
        assert "BatchNormalization" not in info["ops"], "a BatchNorm was not folded: " + str(info["ops"])
        log("%s: %s, ops %s, %d float weight elements" % (path, info["opsets"], info["ops"],
                                                          info["float_weight_elements"]))
        models[name] = {
            "file": os.path.basename(path),
            "test_top1": top1,
            "test_correct": round(top1 * len(x_test)),
            "parameters": params,
            "onnx_float_weight_elements": info["float_weight_elements"],
            "epochs": epochs,
            "training_seconds": round(seconds, 1),
            "load_average_at_start": round(load0, 2),
            "optimizer": "AdamW lr %g (one-cycle), weight decay %g, batch %d" % (lr, wd, BATCH),
            "history": history,
            "onnx_ops": info["ops"],
            "onnx_bytes": os.path.getsize(path),
        }
        with open(json_path, "w") as fh:
            json.dump(report, fh, indent=2)
            fh.write("\n")
    log("wrote " + json_path)


if __name__ == "__main__":
    main()
