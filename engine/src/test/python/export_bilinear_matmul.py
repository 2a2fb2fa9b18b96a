"""Exports the tiny bilinear-as-MatMul models the engine's BilinearMatMulTest reads.

PyTorch 1.13 cannot export nn.Bilinear (aten::bilinear), so bilinear layers z_k = x^T W_k y written without einsum
reach ONNX as MatMul patterns: a projection x W (MatMul, or Gemm where nn.Linear with a bias projects), reshaped and
contracted with y, or the [k, i, j] weight used directly by a broadcasting MatMul. Each module below is one way people
write them; the near misses compute something that is not a bilinear form in (x, y) and must not be detected. Each
fixture's weights are seeded by its place in FIXTURES, so new ones go at the end. Run with Debian's torch
(scripts/fetch-torch-peer.sh):

    testdata/torch-peer/python3 engine/src/test/python/export_bilinear_matmul.py engine/src/test/resources/bilinear-matmul
"""
import sys

import torch

I, J, K = 6, 4, 3  # x size, y size, outputs: all different, so a mixed-up axis cannot pass


class MulSum(torch.nn.Module):
    """t = x W (W stored [i, k*j]); z = sum_j t[:, k, j] * y[:, j] + b."""

    def __init__(self, dynamic_batch=False):
        super().__init__()
        self.w = torch.nn.Parameter(torch.randn(I, K * J))
        self.b = torch.nn.Parameter(torch.randn(K))
        self.dynamic_batch = dynamic_batch

    def forward(self, x, y):
        t = x @ self.w
        t = t.view(x.shape[0], K, J) if self.dynamic_batch else t.view(-1, K, J)
        return (t * y.unsqueeze(1)).sum(-1) + self.b


class OwnBatch(torch.nn.Module):
    """The batch size read from the projection itself: t.view(t.shape[0], k, j), so Shape reads t too."""

    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.randn(I, K * J))

    def forward(self, x, y):
        t = x @ self.w
        return (t.view(t.shape[0], K, J) * y.unsqueeze(1)).sum(-1)


class MatMulSqueeze(torch.nn.Module):
    """nn.Linear(i, k*j, bias=False) as the projection, then a batched matrix-vector product with y."""

    def __init__(self):
        super().__init__()
        self.proj = torch.nn.Linear(I, K * J, bias=False)

    def forward(self, x, y):
        t = self.proj(x).view(-1, K, J)
        return torch.matmul(t, y.unsqueeze(-1)).squeeze(-1)


class StoredKij(torch.nn.Module):
    """W stored [k, i, j] as nn.Bilinear stores it; permuted and reshaped in the graph (no constant folding)."""

    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.randn(K, I, J))
        self.b = torch.nn.Parameter(torch.randn(K))

    def forward(self, x, y):
        t = (x @ self.w.permute(1, 0, 2).reshape(I, K * J)).view(-1, K, J)
        return torch.bmm(t, y.unsqueeze(2)).squeeze(2) + self.b


class JkLayout(torch.nn.Module):
    """W stored [i, j*k]: the y axis comes first, y is unsqueezed last and the sum runs over axis 1."""

    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.randn(I, J * K))

    def forward(self, x, y):
        t = (x @ self.w).view(-1, J, K)
        return (t * y.unsqueeze(-1)).sum(1)


class RowTimesMatrix(torch.nn.Module):
    """y as a row vector on the left: (y[:, None, :] @ t[:, j, k]).squeeze(1)."""

    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.randn(I, J * K))

    def forward(self, x, y):
        t = (x @ self.w).view(-1, J, K)
        return torch.matmul(y.unsqueeze(1), t).squeeze(1)


class SameInput(torch.nn.Module):
    """A quadratic form z_k = x^T W_k x after an encoder: x and y are the same tensor, still bilinear in form."""

    def __init__(self):
        super().__init__()
        self.enc = torch.nn.Linear(I, J)
        self.w = torch.nn.Parameter(torch.randn(J, K * J))

    def forward(self, x, y):
        h = torch.relu(self.enc(x))
        t = (h @ self.w).view(-1, K, J)
        return (t * h.unsqueeze(1)).sum(-1) + y[:, :K]


