#!/usr/bin/env bash
# Runs a command against a real, throwaway OS keyring (Secret Service via gnome-keyring)
# on a private session D-Bus, with a temporary HOME so nothing touches the real one.
#
#   scripts/with-keyring.sh [--unlocked | --locked | --desktop] CMD [ARGS...]
#
# The command sees:
#   TRADE_KEYRING=unlocked|locked  which keyring it got (crates/trade-client/tests/client/keyring.rs
#                                  refuses to run without it)
#   TRADE_KEYRING_HOME             the temporary HOME (removed afterwards)
#   TRADE_KEYRING_SEED_*           --locked only: the entry stored before locking (below)
#   HOME, XDG_{DATA,CONFIG,CACHE}_HOME, XDG_RUNTIME_DIR under TRADE_KEYRING_HOME;
#   CARGO_HOME, RUSTUP_HOME and CARGO_TARGET_DIR still point at the real ones.
#   TRADE_DESKTOP=1, DISPLAY and   --desktop only (below); TRADE_NOTIFY_LOG names the file
#   TRADE_NOTIFY_LOG               where every Notify call on the bus is logged
#
# Default (or --unlocked): the login keyring is created with a random password and left
# unlocked.
# --locked: the same, one entry is stored in it, then it is locked. A locked keyring needs
# an unlock prompt, which cannot be shown here (DISPLAY and WAYLAND_DISPLAY are unset in
# this mode so that no prompt can appear and hang), so reading an existing secret or
# storing one fails. The entry's service name follows KeyringStore::entry_name in
# crates/trade-client/src/credentials.rs.
# --desktop: the unlocked keyring, plus a desktop for the app's end-to-end tests
# (tests/desktop/): an Xvfb display (1280x800x24, no TCP) in DISPLAY, a notification
# server (dunst, its notifications kept until closed) on the same session bus, and
# dbus-monitor logging every Notify call to the file named by TRADE_NOTIFY_LOG. Not
# combinable with --locked (which must have no display).
#
# Everything started here is stopped when the command ends. The exit code is the
# command's. Needs: dbus-run-session and dbus-send (Debian: dbus), gnome-keyring, for
# --locked secret-tool (libsecret-tools), for --desktop Xvfb (xvfb), dbus-monitor
# (dbus-bin) and dunst.
set -euo pipefail

die() { echo "with-keyring: $*" >&2; exit 2; }

# How long the keyring (and with --desktop the display and notification server) may take
# to come up.
READY_SECONDS=10

bus_call() { # DEST PATH METHOD ARGS...
  local dest=$1 path=$2 method=$3
  shift 3
  dbus-send --session --print-reply=literal --reply-timeout=2000 --dest="$dest" "$path" "$method" "$@"
}

# "true" or "false": whether the default collection is locked ("" while it does not exist).
default_collection_locked() {
  bus_call org.freedesktop.secrets /org/freedesktop/secrets/aliases/default \
    org.freedesktop.DBus.Properties.Get \
    string:org.freedesktop.Secret.Collection string:Locked 2>/dev/null |
    grep -oE 'true|false' || true
}

# Polls CHECK until it succeeds or READY_SECONDS pass.
wait_until() { # WHAT CHECK...
  local what=$1 deadline=$((SECONDS + READY_SECONDS))
  shift
  until "$@"; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "with-keyring: timed out after ${READY_SECONDS}s waiting for $what" >&2
      local log
      for log in keyring-daemon xvfb dunst; do
        if [ -s "$TRADE_KEYRING_HOME/$log.log" ]; then
          sed "s/^/  $log: /" "$TRADE_KEYRING_HOME/$log.log" >&2
        fi
      done
      exit 2
    fi
    sleep 0.05
  done
}

secrets_owned() {
  bus_call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus.NameHasOwner \
    string:org.freedesktop.secrets 2>/dev/null | grep -q true
}
default_unlocked() { [ "$(default_collection_locked)" = false ]; }
default_locked() { [ "$(default_collection_locked)" = true ]; }

