#!/usr/bin/env bash
# Training step time: the ONNX interpreter (DJL + libtorch, through FineTuner) vs the same model in PyTorch eager
# (Debian's python3-torch on CPU). Prints a table of medians over repetitions and the ratio interpreter/PyTorch;
# raw JSON per run goes to engine/target/bench/. See BENCHMARKS.md.
#
#   scripts/bench-training-step.sh                 # defaults below
#   REPS=3 THREADS="1 2" WARMUP=300 STEPS=300 scripts/bench-training-step.sh
#   MODELS=minilm scripts/bench-training-step.sh   # BERT-style MiniLM-L6-H384 on tokenized sentences, see below
#
# Warm-up: 5,000 steps by default, because the JVM's JIT compilers are still at work on the step's code for the first
# ~4,000 steps (measured: cnn batch 1 p50 0.76-0.89 ms and 1.0-1.3 ms of process CPU per step after 300-2,000
# warm-up steps, 0.58-0.62 ms and 0.62-0.69 ms after 4,000-8,000). A worker JVM is long-lived, so that is a cost of
# its first job, not of every step; the warm-up steps' mean is reported separately. Both sides get the same counts,
# and runs longer than one pass over the data go on into further (reshuffled) epochs on both sides.
#
# MODELS=minilm (the token model; a step takes about 1 s at 8 x 64 tokens and 2 s at 16 x 128 on the 2-core VM):
# BATCHES are "BxS" (batch B of S tokens; a plain B means S=$SEQ, default 64), and the defaults become
# WARMUP=10 STEPS=30 BATCHES=8x64,16x128, so that REPS=3 takes about 15-20 minutes there. Its data are Debian's
# fortunes, tokenized once by io.caas.engine.compress.FortuneTokens into engine/target/bench/tokens/ and read by both
# sides. The step is the JIT's for only a small share (the libtorch kernels of a 22.6M-parameter model dominate), so
# 10 warm-up steps suffice there; the warm-up mean stays in the table.
#
# EMBEDDINGS=sparse: the embedding tables of minilm update by rows on both sides (PyTorch: nn.Embedding(sparse=True)
# and SparseAdam over the tables, Adam over the rest; the interpreter: a job's budget.embeddingUpdates=sparse). The
# default, dense, is PyTorch's default and the jobs'.
#
# Needs: Maven offline cache (as for the build), apt access once (scripts/fetch-torch-peer.sh, Fashion-MNIST).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
REPS="${REPS:-3}"
THREADS="${THREADS:-1}"
MODELS="${MODELS:-cnn,mlp}"
SEQ="${SEQ:-64}"
EMBEDDINGS="${EMBEDDINGS:-dense}"
if [ "$MODELS" = minilm ]; then
  WARMUP="${WARMUP:-10}"
  STEPS="${STEPS:-30}"
  BATCHES="${BATCHES:-8x64,16x128}"
else
  WARMUP="${WARMUP:-5000}"
  STEPS="${STEPS:-1000}"
  BATCHES="${BATCHES:-1,64}"