class GemmBias(torch.nn.Module):
    """nn.Linear(i, k*j) *with* a bias as the projection (a Gemm, transB=1): z = x^T W_k y + c_k^T y, bilinear plus a
    term linear in y, which the engine keeps exactly as a bias on x's side of the factorization."""

    def __init__(self):
        super().__init__()
        self.proj = torch.nn.Linear(I, K * J)

    def forward(self, x, y):
        return (self.proj(x).view(-1, K, J) * y.unsqueeze(1)).sum(-1)


class GemmBiasSqueeze(torch.nn.Module):
    """The Gemm projection with a bias, the batch size read at run time, a matrix-vector tail and an output bias."""

    def __init__(self):
        super().__init__()
        self.proj = torch.nn.Linear(I, K * J)
        self.b = torch.nn.Parameter(torch.randn(K))

    def forward(self, x, y):
        t = self.proj(x).view(x.shape[0], K, J)
        return torch.matmul(t, y.unsqueeze(-1)).squeeze(-1) + self.b


class BroadcastKij(torch.nn.Module):
    """W stored [k, i, j] used directly: x[:, None, None, :] @ W is [N, k, 1, j], squeezed to [N, k, j], then
    contracted with y by multiply-and-sum or by a matrix-vector product."""

    def __init__(self, tail="mulsum"):
        super().__init__()
        self.w = torch.nn.Parameter(torch.randn(K, I, J))
        self.b = torch.nn.Parameter(torch.randn(K))
        self.tail = tail

    def forward(self, x, y):
        t = torch.matmul(x[:, None, None, :], self.w).squeeze(2)
        if self.tail == "mulsum":
            return (t * y[:, None, :]).sum(-1) + self.b
        return torch.matmul(t, y.unsqueeze(-1)).squeeze(-1)


class BroadcastKijTwice(torch.nn.Module):
    """Both contractions as broadcasting matrix products: (x[:, None, None, :] @ W) @ y[:, None, :, None] is
    [N, k, 1, 1], squeezed twice."""

    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.randn(K, I, J))

    def forward(self, x, y):
        return torch.matmul(torch.matmul(x[:, None, None, :], self.w), y[:, None, :, None]).squeeze(-1).squeeze(-1)


# near misses: no bilinear layer in any of them

class WrongAxis(torch.nn.Module):
    """The sum runs over k, the axis y is not on: z_j = y_j * sum_k t[k, j], not a bilinear layer's output."""

    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.randn(I, K * J))

    def forward(self, x, y):
        return ((x @ self.w).view(-1, K, J) * y.unsqueeze(1)).sum(1)


class ReluBetween(torch.nn.Module):
    """A Relu after the projection: not linear in x any more."""

    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.randn(I, K * J))

    def forward(self, x, y):
        return (torch.relu(x @ self.w).view(-1, K, J) * y.unsqueeze(1)).sum(-1)


class ConstantSecond(torch.nn.Module):
    """y is a stored parameter, not an activation: the layer is linear in x."""

    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.randn(I, K * J))
        self.c = torch.nn.Parameter(torch.randn(1, J))

    def forward(self, x, y):
        return ((x @ self.w).view(-1, K, J) * self.c.unsqueeze(1)).sum(-1) + y[:, :K]


class ProjectionReadTwice(torch.nn.Module):
    """The reshaped projection is a second output too: replacing the pattern would lose it."""

    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.randn(I, K * J))

    def forward(self, x, y):
        t = (x @ self.w).view(-1, K, J)
        return (t * y.unsqueeze(1)).sum(-1), t


class GemmReluBetween(torch.nn.Module):
    """The Gemm projection with a Relu after it: not linear in x."""

    def __init__(self):
        super().__init__()
        self.proj = torch.nn.Linear(I, K * J)

    def forward(self, x, y):
        return (torch.relu(self.proj(x)).view(-1, K, J) * y.unsqueeze(1)).sum(-1)


