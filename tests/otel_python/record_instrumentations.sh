#!/usr/bin/env bash
# Re-records tests/fixtures/instrumentations/*.jsonl (and their .expected.json) with the real
# PyPI instrumentations, one virtualenv each because their OpenTelemetry pins differ. See
# record_instrumentations.py for what is recorded. Needs python3.11+ and PyPI access.
#
#   tests/otel_python/record_instrumentations.sh [openllmetry|openlit|openai-v2|genai|openinference]...
#
# VENVS (default /tmp/llmmon-instr-venvs) keeps the virtualenvs between runs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out="$here/../fixtures/instrumentations"
venvs=${VENVS:-/tmp/llmmon-instr-venvs}
mkdir -p "$out" "$venvs"

names=("$@")
[ ${#names[@]} -eq 0 ] && names=(openllmetry openlit openai-v2 genai openinference)
for name in "${names[@]}"; do
  venv="$venvs/$name"
  if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    # The exact versions the committed fixtures were recorded with (pip freeze of each venv;
    # openai-v2 2.4b0 needs opentelemetry-util-genai 1.1b0, openlit 1.45 the 1.39 SDK).
    "$venv/bin/pip" install -q -r "$here/instrumentations/$name.txt"
  fi
  for content in off on; do
    "$venv/bin/python" "$here/record_instrumentations.py" --instrumentation "$name" \
      --content "$content" --out "$out/$name-content-$content.jsonl"
  done
done
