"""PyTorch eager peer for the interpreter's training-step benchmark (see BENCHMARKS.md).

Builds the benchmark models in PyTorch, optionally exports them to ONNX (the files the Java side,
io.caas.engine.bench.TrainingStepBench, loads: both sides then start from the identical graph and weights), and times
training steps the way io.caas.engine.train.FineTuner takes them:

    batch gathered from the in-memory dataset into a tensor -> forward -> cross-entropy (mean) -> backward
    -> Adam step (lr 1e-3, betas 0.9/0.999, eps 1e-8) -> gradients zeroed -> loss read back to the host

Models (Fashion-MNIST, input [N, 1, 28, 28], 10 classes):
    cnn  Conv(1->8, 3x3, pad 1)-Relu-MaxPool(2)-Conv(8->16, 3x3, pad 1)-Relu-MaxPool(2)-Flatten-Linear(784->10)
         (the layout of the engine tests' SmallCnn)
    mlp  Flatten-Linear(784->256)-Relu-Linear(256->10)
Token model (inputs input_ids and attention_mask, int64 [N, S]; 2 classes):
    minilm  BERT-style MiniLM-L6-H384 (the body of all-MiniLM-L6-v2: 22,565,376 parameters, random init with a fixed
            seed), the masked mean of its last hidden state, then Linear(384->2): see MiniLm below. Its data are real
            sentences (Debian's fortunes) tokenized by the engine's test WordPieceTokenizer, read from the file
            io.caas.engine.compress.FortuneTokens writes (--tokens), so both sides train on identical ids.

A configuration is a batch size, for the token model "BxS" (batch B of sequences of S tokens; a plain B means S = --seq).
Per configuration: p50/mean/p10/p90 of the timed steps' wall time, the process CPU time per timed step (all
threads; less sensitive than wall time to other work on the machine) and the mean of the warm-up steps.
Prints one JSON object on stdout. Runs under Debian's python3-torch 1.13 (testdata/torch-peer/python3).
"""
import argparse
import gzip
import json
import math
import os
import platform
import struct
import time
import warnings

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class MiniLmLayer(nn.Module):
    """One post-LN BERT encoder layer: self-attention, residual + LayerNorm, GELU feed-forward, residual + LayerNorm."""

    def __init__(self, hidden, heads, ffn, eps):
        super().__init__()
        self.heads = heads
        self.head_dim = hidden // heads
        self.query = nn.Linear(hidden, hidden)
        self.key = nn.Linear(hidden, hidden)
        self.value = nn.Linear(hidden, hidden)
        self.attention_output = nn.Linear(hidden, hidden)
        self.attention_norm = nn.LayerNorm(hidden, eps=eps)
        self.intermediate = nn.Linear(hidden, ffn)
        self.output = nn.Linear(ffn, hidden)
        self.output_norm = nn.LayerNorm(hidden, eps=eps)

    def split(self, x):
        # [N, S, hidden] -> [N, heads, S, head_dim], as BERT's transpose_for_scores
        return x.view(x.size(0), x.size(1), self.heads, self.head_dim).permute(0, 2, 1, 3)

    def forward(self, h, mask_bias):
        q = self.split(self.query(h))
        k = self.split(self.key(h))
        v = self.split(self.value(h))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_dim) + mask_bias
        context = torch.matmul(torch.softmax(scores, dim=-1), v).permute(0, 2, 1, 3)
        context = context.reshape(context.size(0), context.size(1), self.heads * self.head_dim)
        h = self.attention_norm(self.attention_output(context) + h)
        return self.output_norm(self.output(F.gelu(self.intermediate(h))) + h)


