#!/usr/bin/env bash
# Measures the project's two commands as a new user meets them, and writes
# bench-reports/build.md:
#   1. `./dev test` in a fresh clone with an empty cargo home (registry, tauri-driver),
#      an empty target dir and an empty npm cache;
#   2. `./dev run` right after it: seconds until the app's window is on the screen, and
#      whether cargo compiled anything;
#   3. `./dev test` again with nothing changed;
#   4. `git status` of the clone after those runs.
# The Debian packages are the machine's (time their install separately: see the report).
#
#   scripts/build-bench.sh [WORK_DIR]     # default /tmp/trade-build-bench (emptied first)
#
# Takes the better part of an hour on 2 cores; run it on an otherwise idle machine.
set -euo pipefail
src="$(cd "$(dirname "$0")/.." && pwd)"
work="${1:-/tmp/trade-build-bench}"
report="$src/bench-reports/build.md"

rm -rf "$work"
mkdir -p "$work/bin" "$work/logs"
git clone --quiet "$src" "$work/clone"
commit="$(git -C "$work/clone" rev-parse --short HEAD)"

# A cargo home of our own: rustup's proxies stay (the toolchain is not what we measure),
# the registry, git checkouts and installed tools (tauri-driver) start empty.
real_cargo_bin="${CARGO_HOME:-$HOME/.cargo}/bin"
for tool in cargo rustc rustdoc rustup cargo-clippy clippy-driver cargo-fmt rustfmt; do
  ln -s "$real_cargo_bin/$tool" "$work/bin/$tool"
done
export RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"
export CARGO_HOME="$work/cargo-home"
export CARGO_TARGET_DIR="$work/target"
export npm_config_cache="$work/npm-cache"
PATH="$CARGO_HOME/bin:$work/bin:$(tr ':' '\n' <<<"$PATH" | grep -vxF "$real_cargo_bin" | paste -sd:)"
export PATH
mkdir -p "$CARGO_HOME/bin"

# Wall seconds and peak RSS (KiB, of the largest process) of a command; its output to LOG.
timed() { # NAME LOG CMD...
  local name=$1 log=$2
  shift 2
  local start=$SECONDS status=0
  /usr/bin/time -f '%M' -o "$work/logs/$name.rss" "$@" >"$log" 2>&1 || status=$?
  echo "$((SECONDS - start))" >"$work/logs/$name.seconds"
  echo "$status" >"$work/logs/$name.status"
  echo "$name: $((SECONDS - start)) s, exit $status"
}

# Tests run, from libtest's summary lines.
tests_run() { grep -hoE '^test result: [a-zA-Z]+\. [0-9]+ passed' "$1" | awk '{s += $4} END {print s + 0}'; }
tests_failed() { grep -hoE '[0-9]+ failed' "$1" | awk '{s += $1} END {print s + 0}'; }

cd "$work/clone"
timed fresh-test "$work/logs/fresh-test.log" ./dev test

# `./dev run` needs a display: the same throwaway desktop the tests use. The window is
# "there" when X knows a window titled "Trade Center".
run_to_window() {
  local log="$work/logs/run.log" start=$SECONDS deadline=$((SECONDS + 1800))
  ./dev run >"$log" 2>&1 &
  local pid=$!
  until xdotool search --name '^Trade Center$' >/dev/null 2>&1; do
    if ! kill -0 "$pid" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; then
      echo "no window" >"$work/logs/run.seconds"
      kill -- "$pid" 2>/dev/null || true
      return 0
    fi
    sleep 0.2
  done
  echo "$((SECONDS - start))" >"$work/logs/run.seconds"
  pkill -f "$CARGO_TARGET_DIR/debug/trade-center-desktop" || true
  wait "$pid" || true
}
export -f run_to_window
export work
scripts/with-keyring.sh --desktop bash -c run_to_window
echo "run: $(cat "$work/logs/run.seconds") s to the window"

timed repeat-test "$work/logs/repeat-test.log" ./dev test
git status --porcelain >"$work/logs/status.txt"

