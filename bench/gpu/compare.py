"""Compares the runs of bench/gpu/run-on-device.sh and prints a markdown summary.

    python3 compare.py OUT_DIR

Reads OUT_DIR/{gpu,cpu}.json (io.caas.engine.bench.GpuTrainingCheck) and, where present,
OUT_DIR/torch-{cuda,cpu}.json (torch_reference.py) and OUT_DIR/jobs-{gpu,cpu}.json (io.caas.engine.bench.GpuJobCheck:
the methods' fine-tuning on each device). Plain Python, no numpy.
"""
import json
import os
import sys


def read(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def losses_diff(la, lb):
    """Two loss curves step by step, over the steps both have."""
    n = min(len(la), len(lb))
    nan = float("nan")
    d = [abs(la[i] - lb[i]) for i in range(n)]
    rel = [d[i] / max(abs(lb[i]), 1e-12) for i in range(n)]
    first = next((i + 1 for i in range(n) if d[i] > 1e-3), None)
    tail = lambda l: sum(l[n - 20:n]) / 20 if n >= 20 else nan
    return {"steps": n, "max_abs": max(d, default=nan), "mean_abs": sum(d) / n if n else nan,
            "max_rel": max(rel, default=nan), "first_step_over_1e-3": first, "first_a": la[0] if n else nan,
            "first_b": lb[0] if n else nan, "tail20_a": tail(la), "tail20_b": tail(lb)}


def curve_diff(a, b):
    return losses_diff(a["curve"]["losses"], b["curve"]["losses"])


def jobs(out):
    """The methods' fine-tuning (GpuJobCheck) on CUDA against the CPU, job by job."""
    gpu, cpu = read(os.path.join(out, "jobs-gpu.json")), read(os.path.join(out, "jobs-cpu.json"))
    if not gpu and not cpu:
        return []
    lines = ["", "| job (GpuJobCheck) | device said (CUDA run) | steps | first loss CUDA / CPU | mean of last 20 CUDA / CPU |"
             " max abs diff | seconds CUDA / CPU |", "|---|---|---|---|---|---|---|"]
    by_name = lambda r: {j["name"]: j for j in (r or {}).get("jobs", [])}
    g, c = by_name(gpu), by_name(cpu)
    for name in list(g) + [n for n in c if n not in g]:
        a, b = g.get(name), c.get(name)
        if not a or not b:
            said = next(iter((a or b)["said"]), "-").split(":")[0]
            lines.append("| %s | %s | (ran on one device only) | | | | |" % (name, said))
            continue
        d = losses_diff(a["loss"], b["loss"])
        said = next((s.split(":")[0] for s in a["said"] if " on the " in s), "-")
        lines.append("| %s | %s | %d | %.4g / %.4g | %.4g / %.4g | %.3g | %.1f / %.1f |" % (
            name, said, d["steps"], d["first_a"], d["first_b"], d["tail20_a"], d["tail20_b"], d["max_abs"],
            a["seconds"], b["seconds"]))
    return lines


def main():
    out = sys.argv[1]
    runs = {k: read(os.path.join(out, k + ".json")) for k in ("gpu", "cpu", "torch-cuda", "torch-cpu")}
    lines = ["| run | device (parameters) | engine | curve: first loss | mean of last 20 | test acc. |"
             " step p50 b=1 (ms) | step p50 b=64 (ms) |", "|---|---|---|---|---|---|---|---|"]
    for name, r in runs.items():
        if r is None:
            lines.append("| %s | (no result) | | | | | | |" % name)
            continue
        c = r.get("curve", {})
        losses = c.get("losses", [])
        tail = sum(losses[-20:]) / max(1, len(losses[-20:])) if losses else float("nan")
        t = {x["batch"]: x for x in r.get("timings", [])}
        cell = lambda b: ("%.3f (p10 %.3f, p90 %.3f)" % (t[b]["p50_ms"], t[b]["p10_ms"], t[b]["p90_ms"])) if b in t else "-"
        lines.append("| %s | %s | %s | %s | %.4f | %s | %s | %s |" % (
            name, c.get("parameter_device", "?"), r.get("engine", "?"),
            ("%.6f" % losses[0]) if losses else "-", tail,
            ("%.4f" % c["test_accuracy"]) if "test_accuracy" in c else "-", cell(1), cell(64)))
    pairs = [("gpu", "cpu"), ("torch-cuda", "torch-cpu"), ("gpu", "torch-cuda"), ("cpu", "torch-cpu")]
    lines += ["", "| curves compared | steps | max abs diff | mean abs diff | max rel diff | first step with diff > 1e-3 |"
              " mean of last 20 (a / b) |", "|---|---|---|---|---|---|---|"]
    for a, b in pairs:
        if runs[a] and runs[b] and runs[a].get("curve") and runs[b].get("curve"):
            d = curve_diff(runs[a], runs[b])
            lines.append("| %s vs %s | %d | %.3g | %.3g | %.3g | %s | %.4f / %.4f |" % (
                a, b, d["steps"], d["max_abs"], d["mean_abs"], d["max_rel"], d["first_step_over_1e-3"],
                d["tail20_a"], d["tail20_b"]))
    if runs["gpu"] and runs["cpu"]:
        tg = {x["batch"]: x["p50_ms"] for x in runs["gpu"].get("timings", [])}
        tc = {x["batch"]: x["p50_ms"] for x in runs["cpu"].get("timings", [])}
        lines.append("")
        for b in sorted(set(tg) & set(tc)):
            lines.append("interpreter step p50 at batch %d: CUDA %.3f ms, CPU %.3f ms (CPU/CUDA %.2fx)"
                         % (b, tg[b], tc[b], tc[b] / tg[b]))
    lines += jobs(out)
    text = "\n".join(lines)
    with open(os.path.join(out, "summary.md"), "w") as f:
        f.write(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