# --desktop: Xvfb has written the display number it chose.
display_chosen() { [ -s "$TRADE_KEYRING_HOME/display" ]; }
# dbus-monitor prints the NameAcquired/NameLost signals of becoming a monitor first.
monitor_ready() { [ -s "$TRADE_NOTIFY_LOG" ]; }
# The notification server on the bus is our dunst (not a D-Bus-activated one).
notifications_owned_by_dunst() {
  local pid
  pid="$(bus_call org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.GetConnectionUnixProcessID \
    string:org.freedesktop.Notifications 2>/dev/null | grep -oE '[0-9]+$')" || return 1
  [ "$pid" = "$(cat "$TRADE_KEYRING_HOME/dunst.pid")" ]
}

# --desktop, before the bus: an X display of our own. -displayfd makes Xvfb pick a free
# display number and write it once it accepts connections.
start_display() {
  Xvfb -displayfd 4 -screen 0 1280x800x24 -nolisten tcp \
    4>"$TRADE_KEYRING_HOME/display" >"$TRADE_KEYRING_HOME/xvfb.log" 2>&1 &
  echo $! >"$TRADE_KEYRING_HOME/xvfb.pid"
  wait_until "Xvfb to choose a display" display_chosen
  DISPLAY=":$(tr -d ' \n' <"$TRADE_KEYRING_HOME/display")"
  export DISPLAY
}

# --desktop, on the bus: the Notify log, then the notification server.
start_notifications() {
  dbus-monitor --session \
    "type=method_call,interface=org.freedesktop.Notifications,member=Notify" \
    >"$TRADE_NOTIFY_LOG" 2>"$TRADE_KEYRING_HOME/dbus-monitor.log" &
  echo $! >"$TRADE_KEYRING_HOME/dbus-monitor.pid"
  wait_until "dbus-monitor to start" monitor_ready
  # Notifications stay on screen until closed or acted on, as in a desktop's notification
  # list: with dunst's default (10 s) a test on a loaded machine could reach for one that
  # had already gone. Everything else is dunst's built-in default.
  cat >"$TRADE_KEYRING_HOME/dunstrc" <<'EOF'
[urgency_low]
    timeout = 0
[urgency_normal]
    timeout = 0
[urgency_critical]
    timeout = 0
EOF
  dunst -config "$TRADE_KEYRING_HOME/dunstrc" >"$TRADE_KEYRING_HOME/dunst.log" 2>&1 &
  echo $! >"$TRADE_KEYRING_HOME/dunst.pid"
  wait_until "dunst to own org.freedesktop.Notifications" notifications_owned_by_dunst
  export TRADE_DESKTOP=1
}

# Second stage, inside dbus-run-session: start the keyring, then become CMD.
inner() {
  # Back to the caller's stderr (fd 3); the bus daemon and what it starts keep writing
  # to the bus log.
  exec 2>&3 3>&-
  local password
  password="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
  # --foreground so that $! is the daemon; --unlock reads the password from stdin and
  # creates the "login" keyring with it (the default collection).
  printf %s "$password" |
    gnome-keyring-daemon --foreground --unlock --components=secrets \
      >"$TRADE_KEYRING_HOME/keyring-daemon.log" 2>&1 &
  echo $! >"$TRADE_KEYRING_HOME/keyring-daemon.pid"
  unset password
  wait_until "org.freedesktop.secrets on the session bus" secrets_owned
  # Make sure the daemon answering is ours, with the keyring unlocked (a D-Bus-activated
  # daemon would have a locked or no keyring).
  wait_until "an unlocked default keyring" default_unlocked

  if [ "$TRADE_KEYRING" = locked ]; then
    printf %s "$TRADE_KEYRING_SEED_SECRET" |
      secret-tool store --label="with-keyring seed" \
        service "$TRADE_KEYRING_SEED_SERVICE ($TRADE_KEYRING_SEED_SERVER)" \
        username "$TRADE_KEYRING_SEED_ACCOUNT" target default application rust-keyring
    local collection
    collection="$(bus_call org.freedesktop.secrets /org/freedesktop/secrets \
      org.freedesktop.Secret.Service.ReadAlias string:default)"
    collection="$(echo "$collection" | grep -oE '/org/freedesktop/secrets/collection/[A-Za-z0-9_]+')" ||
      die "no default keyring to lock"
    bus_call org.freedesktop.secrets /org/freedesktop/secrets \
      org.freedesktop.Secret.Service.Lock "array:objpath:$collection" >/dev/null
    wait_until "the default keyring to be locked" default_locked
  fi
  if [ "$desktop" = 1 ]; then
    start_notifications
  fi
  exec "$@"
}

