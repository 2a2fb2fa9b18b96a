"""Table of scripts/bench-training-step.sh's runs: per model, batch (and sequence length, for a token model) and thread
count, the median over repetitions of each side's per-run figures, and the ratio interpreter / PyTorch; then the
ratio of each interleaved pair (the interpreter's and PyTorch's run of the same repetition) and their median.
Usage: report.py RESULTS_DIR"""
import glob
import json
import os
import statistics
import sys

FIGURES = [("p50_ms", "p50 wall ms"), ("cpu_ms_per_step", "CPU ms/step"), ("mean_ms", "mean wall ms"),
           ("warmup_mean_ms", "warm-up mean ms")]


def main(directory):
    runs = {}  # (side, threads, model, batch, seq) -> {repetition: result dict}
    for path in sorted(glob.glob(os.path.join(directory, "*-t*-r*.json"))):
        side, t, r = os.path.basename(path)[:-5].split("-")
        with open(path) as f:
            report = json.load(f)
        for res in report["results"]:
            key = (side, int(t[1:]), res["model"], res["batch"], res.get("seq", 0))
            runs.setdefault(key, {})[int(r[1:])] = res
    configs = sorted({(t, m, b, s) for (_, t, m, b, s) in runs})
    header = ["model", "batch", "threads"]
    for _, label in FIGURES:
        header += [f"interp. {label}", f"PyTorch {label}", "ratio"]
    header += ["interp. training thread CPU ms/step", "runs"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    pairs = []
    for t, m, b, s in configs:
        j = list(runs.get(("java", t, m, b, s), {}).values())
        p = list(runs.get(("torch", t, m, b, s), {}).values())
        if not j or not p:
            continue
        row = [m, f"{b}x{s}" if s else str(b), str(t)]
        for key, _ in FIGURES:
            jv = statistics.median(r[key] for r in j)
            pv = statistics.median(r[key] for r in p)
            row += [f"{jv:.3f}", f"{pv:.3f}", f"**{jv / pv:.2f}**" if key == "p50_ms" else f"{jv / pv:.2f}"]
        thread = [r["training_thread_cpu_ms_per_step"] for r in j if "training_thread_cpu_ms_per_step" in r]
        row.append(f"{statistics.median(thread):.3f}" if thread else "")
        row.append(str(min(len(j), len(p))))
        print("| " + " | ".join(row) + " |")
        jr = runs[("java", t, m, b, s)]
        pr = runs[("torch", t, m, b, s)]
        both = sorted(set(jr) & set(pr))
        pairs.append((row[0], row[1], row[2], [(rep, jr[rep]["p50_ms"], pr[rep]["p50_ms"]) for rep in both]))
    print()
    print("Each figure is the median over runs of that run's value; ratio = interpreter / PyTorch. p50/mean: wall time "
          "of the timed steps; CPU ms/step: process CPU time (all threads) over the timed steps / steps; warm-up "
          "mean: wall time of the warm-up steps (JIT compilation on the Java side); training thread CPU: the interpreter's "
          "training thread alone, without the JIT compiler and GC threads (PyTorch's process has only its one thread "
          "busy).")
    print()
    print("| model | batch | threads | median of pair ratios (p50) | per pair: interp. / PyTorch p50 ms = ratio |")
    print("|---|---|---|---|---|")
    for m, b, t, ps in pairs:
        ratios = [jv / pv for _, jv, pv in ps]
        each = ", ".join(f"r{rep} {jv:.3f}/{pv:.3f} = {jv / pv:.2f}" for rep, jv, pv in ps)
        print(f"| {m} | {b} | {t} | **{statistics.median(ratios):.2f}** | {each} |")


if __name__ == "__main__":
    main(sys.argv[1])
