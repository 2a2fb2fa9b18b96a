"""PyTorch eager reference for bench/gpu/run-on-device.sh: the same CNN, the same starting weights (read from the ONNX
file the interpreter loads), the same batch order as io.caas.engine.train.FineTuner (java.util.Random(1) Fisher-Yates
shuffle per epoch), cross-entropy, Adam (lr 1e-3), loss read back to the host every step (a device sync).

    python3 torch_reference.py --onnx cnn.onnx --data DIR --device cuda|cpu [--curve-steps 500] [--curve-batch 64]
                               [--batches 1,64] [--warmup 2000] [--steps 1000] [--out FILE]

Prints one JSON object in the layout of io.caas.engine.bench.GpuTrainingCheck (curve + timings). Not the
interpreter: a yardstick for what a training step of this model costs in PyTorch itself on the same machine.
"""
import argparse
import gzip
import json
import struct
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class JavaRandom:
    """java.util.Random, enough for nextInt(bound)."""

    def __init__(self, seed):
        self.seed = (seed ^ 0x5DEECE66D) & ((1 << 48) - 1)

    def next(self, bits):
        self.seed = (self.seed * 0x5DEECE66D + 0xB) & ((1 << 48) - 1)
        r = self.seed >> (48 - bits)
        return r - (1 << 32) if r >= 1 << 31 else r

    def next_int(self, bound):
        if bound & -bound == bound:
            return (bound * self.next(31)) >> 31
        while True:
            bits = self.next(31)
            val = bits % bound
            if bits - val + (bound - 1) < (1 << 31):
                return val


def shuffle(order, rnd):
    for i in range(len(order) - 1, 0, -1):
        j = rnd.next_int(i + 1)
        order[i], order[j] = order[j], order[i]


def load(directory, split, limit):
    with gzip.open("%s/%s-images-idx3-ubyte.gz" % (directory, split), "rb") as f:
        magic, n, rows, cols = struct.unpack(">IIII", f.read(16))
        assert magic == 0x803
        n = min(n, limit)
        x = np.frombuffer(f.read(n * rows * cols), dtype=np.uint8).astype(np.float32) / 255.0
    with gzip.open("%s/%s-labels-idx1-ubyte.gz" % (directory, split), "rb") as f:
        magic, _ = struct.unpack(">II", f.read(8))
        assert magic == 0x801
        y = np.frombuffer(f.read(n), dtype=np.uint8).astype(np.int64)
    return x.reshape(n, 1, rows, cols), y


def build(onnx_path, device):
    """The CNN with the ONNX file's weights; without the onnx package (the Debian torch peer), the weights
    bench/torch_peer.py exported, remade from seed 0 (the same numbers where the RNG and init are the same)."""
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, 2),
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, 2),
        nn.Flatten(), nn.Linear(16 * 7 * 7, 10))
    source = "seed 0"
    try:
        import onnx
        from onnx import numpy_helper
    except ImportError:
        onnx = None
    if onnx is not None:
        weights = {i.name: numpy_helper.to_array(i) for i in onnx.load(onnx_path).graph.initializer}
        state = model.state_dict()
        missing = [k for k in state if k not in weights]
        if missing:
            raise SystemExit("ONNX initializers %s do not name the parameters %s" % (sorted(weights), missing))
        model.load_state_dict({k: torch.from_numpy(np.array(weights[k])) for k in state})
        source = onnx_path
    return model.to(device).train(), source


def train(model, x, y, batch, total, device, stamps=None, losses=None):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
    rnd = JavaRandom(1)
    order = list(range(len(x)))
    step = 0
    if stamps is not None:
        stamps.append(time.perf_counter_ns())
    while step < total:
        shuffle(order, rnd)
        idx = np.array(order)
        for start in range(0, len(x), batch):
            if step >= total:
                break
            b = idx[start:start + batch]
            xb = torch.from_numpy(x[b]).to(device)
            yb = torch.from_numpy(y[b]).to(device)
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            opt.zero_grad()
            value = loss.item()
            step += 1
            if losses is not None:
                losses.append(value)
            if stamps is not None:
                stamps.append(time.perf_counter_ns())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--onnx", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--curve-steps", type=int, default=500)
    ap.add_argument("--curve-batch", type=int, default=64)
    ap.add_argument("--batches", default="1,64")
    ap.add_argument("--warmup", type=int, default=2000)
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--out")
    a = ap.parse_args()
    device = torch.device(a.device)
    batches = [int(b) for b in a.batches.split(",") if b]
    n = min(60000, max(a.curve_steps * a.curve_batch, (a.warmup + a.steps) * max(batches + [a.curve_batch])))
    x, y = load(a.data, "train", n)
    report = {"device": str(device), "engine": "PyTorch eager " + torch.__version__,
              "threads": torch.get_num_threads(), "train_samples": len(x)}

    model, source = build(a.onnx, device)
    report["weights_from"] = source
    losses = []
    t0 = time.perf_counter()
    train(model, x, y, a.curve_batch, a.curve_steps, device, losses=losses)
    curve = {"batch": a.curve_batch, "steps": a.curve_steps, "seconds": time.perf_counter() - t0,
             "parameter_device": str(next(model.parameters()).device)}
    try:
        tx, ty = load(a.data, "t10k", 10000)
        model.eval()
        correct = 0
        with torch.no_grad():
            for s in range(0, len(tx), 1000):
                pred = model(torch.from_numpy(tx[s:s + 1000]).to(device)).argmax(-1).cpu().numpy()
                correct += int((pred == ty[s:s + 1000]).sum())
        curve["test_accuracy"] = correct / len(tx)
    except FileNotFoundError:
        pass
    curve["losses"] = [float("%.7g" % v) for v in losses]
    report["curve"] = curve

    timings = []
    for b in batches:
        stamps = []
        train(build(a.onnx, device)[0], x, y, b, a.warmup + a.steps, device, stamps=stamps)
        ms = np.diff(np.array(stamps, dtype=np.int64)) / 1e6
        timed = ms[a.warmup:]
        timings.append({"batch": b, "warmup": a.warmup, "steps": a.steps, "p50_ms": float(np.median(timed)),
                        "mean_ms": float(timed.mean()), "p10_ms": float(np.percentile(timed, 10)),
                        "p90_ms": float(np.percentile(timed, 90)),
                        "warmup_mean_ms": float(ms[:a.warmup].mean()) if a.warmup else None})
        print("torch-reference: %s batch %d p50 %.3f ms" % (device, b, timings[-1]["p50_ms"]), flush=True)
    report["timings"] = timings
    text = json.dumps(report)
    if a.out:
        with open(a.out, "w") as f:
            f.write(text + "\n")
    print(text[:300] + " ...")


if __name__ == "__main__":
    main()
