#!/usr/bin/env bash
# A/B of two engine builds in the same time window (see BENCHMARKS.md): alternates TrainingStepBench runs from two
# classpath files, as scripts/bench-training-step.sh writes them (engine/target/bench/training-step-*/classpath.txt;
# for an older commit: git archive it into a folder, link testdata, run the script there).
#   bench/ab-engine-builds.sh OLD/classpath.txt NEW/classpath.txt OUT_DIR [REPS]
set -eu
A_CP="$(tr -d '\n' < "$1")"; B_CP="$(tr -d '\n' < "$2")"; out="$3"; reps="${4:-3}"
mkdir -p "$out"
root="$(cd "$(dirname "$0")/.." && pwd)"
onnx="$root/engine/target/bench/onnx"
data="$root/testdata/root/usr/share/datasets/fashion-mnist"
for r in $(seq 1 "$reps"); do
  for side in A B; do
    cp_var="${side}_CP"
    OMP_NUM_THREADS=1 java -Xmx2g -Dai.djl.offline=true -Dai.djl.pytorch.num_threads=1 -Dai.djl.pytorch.num_interop_threads=1 \
      -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "${!cp_var}" io.caas.engine.bench.TrainingStepBench \
      --onnx "$onnx" --data "$data" > "$out/$side-r$r.json" 2>/dev/null
  done
done
python3 - "$out" <<'PY'
import glob, json, os, statistics, sys
d = sys.argv[1]; runs = {}
for p in glob.glob(os.path.join(d, "*.json")):
    side = os.path.basename(p)[0]
    for res in json.load(open(p))["results"]:
        runs.setdefault((res["model"], res["batch"], side), []).append(res)
print("| model | batch | before p50 ms | after p50 ms | before CPU ms/step | after CPU ms/step | runs |")
print("|---|---|---|---|---|---|---|")
for (m, b) in sorted({(m, b) for (m, b, _) in runs}):
    a, bb = runs[(m, b, "A")], runs[(m, b, "B")]
    med = lambda rs, k: statistics.median(r[k] for r in rs)
    print(f"| {m} | {b} | {med(a,'p50_ms'):.3f} | {med(bb,'p50_ms'):.3f} | {med(a,'cpu_ms_per_step'):.3f} | {med(bb,'cpu_ms_per_step'):.3f} | {min(len(a), len(bb))} |")
PY