desktop=0
if [ "${1:-}" = --inner ]; then
  shift
  if [ "${1:-}" = --desktop ]; then
    desktop=1
    shift
  fi
  inner "$@"
fi

mode=unlocked
case "${1:-}" in
  --locked) mode=locked; shift ;;
  --desktop) desktop=1; shift ;;
  --unlocked) shift ;;
esac
case "${1:-}" in
  --locked | --desktop)
    die "--locked and --desktop cannot be combined (a locked keyring must have no display)" ;;
esac
[ $# -gt 0 ] || die "usage: $0 [--unlocked | --locked | --desktop] CMD [ARGS...]"

need=(dbus-run-session dbus-send gnome-keyring-daemon od)
[ "$mode" = locked ] && need+=(secret-tool)
[ "$desktop" = 1 ] && need+=(Xvfb dbus-monitor dunst)
for tool in "${need[@]}"; do
  command -v "$tool" >/dev/null ||
    die "$tool is missing (Debian packages: dbus dbus-bin gnome-keyring libsecret-tools xvfb dunst)"
done

# Keep the toolchain where it is before HOME moves.
export CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
export RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/trade-keyring.XXXXXX")"
# Whether PID is still running (a zombie waiting to be reaped is not).
running() { [ -n "$(ps -o stat= -p "$1" 2>/dev/null | grep -v '^Z')" ]; }
cleanup() {
  local pid name pids=()
  for name in dunst dbus-monitor keyring-daemon xvfb; do
    pid="$(cat "$tmp/$name.pid" 2>/dev/null || true)"
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      pids+=("$pid")
    fi
  done
  # Wait (briefly) until they are gone, so that nothing of this run outlives it.
  local deadline=$((SECONDS + 5))
  for pid in "${pids[@]}"; do
    while running "$pid" && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.05; done
    if running "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
  done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p "$tmp/.local/share" "$tmp/.config" "$tmp/.cache" "$tmp/run"
chmod 700 "$tmp" "$tmp/run"

export HOME="$tmp"
export XDG_DATA_HOME="$tmp/.local/share"
export XDG_CONFIG_HOME="$tmp/.config"
export XDG_CACHE_HOME="$tmp/.cache"
export XDG_RUNTIME_DIR="$tmp/run"
export NO_AT_BRIDGE=1
export TRADE_KEYRING="$mode"
export TRADE_KEYRING_HOME="$tmp"
unset DBUS_SESSION_BUS_ADDRESS GNOME_KEYRING_CONTROL SSH_AUTH_SOCK TRADE_DESKTOP TRADE_NOTIFY_LOG
if [ "$mode" = locked ]; then
  unset DISPLAY WAYLAND_DISPLAY
  export TRADE_KEYRING_SEED_SERVICE="Trade Center Desktop"
  export TRADE_KEYRING_SEED_SERVER="https://seeded.example.com"
  export TRADE_KEYRING_SEED_ACCOUNT="seeded-account"
  TRADE_KEYRING_SEED_SECRET="seed-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
  export TRADE_KEYRING_SEED_SECRET
fi

inner_args=(--inner)
if [ "$desktop" = 1 ]; then
  unset WAYLAND_DISPLAY
  export TRADE_NOTIFY_LOG="$tmp/notify.log"
  # Before the bus, so that the bus and everything it starts see DISPLAY.
  start_display
  inner_args+=(--desktop)
fi

# dbus-daemon logs every service activation (and, with --locked, gnome-keyring's failed
# attempts to start its prompter) on its stderr: keep that in a log, shown on failure.
status=0
dbus-run-session -- "$BASH" "$0" "${inner_args[@]}" "$@" 3>&2 2>"$tmp/bus.log" || status=$?
if [ "$status" -ne 0 ]; then
  # (Not dunst's: it always ends complaining that the bus went away.)
  for log in bus keyring-daemon xvfb; do
    if [ -s "$tmp/$log.log" ]; then
      echo "with-keyring: exit status $status; last lines of the $log log:" >&2
      tail -n 20 "$tmp/$log.log" | sed 's/^/  /' >&2
    fi
  done
fi
exit "$status"
