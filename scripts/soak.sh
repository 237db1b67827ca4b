#!/usr/bin/env bash
# Soak: the live TUI on an endless generated stream, with its RSS printed over time.
#
#   scripts/soak.sh [MINUTES] [EVERY_SECONDS] [RECORDS_PER_SECOND]   (default 10 30 200)
#
# Runs `llmmon watch -` in a detached tmux session (160x48) fed by a loop that writes
# RECORDS_PER_SECOND generated records each second, stamped with the current time, and
# prints the TUI's RSS (from /proc) every EVERY_SECONDS. Ends with the first, last and peak
# RSS and fails if llmmon died. Uses $LLMMON_BIN when set, else builds the release binary.
set -euo pipefail
cd "$(dirname "$0")/.."
MINUTES=${1:-10}
EVERY=${2:-30}
RATE=${3:-200}
command -v tmux >/dev/null || { echo "soak: needs tmux" >&2; exit 2; }
if [ -z "${LLMMON_BIN:-}" ]; then
  cargo build --release -q
  LLMMON_BIN=$PWD/target/release/llmmon
fi
SESSION=llmmon-soak-$$
WORK=$(mktemp -d)
trap 'tmux kill-session -t "$SESSION" 2>/dev/null || true; rm -rf "$WORK"' EXIT
cat > "$WORK/feed.sh" <<EOF
#!/usr/bin/env bash
i=0
while true; do
  "$LLMMON_BIN" gen --records $RATE --seed \$i --rate $RATE --start \$(date +%s) || exit 0
  i=\$((i + 1))
  sleep 1
done
EOF
chmod +x "$WORK/feed.sh"
tmux new-session -d -s "$SESSION" -x 160 -y 48 \
  "$WORK/feed.sh | $LLMMON_BIN watch - ; echo \"exit \$?\" > $WORK/exit; sleep 3600"
PID=""
for _ in $(seq 100); do
  PID=$(pgrep -n -f "^$LLMMON_BIN watch -" || true)
  [ -n "$PID" ] && break
  sleep 0.1
done
[ -n "$PID" ] || { echo "soak: llmmon did not start" >&2; exit 1; }
echo "soak: pid $PID, $MINUTES min, $RATE records/s, RSS every ${EVERY}s"
printf '%8s %10s\n' elapsed rss_kib
START=$(date +%s)
FIRST="" LAST="" PEAK=0
while :; do
  NOW=$(( $(date +%s) - START ))
  if [ ! -e "/proc/$PID" ]; then
    echo "soak: llmmon died: $(cat "$WORK/exit" 2>/dev/null)" >&2
    tmux capture-pane -p -t "$SESSION" | tail -5 >&2
    exit 1
  fi
  RSS=$(awk '/^VmRSS:/ {print $2}' "/proc/$PID/status")
  printf '%7ss %10s\n' "$NOW" "$RSS"
  FIRST=${FIRST:-$RSS}; LAST=$RSS; [ "$RSS" -gt "$PEAK" ] && PEAK=$RSS
  [ "$NOW" -ge $((MINUTES * 60)) ] && break
  sleep "$EVERY"
done
echo "soak: first ${FIRST} KiB, last ${LAST} KiB, peak ${PEAK} KiB"
