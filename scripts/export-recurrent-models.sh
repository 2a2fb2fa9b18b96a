#!/usr/bin/env bash
# Exports the recurrent and scripted models of issue 15 (LSTM/GRU classifiers, a torch.jit.script model with a
# data-dependent if and a loop) with Debian's PyTorch 1.13 into engine/src/test/resources/pytorch-exports/, where they
# are committed (tens of kilobytes, untrained but seeded): what they are is in scripts/export-recurrent-models.py.
# Needs apt access once for scripts/fetch-torch-peer.sh; the tests themselves need no PyTorch.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${OUT:-$root/engine/src/test/resources/pytorch-exports}"
bash "$root/scripts/fetch-torch-peer.sh" >&2
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
"$root/testdata/torch-peer/python3" "$root/scripts/export-recurrent-models.py" --out "$out" "$@"
