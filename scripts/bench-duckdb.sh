#!/usr/bin/env bash
# The same question asked of `llmmon report` and of DuckDB over the same generated JSONL, in
# the same run, in CPU-seconds (user + system, so DuckDB's threads are counted and a shared
# machine's other load is not): per model, the number of LLM calls, input and output
# tokens, and p95 latency. The answers are compared before the times mean anything.
#
#   scripts/bench-duckdb.sh [RECORDS] [RUNS]      (default 1000000 records, 3 runs)
#
# Needs python3 (DuckDB comes from PyPI into a venv under target/) and GNU time.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
RUNS=${2:-3}
command -v /usr/bin/time >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
VENV=target/bench-duckdb-venv
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import duckdb' 2>/dev/null; then
  python3 -m venv --clear "$VENV"
  "$VENV/bin/pip" install -q duckdb
fi
cargo build --release -q
BIN=target/release/llmmon
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
DATA=$WORK/gen.jsonl
$BIN gen --records "$N" --seed 1 --scenario incident > "$DATA"
echo "corpus: $N records, $(stat -c %s "$DATA") bytes; DuckDB $("$VENV/bin/python" -c 'import duckdb; print(duckdb.__version__)')"

cat > "$WORK/duck.py" <<'EOF'
import json, sys, duckdb
path = sys.argv[1]
con = duckdb.connect()
rows = con.execute("""
  SELECT coalesce(model, '(none)') AS model, count(*) AS calls,
         sum(coalesce(tokens.input, 0)) AS input, sum(coalesce(tokens.output, 0)) AS output,
         quantile_cont(latency_ms, 0.95) AS p95
  FROM read_json(?, format = 'newline_delimited', ignore_errors = true,
                 columns = {type: 'VARCHAR', model: 'VARCHAR', operation: 'VARCHAR',
                            latency_ms: 'DOUBLE', tokens: 'STRUCT(input BIGINT, output BIGINT)'})
  WHERE type = 'call' AND coalesce(operation, 'chat') IN ('chat', 'completion', 'embeddings')
  GROUP BY 1 ORDER BY 1""", [path]).fetchall()
json.dump({m: {"calls": c, "input": i, "output": o, "p95": p} for m, c, i, o, p in rows},
          sys.stdout, sort_keys=True)
EOF

cpu() { # output file, command... -> prints user+sys CPU-seconds
  local out=$1; shift
  /usr/bin/time -f "%U %S %M" -o "$WORK/time" "$@" > "$out"
  awk '{printf "%.3f %d\n", $1 + $2, $3}' "$WORK/time"
}

best_llmmon=""; best_duck=""
for i in $(seq "$RUNS"); do
  read -r l lrss < <(cpu "$WORK/llmmon.json" $BIN report --json --no-detectors "$DATA")
  read -r d drss < <(cpu "$WORK/duck.json" "$VENV/bin/python" "$WORK/duck.py" "$DATA")
  printf 'run %d: llmmon %6.3f CPU-s (peak %4d MiB)   duckdb %6.3f CPU-s (peak %4d MiB)\n' \
    "$i" "$l" $((lrss / 1024)) "$d" $((drss / 1024))
  best_llmmon=$(printf '%s\n%s\n' "$best_llmmon" "$l" | grep . | sort -g | head -1)
  best_duck=$(printf '%s\n%s\n' "$best_duck" "$d" | grep . | sort -g | head -1)
done

# The answers must agree: calls and tokens exactly, p95 within HDR's 1 % (llmmon keeps
# 2 significant digits of latency).
"$VENV/bin/python" - "$WORK/llmmon.json" "$WORK/duck.json" <<'EOF'
import json, sys
ours = json.load(open(sys.argv[1]))["by_model"]
duck = json.load(open(sys.argv[2]))
bad = []
for m, d in duck.items():
    o = ours.get(m)
    if o is None:
        bad.append(f"{m}: missing in llmmon"); continue
    if (o["calls"], o["input_tokens"], o["output_tokens"]) != (d["calls"], d["input"], d["output"]):
        bad.append(f"{m}: llmmon {o['calls']}/{o['input_tokens']}/{o['output_tokens']} duckdb {d['calls']}/{d['input']}/{d['output']}")
    p95 = o["latency_ms"]["p95"]
    if d["p95"] and abs(p95 - d["p95"]) > 0.011 * d["p95"]:
        bad.append(f"{m}: p95 llmmon {p95} duckdb {d['p95']:.1f}")
if set(ours) - set(duck):
    bad.append(f"only in llmmon: {sorted(set(ours) - set(duck))}")
if bad:
    print("answers DIFFER:\n  " + "\n  ".join(bad)); sys.exit(1)
print(f"answers agree: {len(duck)} models, calls and tokens exact, p95 within 1 %")
EOF
printf 'best of %d: llmmon %.3f CPU-s, duckdb %.3f CPU-s: llmmon uses %.2fx the CPU of DuckDB (%s)\n' \
  "$RUNS" "$best_llmmon" "$best_duck" "$(echo "$best_llmmon / $best_duck" | bc -l)" \
  "$(awk -v a="$best_llmmon" -v b="$best_duck" 'BEGIN { print (a < b) ? "faster" : "slower" }')"
