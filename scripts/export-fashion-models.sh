#!/usr/bin/env bash
# Trains and exports the two Fashion-MNIST benchmark models of issue 20 (a ResNet-style CNN and a Transformer encoder
# classifier) with Debian's PyTorch 1.13 into testdata/fashion-models/ (git-ignored):
#   resnet-fashion.onnx, transformer-fashion.onnx, fashion-models.json (test top-1, parameters, epochs, seconds).
# What the models are and how they are trained: scripts/export-fashion-models.py; figures: BENCHMARKS.md
# ("Fashion-MNIST models exported from PyTorch"). Idempotent: with both files and the json there it does nothing
# (FORCE=1 trains again). About 30 minutes on one core of a 2-core shared machine (BENCHMARKS.md).
#
#   scripts/export-fashion-models.sh                  # both models
#   FORCE=1 MODELS=transformer scripts/export-fashion-models.sh
#   OUT=/some/dir scripts/export-fashion-models.sh    # elsewhere (the tests read -Dfashion.models=/some/dir)
#
# Needs apt access once: scripts/fetch-torch-peer.sh (python3-torch unpacked into testdata/torch-peer) and
# Fashion-MNIST (Debian's dataset-fashion-mnist, unpacked by scripts/fetch-testdata.sh into testdata/root/; a
# system-wide `apt-get install dataset-fashion-mnist` in /usr/share/datasets/fashion-mnist is used as well).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
out="${OUT:-$root/testdata/fashion-models}"
models="${MODELS:-resnet,transformer}"

done_already() {
  [ -s "$out/fashion-models.json" ] || return 1
  local m
  for m in ${models//,/ }; do
    [ -s "$out/$m-fashion.onnx" ] && grep -q "\"$m\"" "$out/fashion-models.json" || return 1
  done
}
if [ "${FORCE:-0}" != 1 ] && done_already; then
  echo "export-fashion-models: already in $out (FORCE=1 to train again)"
  exit 0
fi

data="${DATA:-}"
if [ -z "$data" ]; then
  for d in "$root/testdata/root/usr/share/datasets/fashion-mnist" /usr/share/datasets/fashion-mnist; do
    if [ -e "$d/t10k-images-idx3-ubyte.gz" ]; then data="$d"; break; fi
  done
fi
if [ -z "$data" ]; then
  bash "$root/scripts/fetch-testdata.sh" >&2
  data="$root/testdata/root/usr/share/datasets/fashion-mnist"
fi
bash "$root/scripts/fetch-torch-peer.sh" >&2

mkdir -p "$out"
# One thread everywhere: the machine is shared, and one thread keeps the run reproducible.
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
"$root/testdata/torch-peer/python3" "$root/scripts/export-fashion-models.py" --data "$data" --out "$out" \
    --models "$models" --threads 1 "$@"
