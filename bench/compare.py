"""Run `subq bench --json` and the PyTorch anchors in one go on the same GPU and print a markdown
table: shape, subq ms, PyTorch ms, ratio (PyTorch / subq), subq's fraction of copy bandwidth.
usage: python3 bench/compare.py [build/subq] [benchmark names...]"""
import json
import os
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "build", "subq")
names = sys.argv[2:]


def run(cmd):
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr}")
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


results = run([binary, "bench", "--json", *names])
ours = [r for r in results if "ms" in r]
plans = [r for r in results if "cold_s" in r]
theirs = {(r["op"], r["shape"]): r for r in run([sys.executable, os.path.join(here, "torch_anchors.py"), *names])}
print(f"device: {ours[0]['device']} (subq, Vulkan) / {next(iter(theirs.values()))['device']} (PyTorch, CUDA)\n")
def tflops(result):
    return f"{result['tflops']:.1f}" if result and "tflops" in result else "-"


print("| op | shape | subq ms | PyTorch ms | ratio | subq % of copy | PyTorch % of copy | subq TFLOP/s | PyTorch TFLOP/s |")
print("|---|---|---|---|---|---|---|---|---|")
for r in ours:
    t = theirs.get((r["op"], r["shape"]))
    if t is None:
        print(f"| {r['op']} | {r['shape']} | {r['ms']:.4f} | - | - | {100 * r['copy_fraction']:.1f} | - | "
              f"{tflops(r)} | - |")
        continue
    print(f"| {r['op']} | {r['shape']} | {r['ms']:.4f} | {t['ms']:.4f} | {t['ms'] / r['ms']:.2f} | "
          f"{100 * r['copy_fraction']:.1f} | {100 * t['copy_fraction']:.1f} | {tflops(r)} | {tflops(t)} |")
if plans:
    print("\nFirst call in a fresh context (host seconds, plan creation included):\n")
    print("| op | shape | plans compiled | plans from disk |")
    print("|---|---|---|---|")
    for r in plans:
        print(f"| {r['op']} | {r['shape']} | {r['cold_s']:.3f} s | {r['cached_s']:.3f} s |")
