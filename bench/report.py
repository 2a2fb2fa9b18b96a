"""Table of scripts/bench-training-step.sh's runs: per model, batch and thread count, the median over repetitions
of each side's per-run p50 and mean step time, and the ratio interpreter / PyTorch. Usage: report.py RESULTS_DIR"""
import glob
import json
import os
import statistics
import sys


def main(directory):
    runs = {}  # (side, threads, model, batch) -> list of (p50, mean)
    reps = set()
    for path in sorted(glob.glob(os.path.join(directory, "*-t*-r*.json"))):
        name = os.path.basename(path)[:-5]
        side, t, r = name.split("-")
        reps.add(r)
        with open(path) as f:
            report = json.load(f)
        for res in report["results"]:
            key = (side, int(t[1:]), res["model"], res["batch"])
            runs.setdefault(key, []).append((res["p50_ms"], res["mean_ms"]))
    rows = sorted({(t, m, b) for (_, t, m, b) in runs})
    print("| model | batch | threads | interpreter p50 ms | PyTorch p50 ms | ratio p50 | interpreter mean ms "
          "| PyTorch mean ms | ratio mean | runs |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for t, m, b in rows:
        j = runs.get(("java", t, m, b), [])
        p = runs.get(("torch", t, m, b), [])
        if not j or not p:
            continue
        jp50 = statistics.median(x[0] for x in j)
        pp50 = statistics.median(x[0] for x in p)
        jmean = statistics.median(x[1] for x in j)
        pmean = statistics.median(x[1] for x in p)
        print(f"| {m} | {b} | {t} | {jp50:.3f} | {pp50:.3f} | {jp50 / pp50:.2f} | {jmean:.3f} | {pmean:.3f} "
              f"| {jmean / pmean:.2f} | {min(len(j), len(p))} |")
    print()
    print("Each figure is the median over runs of that run's p50 (or mean) step time; ratio = interpreter / PyTorch.")


if __name__ == "__main__":
    main(sys.argv[1])