fi
images=0
tokens=0
for m in ${MODELS//,/ }; do
  if [ "$m" = minilm ]; then tokens=1; else images=1; fi
done
# glibc's malloc as the Docker image sets it (see the Dockerfile): without it the interpreter's training thread
# faults its freed temporaries back in every step. Both sides run with it. MALLOC_DEFAULTS=1 leaves glibc's own.
if [ "${MALLOC_DEFAULTS:-0}" != 1 ]; then
  export MALLOC_TRIM_THRESHOLD_="${MALLOC_TRIM_THRESHOLD_:-134217728}" MALLOC_MMAP_THRESHOLD_="${MALLOC_MMAP_THRESHOLD_:-33554432}"
fi
# TORCH_FLUSH_DENORMAL=1: the PyTorch side runs with torch.set_flush_denormal(True) (see BENCHMARKS.md).
torch_flags=()
[ "${TORCH_FLUSH_DENORMAL:-0}" = 1 ] && torch_flags=(--flush-denormal)
torch_flags+=(--embeddings "$EMBEDDINGS")

data="$root/testdata/root/usr/share/datasets/fashion-mnist"
fortunes="$root/testdata/root/usr/share/games/fortunes/cookie"
if { [ "$images" = 1 ] && [ ! -e "$data/train-images-idx3-ubyte.gz" ]; } || { [ "$tokens" = 1 ] && [ ! -e "$fortunes" ]; }; then
  bash "$root/scripts/fetch-testdata.sh"
fi
bash "$root/scripts/fetch-torch-peer.sh" >&2
py="$root/testdata/torch-peer/python3"

out="$root/engine/target/bench/training-step-$(date -u +%Y%m%dT%H%M%SZ)"
onnx="$root/engine/target/bench/onnx"
tok="$root/engine/target/bench/tokens"
mkdir -p "$out" "$onnx"

# The models both sides train, exported once from PyTorch: identical graph and starting weights.
"$py" bench/torch_peer.py --data "$data" --models "$MODELS" --export-dir "$onnx" --no-time > /dev/null

echo "bench: compiling the engine and its test classes" >&2
mvn -B -q -pl engine test-compile exec:exec -Dexec.executable=echo -Dexec.classpathScope=test \
    -Dexec.args='%classpath' -Dexec.outputFile="$out/classpath.txt" >&2
cp="$(tr -d '\n' < "$out/classpath.txt")"

if [ "$tokens" = 1 ]; then
  # The token model's sentences, tokenized once by the engine's test tokenizer: both sides read these ids.
  seqs=""
  for b in ${BATCHES//,/ }; do
    case "$b" in *x*) s="${b#*x}" ;; *) s="$SEQ" ;; esac
    case ",$seqs," in *",$s,"*) ;; *) seqs="${seqs:+$seqs,}$s" ;; esac
  done
  java -cp "$cp" io.caas.engine.compress.FortuneTokens --fortunes "$fortunes" --out "$tok" --seqs "$seqs" >&2
fi

{
  echo "command: $0 (REPS=$REPS THREADS=\"$THREADS\" WARMUP=$WARMUP STEPS=$STEPS MODELS=$MODELS BATCHES=$BATCHES SEQ=$SEQ EMBEDDINGS=$EMBEDDINGS TORCH_FLUSH_DENORMAL=${TORCH_FLUSH_DENORMAL:-0} MALLOC_DEFAULTS=${MALLOC_DEFAULTS:-0})"
  echo "malloc: MALLOC_TRIM_THRESHOLD_=${MALLOC_TRIM_THRESHOLD_:-glibc default} MALLOC_MMAP_THRESHOLD_=${MALLOC_MMAP_THRESHOLD_:-glibc default}"
  echo "date: $(date -u +%FT%TZ)"
  echo "nproc: $(nproc)"
  echo "memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
  echo "cpu: $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
  echo "jdk: $(java -version 2>&1 | head -1)"
  echo "torch (peer): $("$py" -c 'import torch; print(torch.__version__)')"
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$out/machine.txt" >&2

for rep in $(seq 1 "$REPS"); do
  for t in $THREADS; do
    echo "bench: repetition $rep/$REPS, $t thread(s)" >&2
    # Alternate which side goes first, so a neighbour's load drifting in or out does not favour one side.
    sides=(torch java)
    [ $((rep % 2)) = 0 ] && sides=(java torch)
    for side in "${sides[@]}"; do
      if [ "$side" = torch ]; then
        OMP_NUM_THREADS="$t" OPENBLAS_NUM_THREADS="$t" "$py" bench/torch_peer.py --data "$data" --tokens "$tok" \
            --models "$MODELS" --batches "$BATCHES" --seq "$SEQ" --threads "$t" --warmup "$WARMUP" --steps "$STEPS" "${torch_flags[@]}" \
            > "$out/torch-t$t-r$rep.json"
      else
        OMP_NUM_THREADS="$t" java -Xmx2g -Dai.djl.offline=true -Dai.djl.pytorch.num_threads="$t" \
            -Dai.djl.pytorch.num_interop_threads=1 -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$cp" \
            io.caas.engine.bench.TrainingStepBench --onnx "$onnx" --data "$data" --tokens "$tok" --models "$MODELS" \
            --batches "$BATCHES" --seq "$SEQ" --warmup "$WARMUP" --steps "$STEPS" --embeddings "$EMBEDDINGS" \
            > "$out/java-t$t-r$rep.json"
      fi
    done
  done
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/machine.txt" >&2
"$py" bench/report.py "$out" | tee "$out/table.md"
echo "raw results: $out" >&2
