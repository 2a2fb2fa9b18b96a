"""Table of scripts/bench-training-step.sh's runs: per model, batch and thread count, the median over repetitions
of each side's per-run figures, and the ratio interpreter / PyTorch. Usage: report.py RESULTS_DIR"""
import glob
import json
import os
import statistics
import sys

FIGURES = [("p50_ms", "p50 wall ms"), ("cpu_ms_per_step", "CPU ms/step"), ("mean_ms", "mean wall ms"),
           ("warmup_mean_ms", "warm-up mean ms")]


def main(directory):
    runs = {}  # (side, threads, model, batch) -> list of result dicts
    for path in sorted(glob.glob(os.path.join(directory, "*-t*-r*.json"))):
        side, t, _ = os.path.basename(path)[:-5].split("-")
        with open(path) as f:
            report = json.load(f)
        for res in report["results"]:
            runs.setdefault((side, int(t[1:]), res["model"], res["batch"]), []).append(res)
    header = ["model", "batch", "threads"]
    for _, label in FIGURES:
        header += [f"interp. {label}", f"PyTorch {label}", "ratio"]
    header += ["interp. training thread CPU ms/step", "runs"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for t, m, b in sorted({(t, m, b) for (_, t, m, b) in runs}):
        j = runs.get(("java", t, m, b), [])
        p = runs.get(("torch", t, m, b), [])
        if not j or not p:
            continue
        row = [m, str(b), str(t)]
        for key, _ in FIGURES:
            jv = statistics.median(r[key] for r in j)
            pv = statistics.median(r[key] for r in p)
            row += [f"{jv:.3f}", f"{pv:.3f}", f"**{jv / pv:.2f}**" if key == "p50_ms" else f"{jv / pv:.2f}"]
        thread = [r["training_thread_cpu_ms_per_step"] for r in j if "training_thread_cpu_ms_per_step" in r]
        row.append(f"{statistics.median(thread):.3f}" if thread else "")
        row.append(str(min(len(j), len(p))))
        print("| " + " | ".join(row) + " |")
    print()
    print("Each figure is the median over runs of that run's value; ratio = interpreter / PyTorch. p50/mean: wall time "
          "of the timed steps; CPU ms/step: process CPU time (all threads) over the timed steps / steps; warm-up "
          "mean: wall time of the warm-up steps (JIT compilation on the Java side); training thread CPU: the interpreter's "
          "training thread alone, without the JIT compiler and GC threads (PyTorch's process has only its one thread "
          "busy).")


if __name__ == "__main__":
    main(sys.argv[1])
