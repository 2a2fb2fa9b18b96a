#!/usr/bin/env bash
# The GPU worker check, run on the GPU machine from the repository root with prepare.sh's folder carried:
#
#   bash .gpu/scripts/run-on-device.sh
#
# 1. builds DJL 0.35.1's PyTorch JNI against the machine's libtorch (the pip torch wheel's) with build-djl-jni.sh;
# 2. puts it where DJL 0.35.1 looks for a JNI library for an overridden libtorch (PYTORCH_LIBRARY_PATH/VERSION/FLAVOR:
#    <ENGINE_CACHE_DIR>/pytorch/<version>-<flavor>-linux-x86_64/0.35.1-libdjl_torch.so);
# 3. runs io.caas.engine.bench.GpuTrainingCheck (the interpreter training the Fashion-MNIST CNN through FineTuner)
#    on CUDA, then on the CPU, on the carried JRE, with the same libtorch and JNI, then io.caas.engine.bench.GpuJobCheck
#    (the methods' fine-tuning, svd, oialr and sparse embedding rows, on CompressionTask's training device) likewise;
# 4. runs torch_reference.py (the same model, weights and batch order in PyTorch eager) on CUDA and on the CPU;
# 5. prints compare.py's tables last.
# Everything goes to $OUT (log, jni-build.log, gpu.json, cpu.json, jobs-gpu.json, jobs-cpu.json, torch-cuda.json,
# torch-cpu.json, nvidia-smi.csv, summary.md). A failed step is logged and the later steps still run.
#
# Overrides for a dry run elsewhere (see README.md): PY, TORCH_INCLUDE, TORCH_LIB, TORCH_VERSION, FLAVOR, JNI_DEFINES,
# JNI_PREBUILT (a build-djl-jni.sh output folder to reuse), and CURVE_STEPS, WARMUP, STEPS, BATCHES, JOB_STEPS;
# SKIP_TORCH=1 skips step 4.
set -uo pipefail
G="$(cd "$(dirname "$0")/.." && pwd)"
OUT="${OUT:-/tmp/gpu-out}"
T="${WORK:-/tmp/gpu-work}"
mkdir -p "$OUT" "$T"
exec > >(tee -a "$OUT/log") 2>&1
PY="${PY:-python3}"
CURVE_STEPS="${CURVE_STEPS:-500}"; WARMUP="${WARMUP:-2000}"; STEPS="${STEPS:-1000}"; BATCHES="${BATCHES:-1,64}"
t_start=$(date +%s)
stamp() { echo "== $(( $(date +%s) - t_start )) s: $*"; }

stamp "machine"
nvidia-smi --query-gpu=name,driver_version,memory.total,memory.used,clocks.sm,clocks.mem --format=csv 2>&1 | head -5
echo "nproc: $(nproc); $(awk '/MemTotal/ {printf "memory %.1f GiB", $2/1048576}' /proc/meminfo); cpu: $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
echo "g++: $(g++ --version 2>&1 | head -1)"
"$PY" - <<'EOF' 2>&1
import sys, torch
print("python", sys.version.split()[0], "torch", torch.__version__, "cuda", torch.version.cuda,
      "available", torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else "")
EOF
TORCH_DIR="$("$PY" -c 'import torch, os; print(os.path.dirname(torch.__file__))' 2>/dev/null)"
TORCH_INCLUDE="${TORCH_INCLUDE:-$TORCH_DIR/include}"
TORCH_LIB="${TORCH_LIB:-$TORCH_DIR/lib}"
TORCH_VERSION="${TORCH_VERSION:-$("$PY" -c 'import torch; print(torch.__version__.split("+")[0])')}"
if [ -z "${FLAVOR:-}" ]; then
  cu="$("$PY" -c 'import torch; print((torch.version.cuda or "").replace(".", ""))')"
  FLAVOR=$([ -n "$cu" ] && echo "cu$cu" || echo cpu)
fi
echo "libtorch: $TORCH_LIB (version $TORCH_VERSION, flavor $FLAVOR)"; ls "$TORCH_LIB" | tr '\n' ' '; echo

stamp "JRE"
rm -rf "$T/jre"; tar -xJf "$G/jre.tar.xz" -C "$T" && "$T/jre/bin/java" -version 2>&1 | head -1

stamp "building DJL's JNI against libtorch $TORCH_VERSION (log: jni-build.log)"
jni="${JNI_PREBUILT:-$T/jni}"
if [ -n "${JNI_PREBUILT:-}" ]; then
  echo "using the JNI built before in $jni" > "$OUT/jni-build.log"; jni_rc=0
else
  DEFINES="${JNI_DEFINES:-}" timeout "${JNI_TIMEOUT:-240}" bash "$G/scripts/build-djl-jni.sh" "$G/djl" "$TORCH_INCLUDE" \
      "$TORCH_LIB" "$jni" > "$OUT/jni-build.log" 2>&1
  jni_rc=$?
