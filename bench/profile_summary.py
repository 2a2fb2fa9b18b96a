"""Summarises libtorch profiler traces of training steps (Chrome trace JSON, as TrainingStepBench --profile and
bench/torch_peer.py --profile write them) per operator and input shape: calls per step and median microseconds.

    python3 bench/profile_summary.py TRACE.json STEPS [OP,OP,...]

Top-level ops are those not nested in another op; shapes are the ops' input shapes. Without an op list, the
top-level ops by time per step.
"""
import collections
import json
import signal
import sys


def shapes(e):
    return json.dumps(e.get("shape"))


def main():
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    path, steps = sys.argv[1], int(sys.argv[2])
    wanted = set(sys.argv[3].split(",")) if len(sys.argv) > 3 else None
    events = [e for e in json.load(open(path)) if e.get("ph") == "X"]
    events.sort(key=lambda e: (e["ts"], -e["dur"]))
    if wanted:
        durations = collections.defaultdict(list)
        for e in events:
            if e["name"] in wanted:
                durations[(e["name"], shapes(e))].append(e["dur"])
        for (name, shape), d in sorted(durations.items()):
            d.sort()
            print(f"{name} {shape}: {len(d) / steps:.2f}/step, median {d[len(d) // 2]:.1f} us")
        return
    top, open_until = [], []
    for e in events:
        while open_until and open_until[-1] <= e["ts"]:
            open_until.pop()
        if not open_until:
            top.append(e)
        open_until.append(e["ts"] + e["dur"])
    count, total = collections.Counter(), collections.Counter()
    for e in top:
        count[e["name"]] += 1
        total[e["name"]] += e["dur"]
    print(f"top-level ops per step: {len(top) / steps:.1f}, their time per step: {sum(total.values()) / steps:.1f} us")
    for name, t in total.most_common(30):
        print(f"{name:60s} {count[name] / steps:6.2f}/step {t / steps:9.1f} us/step")


if __name__ == "__main__":
    main()
