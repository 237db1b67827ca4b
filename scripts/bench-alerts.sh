#!/usr/bin/env bash
# What 1,000 alert-rule instances cost, measured against ingest in the same run: `llmmon
# check` over the same generated log with no rules at all, then with every default rule plus
# a per-conversation rule capped at 1,000 instances (never firing, so the cost is evaluation,
# not notification). Prints CPU seconds (user+sys, best of RUNS) and the extra share.
# Target (issue 12): < 5 % of ingest.
set -euo pipefail
cd "$(dirname "$0")/.."
RECORDS=${RECORDS:-300000}
RUNS=${RUNS:-3}
cargo build --release -q
bin="$PWD/target/release/llmmon"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$bin" gen --records "$RECORDS" --seed 1 --scenario steady > "$dir/log.jsonl"
cat > "$dir/none.toml" <<'TOML'
[alerting]
default_rules = false
TOML
cat > "$dir/many.toml" <<'TOML'
[[alerts]]
name = "slow conversation"
metric = "latency.p95"
window = "5m"
warn = "10m"
group_by = "conversation"
max_groups = 1000
TOML
python3 - "$bin" "$dir" "$RUNS" <<'PY'
import os, resource, subprocess, sys, json
bin, d, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
def cpu(cfg):
    best = None
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        out = subprocess.run([bin, "--config", f"{d}/{cfg}.toml", "check", "--json", f"{d}/log.jsonl"],
                             capture_output=True, check=False)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        best = t if best is None else min(best, t)
    return best, json.loads(out.stdout)
base, _ = cpu("none")
many, report = cpu("many")
instances = sum(1 for r in report["rules"] if r["name"].startswith("slow conversation"))
print(f"records {os.environ.get('RECORDS', '300000')}, rule states at the end: {len(report['rules'])} ({instances} per-conversation instances)")
print(f"check, no rules:                        {base:.2f} CPU-s")
print(f"check, defaults + 1,000 instances:      {many:.2f} CPU-s")
print(f"extra for evaluation: {100 * (many - base) / base:.1f} % of ingest (target < 5 %)")
PY