class MiniLm(nn.Module):
    """BERT-style MiniLM-L6-H384, the architecture of all-MiniLM-L6-v2, in plain PyTorch (no transformers package):
    word (30522 x 384), position (512 x 384) and token type (2 x 384) embeddings summed, LayerNorm (eps 1e-12), six
    post-LN encoder layers (12 heads; the attention mask added to the scores as BERT does, (1 - mask) times float32's
    lowest value; feed-forward 384 -> 1536 -> 384 with exact (erf) GELU). That body has 22,565,376 parameters. Head (not
    part of MiniLM): the mean of the last hidden state over the attention mask, then Linear(384 -> 2), 770 parameters.

    No dropout (BERT trains with 0.1; here neither side runs it, and the exported graph has none); token types are all
    0 (single sentences); the word embedding has no padding_idx (an ONNX Gather has none, and the Java side trains row 0 too).
    Initialised as BERT does (normal(0, 0.02) weights, zero biases, LayerNorm 1/0) from a fixed seed."""

    VOCAB, HIDDEN, LAYERS, HEADS, FFN, POSITIONS, TYPES, EPS, CLASSES = 30522, 384, 6, 12, 1536, 512, 2, 1e-12, 2

    def __init__(self):
        super().__init__()
        self.word_embeddings = nn.Embedding(self.VOCAB, self.HIDDEN)
        self.position_embeddings = nn.Embedding(self.POSITIONS, self.HIDDEN)
        self.token_type_embeddings = nn.Embedding(self.TYPES, self.HIDDEN)
        self.embedding_norm = nn.LayerNorm(self.HIDDEN, eps=self.EPS)
        self.layers = nn.ModuleList(MiniLmLayer(self.HIDDEN, self.HEADS, self.FFN, self.EPS)
                                    for _ in range(self.LAYERS))
        self.classifier = nn.Linear(self.HIDDEN, self.CLASSES)
        self.register_buffer("position_ids", torch.arange(self.POSITIONS).unsqueeze(0), persistent=False)
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, mean=0.0, std=0.02)
            if isinstance(m, nn.Linear):
                nn.init.zeros_(m.bias)

    def body_parameters(self):
        return sum(p.numel() for n, p in self.named_parameters() if not n.startswith("classifier."))

    def forward(self, input_ids, attention_mask):
        positions = self.position_ids[:, :input_ids.size(1)]
        h = (self.word_embeddings(input_ids) + self.position_embeddings(positions)
             + self.token_type_embeddings(torch.zeros_like(input_ids)))
        h = self.embedding_norm(h)
        mask = attention_mask.to(h.dtype)
        mask_bias = (1.0 - mask[:, None, None, :]) * torch.finfo(h.dtype).min
        for layer in self.layers:
            h = layer(h, mask_bias)
        weights = mask.unsqueeze(-1)
        pooled = (h * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
        return self.classifier(pooled)


TOKEN_MODELS = {"minilm"}


def build(name):
    if name == "cnn":
        return nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, 2),
            nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, 2),
            nn.Flatten(), nn.Linear(16 * 7 * 7, 10))
    if name == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    if name == "minilm":
        model = MiniLm()
        assert model.body_parameters() == 22565376, model.body_parameters()
        return model
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


TOKEN_MAGIC = b"CAASTOK1"


def load_tokens(directory, seq):
    """The file io.caas.engine.compress.FortuneTokens writes (little-endian): 8 bytes "CAASTOK1", int32 sentences n,
    int32 sequence length S, then int64 input_ids [n, S], int64 attention_mask [n, S], int64 labels [n]."""
    path = os.path.join(directory, "fortunes-s%d.bin" % seq)
    with open(path, "rb") as f:
        assert f.read(8) == TOKEN_MAGIC, path + " is not a token file"
        n, s = struct.unpack("<ii", f.read(8))
        assert s == seq, "%s holds sequences of %d, not %d" % (path, s, seq)
        ids = np.fromfile(f, dtype="<i8", count=n * s).reshape(n, s).astype(np.int64)
        mask = np.fromfile(f, dtype="<i8", count=n * s).reshape(n, s).astype(np.int64)
        labels = np.fromfile(f, dtype="<i8", count=n).astype(np.int64)
    assert len(labels) == n, path + " is truncated"
    return [ids, mask], labels


def export(name, seed, path):
    model = fresh(name, seed).eval()
    if name in TOKEN_MODELS:
        # Exported in training mode (the model has no dropout or batch norm, so it computes the same): in eval mode
        # torch 1.13's exporter merges initializers of equal value into one (_jit_pass_onnx_deduplicate_initializers),
        # and BERT's initial zero biases and unit LayerNorm scales would become one shared, jointly trained weight.
        # Constant folding only transposes the Linear weights into the MatMuls' initializers, as for the other models.
        model.train()
        ids = torch.ones(2, 16, dtype=torch.int64)
        mask = torch.ones(2, 16, dtype=torch.int64)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*constant folding be turned off.*")
            torch.onnx.export(model, (ids, mask), path, opset_version=13, training=torch.onnx.TrainingMode.PRESERVE,
                              input_names=["input_ids", "attention_mask"], output_names=["logits"],
                              dynamic_axes={"input_ids": {0: "N", 1: "S"}, "attention_mask": {0: "N", 1: "S"},
                                            "logits": {0: "N"}}, do_constant_folding=True)
        return
    dummy = torch.zeros(2, 1, 28, 28)
    torch.onnx.export(model, dummy, path, opset_version=13, input_names=["x"], output_names=["logits"],
                      dynamic_axes={"x": {0: "N"}, "logits": {0: "N"}}, do_constant_folding=True)


def parse_config(model, config, seq):
    """(batch, sequence length or None) of one --batches entry: "B" or, for a token model, "BxS"."""
    b, _, s = config.partition("x")
    if model in TOKEN_MODELS:
        return int(b), int(s) if s else seq
    if s:
        raise ValueError("%s takes images: batch %s has a sequence length" % (model, config))
    return int(b), None


