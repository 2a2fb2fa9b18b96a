#!/usr/bin/env bash
# A/B of two engine builds in the same time window (see BENCHMARKS.md): alternates TrainingStepBench runs from two
# classpath files, as scripts/bench-training-step.sh writes them (engine/target/bench/training-step-*/classpath.txt;
# for an older commit: git archive it into a folder, link testdata, run the script there). The order flips every
# repetition (A B, B A, ...) so that load drifting in or out does not favour one side; the load average before each
# run goes to OUT_DIR/load.txt. Medians over the repetitions; "thread CPU" is the training thread's own CPU time.
# A_ENV and B_ENV (space-separated NAME=value) set environment variables for one side's runs, so one build can be
# compared with a switch of its own turned off (the same classpath file for both). BENCH_CLASS runs another main
# class that prints the same JSON keys (io.caas.engine.bench.ForwardPassBench: forward passes without autograd);
# BENCH_ARGS replaces the model and data arguments (ForwardPassBench: "--model FILE --shape 8,3,48,320"). A_ARGS and
# B_ARGS add arguments to one side's runs (B_ARGS="--embeddings sparse").
#   [MODELS=cnn,mlp BATCHES=1,64 WARMUP=300 STEPS=300] [A_ENV=...] [B_ENV=...] bench/ab-engine-builds.sh OLD/classpath.txt NEW/classpath.txt OUT_DIR [REPS]
set -eu
A_CP="$(tr -d '\n' < "$1")"; B_CP="$(tr -d '\n' < "$2")"; out="$3"; reps="${4:-3}"
mkdir -p "$out"
root="$(cd "$(dirname "$0")/.." && pwd)"
onnx="$root/engine/target/bench/onnx"
data="$root/testdata/root/usr/share/datasets/fashion-mnist"
for r in $(seq 1 "$reps"); do
  sides="A B"
  [ $((r % 2)) = 0 ] && sides="B A"
  for side in $sides; do
    cp_var="${side}_CP"
    env_var="${side}_ENV"
    args_var="${side}_ARGS"
    echo "$(date -u +%FT%TZ) $side r$r load $(cut -d' ' -f1-3 /proc/loadavg) ${!env_var:-} ${!args_var:-}" >> "$out/load.txt"
    # shellcheck disable=SC2086 # the side's variables are words on purpose
    env ${!env_var:-} OMP_NUM_THREADS=1 java -Xmx2g -Dai.djl.offline=true -Dai.djl.pytorch.num_threads=1 -Dai.djl.pytorch.num_interop_threads=1 \
      -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "${!cp_var}" "${BENCH_CLASS:-io.caas.engine.bench.TrainingStepBench}" \
      ${BENCH_ARGS:---onnx "$onnx" --data "$data" --models "${MODELS:-cnn,mlp}" --batches "${BATCHES:-1,64}"} \
      --warmup "${WARMUP:-300}" --steps "${STEPS:-300}" ${!args_var:-} > "$out/$side-r$r.json" 2>/dev/null
  done
done
python3 - "$out" <<'PY'
import glob, json, os, statistics, sys
d = sys.argv[1]; runs = {}
for p in glob.glob(os.path.join(d, "*.json")):
    side = os.path.basename(p)[0]
    for res in json.load(open(p))["results"]:
        runs.setdefault((res["model"], res["batch"], side), []).append(res)
print("| model | batch | before p50 ms | after p50 ms | after/before | before CPU ms/step | after CPU ms/step "
      "| before thread CPU ms/step | after thread CPU ms/step | before / after mean ms "
      "| before / after steps over 4x p50 | runs |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
for (m, b) in sorted({(m, b) for (m, b, _) in runs}):
    a, bb = runs[(m, b, "A")], runs[(m, b, "B")]
    med = lambda rs, k: statistics.median(r.get(k, float("nan")) for r in rs)
    t = "training_thread_cpu_ms_per_step"
    print(f"| {m} | {b} | {med(a,'p50_ms'):.3f} | {med(bb,'p50_ms'):.3f} | {med(bb,'p50_ms')/med(a,'p50_ms'):.2f} "
          f"| {med(a,'cpu_ms_per_step'):.3f} | {med(bb,'cpu_ms_per_step'):.3f} | {med(a,t):.3f} | {med(bb,t):.3f} "
          f"| {med(a,'mean_ms'):.3f} / {med(bb,'mean_ms'):.3f} "
          f"| {med(a,'steps_over_4x_p50'):.0f} / {med(bb,'steps_over_4x_p50'):.0f} | {min(len(a), len(bb))} |")
PY