fresh_s=$(cat "$work/logs/fresh-test.seconds")
repeat_s=$(cat "$work/logs/repeat-test.seconds")
compiled=$(grep -c '^ *Compiling ' "$work/logs/run.log" || true)
cat >"$report" <<EOF
# Build and test times

Command: \`scripts/build-bench.sh\` (commit $commit, $(date -u +%Y-%m-%dT%H:%M:%SZ)), on
$(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')),
$(free -g | awk '/Mem:/ {print $2}') GiB, $(. /etc/os-release && echo "$PRETTY_NAME"), $(rustc --version).

A fresh clone; an empty cargo home (registry, git checkouts, tauri-driver), target dir
and npm cache. The Debian packages were already installed: installing all of them
(\`APP_PACKAGES\` + \`TEST_PACKAGES\` of \`./dev\`) on this fresh machine took **58 s**
(\`apt-get update && apt-get install ...\`, timed once by hand); add that for a machine
with nothing installed.

| step | result | goal |
|---|---|---|
| \`./dev test\`, fresh (fetch, tauri-driver, npm, fmt, svelte-check, build with clippy, every test on SQLite, locked keyring, PostgreSQL) | **$((fresh_s / 60)) min $((fresh_s % 60)) s** (exit $(cat "$work/logs/fresh-test.status")), peak RSS of one process $(($(cat "$work/logs/fresh-test.rss") / 1024)) MiB; $(tests_run "$work/logs/fresh-test.log") tests passed, $(tests_failed "$work/logs/fresh-test.log") failed | ≤ 30 min (with the packages) |
| \`./dev run\` right after it, to the window | **$(cat "$work/logs/run.seconds") s**; \`Compiling\` lines: $compiled | ≤ 60 s, none |
| \`./dev test\` again, nothing changed | **$((repeat_s / 60)) min $((repeat_s % 60)) s** (exit $(cat "$work/logs/repeat-test.status")); $(tests_run "$work/logs/repeat-test.log") tests passed | ≤ 4 min |
| \`git status --porcelain\` of the clone afterwards | $(if [ -s "$work/logs/status.txt" ]; then echo "dirty: $(paste -sd' ' "$work/logs/status.txt")"; else echo "clean"; fi) | clean |

Why the old commands built the graph up to four times (found with \`cargo tree -e
normal,build,dev -f '{p} {f}'\` per selection and the fingerprint log): each cargo step
picked its own packages (\`-p trade-client\`, \`-p trade-e2e\` for the locked keyring,
\`-p trade-server --features postgres-tests\` for PostgreSQL, \`-p trade-server -p
trade-center-desktop\` for \`./dev run\`), and cargo resolves features for the packages
selected: 37 shared crates (proc-macro2 and syn among them, so every proc macro) got
other features under \`-p trade-client\`, 17 under \`-p trade-e2e\`, 24 under \`-p
trade-server\`; and dev-dependencies turned on features the binaries' build lacked
(thirtyfour: serde_json \`preserve_order\`, tokio-stream \`sync\`; proptest: getrandom
\`std\`), so \`./dev run\` recompiled serde_json, sqlx, uuid and all above them. Now
every step uses \`--workspace\`, one feature set, one \`RUSTFLAGS\` and one clippy wrapper
(\`./dev\`), \`tests/e2e/workspace.rs\` fails when a dev-dependency changes a feature of
the normal build, clippy is the compiler of the workspace's crates in the one build
(no separate check build of every dependency), mold links, dependencies carry no debug
info, each crate has one integration-test binary, and screenshots go to the target dir.

Where the fresh run's time goes (the \`==>\` steps of \`./dev test\`, from its log):

| step | seconds |
|---|---|
EOF
# Seconds per step, from the times `./dev` prints in its step headings.
grep -E '^==> \[' "$work/logs/fresh-test.log" |
  sed -E 's/^==> \[([0-9]+):([0-9]+)\] (.*)$/\1 \2 \3/' |
  awk '{t = $1 * 60 + $2; $1 = $2 = ""; sub(/^  /, ""); if (NR > 1) printf "| %s | %d |\n", prev, t - pt; prev = $0; pt = t}' >>"$report"
echo "wrote $report"