class SparseEmbeddingAdam:
    """Adam over the dense parameters and SparseAdam over the embedding tables, made sparse=True: only the rows a
    batch reads, and their moments, update (the interpreter's EmbeddingUpdates.SPARSE)."""

    def __init__(self, model):
        tables = [m for m in model.modules() if isinstance(m, nn.Embedding)]
        for m in tables:
            m.sparse = True
        ids = {id(m.weight) for m in tables}
        self.opts = [torch.optim.Adam([p for p in model.parameters() if id(p) not in ids], lr=1e-3,
                                      betas=(0.9, 0.999), eps=1e-8)]
        if tables:
            self.opts.append(torch.optim.SparseAdam([m.weight for m in tables], lr=1e-3, betas=(0.9, 0.999),
                                                    eps=1e-8))

    def step(self):
        for o in self.opts:
            o.step()

    def zero_grad(self):
        for o in self.opts:
            o.zero_grad()


def time_steps(name, seed, xs, y, batch, warmup, steps, profile_dir=None, seq=None, embeddings="dense"):
    model = fresh(name, seed).train()
    opt = (SparseEmbeddingAdam(model) if embeddings == "sparse"
           else torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8))
    rnd = np.random.default_rng(seed)
    total = warmup + steps
    # More steps than one pass over the data holds go on into further epochs, each reshuffled, as on the Java side.
    epochs = -(-total * batch // len(y))
    order = np.concatenate([rnd.permutation(len(y)) for _ in range(epochs)])
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
        xb = [torch.from_numpy(x[idx]) for x in xs]
        yb = torch.from_numpy(y[idx])
        out = model(*xb)
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
        with open(os.path.join(profile_dir, "torch-%s-b%d%s.json" % (name, batch, "" if seq is None else "x%d" % seq)),
                  "w") as f:
            json.dump(events, f)
    warm = np.array(times[:warmup])
    times = np.array(times[warmup:])
    result = {"model": name, "batch": batch}
    if seq is not None:
        result["seq"] = seq
    return {
        **result, "warmup": warmup, "steps": steps,
        "p50_ms": float(np.median(times)), "mean_ms": float(times.mean()),
        "p10_ms": float(np.percentile(times, 10)), "p90_ms": float(np.percentile(times, 90)),
        "cpu_ms_per_step": cpu, "warmup_mean_ms": float(warm.mean()) if warmup else None,
        "first_loss": losses[0], "last_loss": float(np.mean(losses[-20:])),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", help="folder with Fashion-MNIST's train-*-ubyte.gz (for cnn, mlp)")
    ap.add_argument("--tokens", help="folder with FortuneTokens' fortunes-s<S>.bin files (for minilm)")
    ap.add_argument("--models", default="cnn,mlp")
    ap.add_argument("--batches", default="1,64", help='batch sizes; for a token model "BxS" (S tokens each)')
    ap.add_argument("--seq", type=int, default=64, help="sequence length of a token model's plain batch size")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--warmup", type=int, default=5000)
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--export-dir", help="write <model>.onnx here (the weights every run starts from)")
    ap.add_argument("--no-time", action="store_true", help="only export")
    ap.add_argument("--flush-denormal", action="store_true",
                    help="torch.set_flush_denormal(True): denormal floats computed as zero")
    ap.add_argument("--embeddings", choices=["dense", "sparse"], default="dense",
                    help="sparse: embedding tables update by rows (nn.Embedding(sparse=True), SparseAdam)")
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
    configs = {m: [parse_config(m, c, a.seq) for c in a.batches.split(",")] for m in models}
    if a.export_dir:
        os.makedirs(a.export_dir, exist_ok=True)
        for m in models:
            export(m, a.seed, os.path.join(a.export_dir, m + ".onnx"))
    report = {
        "side": "pytorch-eager", "torch": torch.__version__, "python": platform.python_version(),
        "flush_denormal": a.flush_denormal, "embeddings": a.embeddings,
        "threads": torch.get_num_threads(), "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "results": [],
    }
    if not a.no_time:
        images = None
        for m in models:
            for b, seq in configs[m]:
                if m in TOKEN_MODELS:
                    assert a.tokens, "--tokens is required for " + m
                    xs, y = load_tokens(a.tokens, seq)
                else:
                    if images is None:
                        assert a.data, "--data is required for " + m
                        most = max(ib for im in models if im not in TOKEN_MODELS for ib, _ in configs[im])
                        x, y = load_fashion_mnist(a.data, (a.warmup + a.steps) * most)
                        images = [x], y
                    xs, y = images
                report["results"].append(time_steps(m, a.seed, xs, y, b, a.warmup, a.steps, a.profile, seq,
                                                         a.embeddings))
    print(json.dumps(report))


if __name__ == "__main__":
    main()
