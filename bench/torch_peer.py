"""PyTorch eager peer for the interpreter's training-step benchmark (see BENCHMARKS.md).

Builds the two benchmark models in PyTorch, optionally exports them to ONNX (the files the Java side,
io.caas.engine.bench.TrainingStepBench, loads: both sides then start from the identical graph and weights), and times
training steps the way io.caas.engine.train.FineTuner takes them:

    batch gathered from the in-memory dataset into a tensor -> forward -> cross-entropy (mean) -> backward
    -> Adam step (lr 1e-3, betas 0.9/0.999, eps 1e-8) -> gradients zeroed -> loss read back to the host

Models (Fashion-MNIST, input [N, 1, 28, 28], 10 classes):
    cnn  Conv(1->8, 3x3, pad 1)-Relu-MaxPool(2)-Conv(8->16, 3x3, pad 1)-Relu-MaxPool(2)-Flatten-Linear(784->10)
         (the layout of the engine tests' SmallCnn)
    mlp  Flatten-Linear(784->256)-Relu-Linear(256->10)

Per configuration: p50/mean/p10/p90 of the timed steps' wall time, the process CPU time per timed step (all
threads; less sensitive than wall time to other work on the machine) and the mean of the warm-up steps.
Prints one JSON object on stdout. Runs under Debian's python3-torch 1.13 (testdata/torch-peer/python3).
"""
import argparse
import gzip
import json
import os
import platform
import struct
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def build(name):
    if name == "cnn":
        return nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, 2),
            nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, 2),
            nn.Flatten(), nn.Linear(16 * 7 * 7, 10))
    if name == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    raise ValueError("unknown model " + name)


def fresh(name, seed):
    torch.manual_seed(seed)
    return build(name)


def load_fashion_mnist(directory, limit):
    with gzip.open(os.path.join(directory, "train-images-idx3-ubyte.gz"), "rb") as f:
        magic, n, rows, cols = struct.unpack(">IIII", f.read(16))
        assert magic == 0x803, "not an IDX image file"
        n = min(n, limit)
        x = np.frombuffer(f.read(n * rows * cols), dtype=np.uint8).astype(np.float32) / 255.0
    with gzip.open(os.path.join(directory, "train-labels-idx1-ubyte.gz"), "rb") as f:
        magic, _ = struct.unpack(">II", f.read(8))
        assert magic == 0x801, "not an IDX label file"
        y = np.frombuffer(f.read(n), dtype=np.uint8).astype(np.int64)
    return x.reshape(n, 1, rows, cols), y


def export(name, seed, path):
    model = fresh(name, seed).eval()
    dummy = torch.zeros(2, 1, 28, 28)
    torch.onnx.export(model, dummy, path, opset_version=13, input_names=["x"], output_names=["logits"],
                      dynamic_axes={"x": {0: "N"}, "logits": {0: "N"}}, do_constant_folding=True)


def time_steps(name, seed, x, y, batch, warmup, steps, profile_dir=None):
    model = fresh(name, seed).train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
    rnd = np.random.default_rng(seed)
    total = warmup + steps
    # More steps than one pass over the data holds go on into further epochs, each reshuffled, as on the Java side.
    epochs = -(-total * batch // len(x))
    order = np.concatenate([rnd.permutation(len(x)) for _ in range(epochs)])
    times = []
    losses = []
    cpu0 = None
    prof = None
    for step in range(total):
        if step == warmup:
            cpu0 = time.process_time_ns()
            if profile_dir:
                os.makedirs(profile_dir, exist_ok=True)
                prof = torch.autograd.profiler.profile(record_shapes=True)
                prof.__enter__()
        t0 = time.perf_counter_ns()
        idx = order[step * batch:(step + 1) * batch]
        xb = torch.from_numpy(x[idx])
        yb = torch.from_numpy(y[idx])
        out = model(xb)
        loss = F.cross_entropy(out, yb)
        loss.backward()
        opt.step()
        opt.zero_grad()
        value = loss.item()
        t1 = time.perf_counter_ns()
        losses.append(value)
        times.append((t1 - t0) / 1e6)
    cpu = (time.process_time_ns() - cpu0) / 1e6 / steps
    if prof is not None:
        prof.__exit__(None, None, None)
        # The events in the Chrome trace layout libtorch 2.7 writes for the Java side, with the input shapes that
        # PyTorch 1.13's own export_chrome_trace leaves out.
        events = [{"name": e.name, "ph": "X", "ts": e.time_range.start, "dur": e.time_range.elapsed_us(),
                   "tid": e.thread, "shape": e.input_shapes} for e in prof.function_events]
        with open(os.path.join(profile_dir, "torch-%s-b%d.json" % (name, batch)), "w") as f:
            json.dump(events, f)
    warm = np.array(times[:warmup])
    times = np.array(times[warmup:])
    return {
        "model": name, "batch": batch, "warmup": warmup, "steps": steps,
        "p50_ms": float(np.median(times)), "mean_ms": float(times.mean()),
        "p10_ms": float(np.percentile(times, 10)), "p90_ms": float(np.percentile(times, 90)),
        "cpu_ms_per_step": cpu, "warmup_mean_ms": float(warm.mean()) if warmup else None,
        "first_loss": losses[0], "last_loss": float(np.mean(losses[-20:])),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True, help="folder with Fashion-MNIST's train-*-ubyte.gz")
    ap.add_argument("--models", default="cnn,mlp")
    ap.add_argument("--batches", default="1,64")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--warmup", type=int, default=5000)
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--export-dir", help="write <model>.onnx here (the weights every run starts from)")
    ap.add_argument("--no-time", action="store_true", help="only export")
    ap.add_argument("--flush-denormal", action="store_true",
                    help="torch.set_flush_denormal(True): denormal floats computed as zero")
    ap.add_argument("--profile", help="write torch-<model>-b<batch>.json here: the autograd profiler's Chrome trace "
                    "of the timed steps (it slows every op, so a profiled run's timings are not the benchmark's)")
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    if a.flush_denormal:
        # Flush-to-zero for this thread's float arithmetic: the hardware form of what the interpreter's
        # DenormalSafeAdam does to Adam's moments on the data.
        assert torch.set_flush_denormal(True), "this CPU has no flush-to-zero mode"
    torch.set_num_interop_threads(1)
    models = a.models.split(",")
    batches = [int(b) for b in a.batches.split(",")]
    if a.export_dir:
        os.makedirs(a.export_dir, exist_ok=True)
        for m in models:
            export(m, a.seed, os.path.join(a.export_dir, m + ".onnx"))
    report = {
        "side": "pytorch-eager", "torch": torch.__version__, "python": platform.python_version(),
        "flush_denormal": a.flush_denormal,
        "threads": torch.get_num_threads(), "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "results": [],
    }
    if not a.no_time:
        x, y = load_fashion_mnist(a.data, (a.warmup + a.steps) * max(batches))
        for m in models:
            for b in batches:
                report["results"].append(time_steps(m, a.seed, x, y, b, a.warmup, a.steps, a.profile))
    print(json.dumps(report))


if __name__ == "__main__":
    main()
