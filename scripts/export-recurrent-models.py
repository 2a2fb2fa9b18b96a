"""Exports the small recurrent and scripted models of issue 15 with PyTorch 1.13, untrained but seeded.

Each is a model a user might export: nn.LSTM / nn.GRU (one and two layers, uni- and bidirectional) with a Linear head
on the last step, and a torch.jit.script model whose Linear and Conv sit inside a data-dependent `if` and a loop.
They are small (tens of kilobytes) and committed under engine/src/test/resources/pytorch-exports/ with
pytorch-exports.json (PyTorch's own parameter count of each, and the exporter's version), so the default test run
needs no PyTorch. Run through scripts/export-recurrent-models.sh.
"""
import argparse
import json
import os

import torch
from torch import nn


class RecurrentClassifier(nn.Module):
    def __init__(self, cell, layers, bidirectional):
        super().__init__()
        rnn = nn.LSTM if cell == "lstm" else nn.GRU
        self.rnn = rnn(input_size=12, hidden_size=24, num_layers=layers, bidirectional=bidirectional,
                       batch_first=True)
        self.head = nn.Linear(24 * (2 if bidirectional else 1), 5)

    def forward(self, x):
        y, _ = self.rnn(x)
        return self.head(y[:, -1, :])


class ScriptedBranches(nn.Module):
    """A Conv in one branch of a data-dependent if, a Linear in the other, another Linear applied in a loop."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(4, 4, kernel_size=3, padding=1)
        self.inner = nn.Linear(32, 32)
        self.wide = nn.Linear(32, 32)
        self.head = nn.Linear(32, 3)

    def forward(self, x):
        # x: [batch, 4, 8]
        if bool(x.mean() > 0):
            h = torch.relu(self.conv(x)).flatten(1)
        else:
            h = torch.tanh(self.wide(x.flatten(1)))
        # a loop whose trip count the exported graph computes from the input's length (8 // 4 = 2 here)
        for _ in range(int(x.shape[2]) // 4):
            h = torch.relu(self.inner(h)) + h
        return self.head(h)


def export(model, example, path, dynamic):
    model.eval()
    torch.onnx.export(model, example, path, opset_version=14, input_names=["x"], output_names=["y"],
                      dynamic_axes=dynamic)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(15)
    meta = {"torch": torch.__version__, "models": {}}
    for cell in ("lstm", "gru"):
        for layers, bi in ((1, False), (2, True)):
            name = f"{cell}-{layers}layer{'-bi' if bi else ''}"
            m = RecurrentClassifier(cell, layers, bi)
            export(m, torch.randn(2, 7, 12), os.path.join(args.out, name + ".onnx"),
                   {"x": {0: "batch", 1: "steps"}, "y": {0: "batch"}})
            meta["models"][name] = {"parameters": sum(p.numel() for p in m.parameters()), "input": [2, 7, 12]}
    scripted = torch.jit.script(ScriptedBranches())
    export(scripted, torch.randn(2, 4, 8), os.path.join(args.out, "scripted-branches.onnx"),
           {"x": {0: "batch"}, "y": {0: "batch"}})
    meta["models"]["scripted-branches"] = {
        "parameters": sum(p.numel() for p in scripted.parameters()), "input": [2, 4, 8]}
    with open(os.path.join(args.out, "pytorch-exports.json"), "w") as f:
        json.dump(meta, f, indent=2, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