class BroadcastReluBetween(torch.nn.Module):
    """The [k, i, j] weight's product with a Relu before y is applied: not linear in x."""

    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.randn(K, I, J))

    def forward(self, x, y):
        t = torch.relu(torch.matmul(x[:, None, None, :], self.w)).squeeze(2)
        return (t * y[:, None, :]).sum(-1)


class BroadcastWrongAxis(torch.nn.Module):
    """The [k, i, j] product summed over k, the axis y is not on: z_j = y_j * sum_k t[k, j]."""

    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.randn(K, I, J))

    def forward(self, x, y):
        t = torch.matmul(x[:, None, None, :], self.w).squeeze(2)
        return (t * y[:, None, :]).sum(1)


class BroadcastXAsColumn(torch.nn.Module):
    """x as a column, x[:, None, :, None] (not a row), times a [k, 1, j] weight: the product is the outer product
    x_i W[k, j], [N, k, i, j], and summed with y over j it is x_i (W y)_k, an [N, k, i] output: no projection of x
    is contracted, so it is no bilinear layer."""

    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.randn(K, 1, J))

    def forward(self, x, y):
        t = torch.matmul(x[:, None, :, None], self.w)
        return (t * y[:, None, None, :]).sum(-1)


FIXTURES = [
    # name, module, opset, constant folding, outputs
    ("mulsum-opset11", MulSum(), 11, True, ["z"]),
    ("mulsum-dynamic-opset13", MulSum(dynamic_batch=True), 13, True, ["z"]),
    ("matmul-squeeze-opset17", MatMulSqueeze(), 17, True, ["z"]),
    ("stored-kij-opset13", StoredKij(), 13, False, ["z"]),
    ("jk-layout-opset11", JkLayout(), 11, True, ["z"]),
    ("row-times-matrix-opset15", RowTimesMatrix(), 15, True, ["z"]),
    ("same-input-opset13", SameInput(), 13, True, ["z"]),
    ("gemm-bias-opset13", GemmBias(), 13, True, ["z"]),
    ("miss-wrong-axis-opset13", WrongAxis(), 13, True, ["z"]),
    ("miss-relu-between-opset13", ReluBetween(), 13, True, ["z"]),
    ("miss-constant-second-opset13", ConstantSecond(), 13, True, ["z"]),
    ("miss-projection-read-twice-opset13", ProjectionReadTwice(), 13, True, ["z", "t"]),
    ("own-batch-opset13", OwnBatch(), 13, True, ["z"]),
    ("gemm-bias-squeeze-opset11", GemmBiasSqueeze(), 11, True, ["z"]),
    ("miss-gemm-relu-between-opset13", GemmReluBetween(), 13, True, ["z"]),
    ("broadcast-kij-opset11", BroadcastKij(), 11, True, ["z"]),
    ("broadcast-kij-opset13", BroadcastKij(), 13, True, ["z"]),
    ("broadcast-kij-matvec-opset15", BroadcastKij(tail="matvec"), 15, True, ["z"]),
    ("broadcast-kij-twice-opset13", BroadcastKijTwice(), 13, True, ["z"]),
    ("broadcast-kij-twice-opset17", BroadcastKijTwice(), 17, True, ["z"]),
    ("miss-broadcast-relu-between-opset13", BroadcastReluBetween(), 13, True, ["z"]),
    ("miss-broadcast-wrong-axis-opset13", BroadcastWrongAxis(), 13, True, ["z"]),
    ("miss-broadcast-x-as-column-opset13", BroadcastXAsColumn(), 13, True, ["z"]),
]


def main(out_dir):
    for index, (name, module, opset, fold, outputs) in enumerate(FIXTURES):
        torch.manual_seed(100 + index)
        for p in module.parameters():
            with torch.no_grad():
                p.copy_(torch.randn_like(p))
        module.eval()
        x, y = torch.randn(2, I), torch.randn(2, J)
        axes = {n: {0: "N"} for n in ["x", "y"] + outputs}
        torch.onnx.export(module, (x, y), f"{out_dir}/{name}.onnx", input_names=["x", "y"], output_names=outputs,
                          opset_version=opset, do_constant_folding=fold, dynamic_axes=axes)
        print(name)


if __name__ == "__main__":
    main(sys.argv[1])