fi
for f in "$jni"/*.log "$jni"/pruned.txt "$jni"/missing-jni.txt; do
  [ -s "$f" ] && { echo; echo "----- $(basename "$f")"; head -c 200000 "$f"; } >> "$OUT/jni-build.log"
done
grep '^build-djl-jni:\|^prune:' "$OUT/jni-build.log" | cut -c1-400
echo "JNI build exit status: $jni_rc"

cache="$T/cache"
if [ -e "$jni/libdjl_torch.so" ]; then
  dir="$cache/pytorch/$TORCH_VERSION-$FLAVOR-linux-x86_64"
  mkdir -p "$dir" && cp "$jni/libdjl_torch.so" "$dir/0.35.1-libdjl_torch.so"
fi
# JNA finds libcudart for DJL's GPU count (CudaUtils); libtorch itself does not need this.
jna_path="$( (find "$(dirname "$TORCH_DIR")/nvidia" /usr/local/cuda/lib64 /usr/local/cuda/targets -name 'libcudart.so*' 2>/dev/null || true) \
    | xargs -r -n1 dirname | sort -u | tr '\n' ':')"
cp_jars="$(ls "$G"/lib/*.jar | tr '\n' ':')"
export MALLOC_TRIM_THRESHOLD_=134217728 MALLOC_MMAP_THRESHOLD_=33554432

engine_java() {  # timeout log-level main-class args...: on the carried JRE, DJL pointed at this libtorch and its JNI
  local limit=$1 level=$2 main=$3; shift 3
  PYTORCH_LIBRARY_PATH="$TORCH_LIB" PYTORCH_VERSION="$TORCH_VERSION" PYTORCH_FLAVOR="$FLAVOR" ENGINE_CACHE_DIR="$cache" \
  DJL_CACHE_DIR="$T/djl" timeout "$limit" "$T/jre/bin/java" -Xmx4g -Dai.djl.offline=true \
      -Djna.library.path="$jna_path" -Dorg.slf4j.simpleLogger.defaultLogLevel="$level" -cp "$cp_jars" \
      "io.caas.engine.bench.$main" --onnx "$G/onnx/cnn.onnx" --data "$G/data" "$@" \
      2>&1 >/dev/null | grep -v 'NNPACK' | cut -c1-600
  echo "$main $* exit status: ${PIPESTATUS[0]}"
}
run_java() {  # device
  engine_java "${JAVA_TIMEOUT:-120}" info GpuTrainingCheck --device "$1" --curve-steps "$CURVE_STEPS" \
      --batches "$BATCHES" --warmup "$WARMUP" --steps "$STEPS" --out "$OUT/$1.json"
}

if [ -e "$jni/libdjl_torch.so" ]; then
  if nvidia-smi > /dev/null 2>&1; then
    stamp "interpreter on CUDA"
    nvidia-smi --query-gpu=timestamp,utilization.gpu,memory.used --format=csv -lms 500 > "$OUT/nvidia-smi.csv" 2>&1 &
    smi=$!
    ( sleep 8; echo "GPU processes 8 s into the CUDA run:"; nvidia-smi --query-compute-apps=pid,process_name,used_memory --format=csv 2>&1 ) &
    snap=$!
    run_java gpu
    kill "$smi" 2>/dev/null; wait "$snap" 2>/dev/null
  fi
  stamp "interpreter on the CPU"
  run_java cpu
  # the methods' own fine-tuning, as a worker with caas.jobs.training-device runs it (GpuJobCheck)
  for d in gpu cpu; do
    [ "$d" = gpu ] && ! nvidia-smi > /dev/null 2>&1 && continue
    stamp "methods' fine-tuning on $d"
    engine_java "${JOBS_TIMEOUT:-150}" warn GpuJobCheck --device "$d" --steps "${JOB_STEPS:-200}" \
        --out "$OUT/jobs-$d.json"
  done
else
  echo "no libdjl_torch.so: the interpreter cannot run on this libtorch; see jni-build.log"
fi

if [ "${SKIP_TORCH:-0}" != 1 ]; then
  for d in cuda cpu; do
    [ "$d" = cuda ] && ! "$PY" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null && continue
    stamp "PyTorch eager reference on $d"
    timeout "${TORCH_TIMEOUT:-75}" "$PY" "$G/scripts/torch_reference.py" --onnx "$G/onnx/cnn.onnx" --data "$G/data" \
        --device "$d" --curve-steps "$CURVE_STEPS" --batches "$BATCHES" --warmup "$WARMUP" --steps "$STEPS" \
        --out "$OUT/torch-$d.json" 2>&1 | grep -v 'NNPACK' | cut -c1-400
  done
fi

stamp "summary"
"$PY" "$G/scripts/compare.py" "$OUT"
