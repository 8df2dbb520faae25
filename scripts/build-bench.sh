#!/usr/bin/env bash
# Measures the project's two commands as a new user meets them, and writes
# bench-reports/build.md:
#   0. `./dev run` as the very first command: a fresh clone, empty cargo home, target dir
#      and npm cache, seconds until the app's window is on the screen;
#   1. `./dev test` in another fresh clone with an empty cargo home (registry, tauri-driver),
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
commit="$(git -C "$src" rev-parse --short HEAD)"

# Cargo homes of our own: rustup's proxies stay (the toolchain is not what we measure),
# the registry, git checkouts and installed tools (tauri-driver) start empty.
real_cargo_bin="${CARGO_HOME:-$HOME/.cargo}/bin"
for tool in cargo rustc rustdoc rustup cargo-clippy clippy-driver cargo-fmt rustfmt; do
  ln -s "$real_cargo_bin/$tool" "$work/bin/$tool"
done
export RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"
base_path="$(tr ':' '\n' <<<"$PATH" | grep -vxF "$real_cargo_bin" | paste -sd:)"

# A new user's machine under $work/NAME: a fresh clone (the current directory from
# then on), an empty cargo home, target dir and npm cache.
fresh_machine() { # NAME
  local home="$work/$1"
  mkdir -p "$home/cargo-home/bin"
  git clone --quiet "$src" "$home/clone"
  export CARGO_HOME="$home/cargo-home"
  export CARGO_TARGET_DIR="$home/target"
  export npm_config_cache="$home/npm-cache"
  export PATH="$CARGO_HOME/bin:$work/bin:$base_path"
  cd "$home/clone"
}

# Wall seconds and peak RSS (KiB, of the largest process) of a command; its output to LOG.
timed() { # NAME LOG CMD...
  local name=$1 log=$2
  shift 2
  local start=$SECONDS status=0
  /usr/bin/time -f '%M' -o "$work/logs/$name.rss" "$@" >"$log" 2>&1 || status=$?
  # time(1) writes "Command exited with non-zero status N" above the figure on a failure.
  tail -n 1 "$work/logs/$name.rss" >"$work/logs/$name.rss.tmp" && mv "$work/logs/$name.rss.tmp" "$work/logs/$name.rss"
  echo "$((SECONDS - start))" >"$work/logs/$name.seconds"
  echo "$status" >"$work/logs/$name.status"
  echo "$name: $((SECONDS - start)) s, exit $status"
}

# Tests run, from libtest's summary lines.
tests_run() { grep -hoE '^test result: [a-zA-Z]+\. [0-9]+ passed' "$1" | awk '{s += $4} END {print s + 0}'; }
tests_failed() { grep -hoE '[0-9]+ failed' "$1" | awk '{s += $1} END {print s + 0}'; }


# `./dev run` needs a display: the same throwaway desktop the tests use. The window is
# "there" when X knows a window titled "Trade Center". Writes logs/NAME.{log,seconds}.
run_to_window() { # NAME
  local log="$work/logs/$1.log" start=$SECONDS deadline=$((SECONDS + 1800))
  ./dev run >"$log" 2>&1 &
  local pid=$!
  until xdotool search --name '^Trade Center$' >/dev/null 2>&1; do
    if ! kill -0 "$pid" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; then
      echo "no window" >"$work/logs/$1.seconds"
      kill -- "$pid" 2>/dev/null || true
      return 0
    fi
    sleep 0.2
  done
  echo "$((SECONDS - start))" >"$work/logs/$1.seconds"
  pkill -f "$CARGO_TARGET_DIR/debug/trade-center-desktop" || true
  wait "$pid" || true
}
export -f run_to_window
export work
on_desktop_run_to_window() { # NAME
  scripts/with-keyring.sh --desktop bash -c 'run_to_window "$0"' "$1"
  echo "$1: $(cat "$work/logs/$1.seconds") s to the window"
}

fresh_machine first-run
on_desktop_run_to_window first-run

fresh_machine main
timed fresh-test "$work/logs/fresh-test.log" ./dev test
on_desktop_run_to_window run

timed repeat-test "$work/logs/repeat-test.log" ./dev test
git status --porcelain >"$work/logs/status.txt"

# "83" → "1 min 23 s" (anything else as it is).
fmt_seconds() { if [[ $1 =~ ^[0-9]+$ ]]; then echo "$(($1 / 60)) min $(($1 % 60)) s"; else echo "$1"; fi; }
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
| \`./dev test\`, fresh (fetch, tauri-driver, npm, fmt, svelte-check, build with clippy, every test on SQLite, locked keyring, server and engine on PostgreSQL) | **$((fresh_s / 60)) min $((fresh_s % 60)) s** (exit $(cat "$work/logs/fresh-test.status")), peak RSS of one process $(($(cat "$work/logs/fresh-test.rss") / 1024)) MiB; $(tests_run "$work/logs/fresh-test.log") tests passed, $(tests_failed "$work/logs/fresh-test.log") failed | ≤ 30 min (with the packages) |
| \`./dev run\` as the first command on a fresh machine, to the window | **$(fmt_seconds "$(cat "$work/logs/first-run.seconds")")** | ≤ 20 min (with the packages) |
| \`./dev run\` right after the fresh \`./dev test\`, to the window | **$(cat "$work/logs/run.seconds") s**; \`Compiling\` lines: $compiled | ≤ 60 s, none |
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
