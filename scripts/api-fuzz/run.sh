#!/usr/bin/env bash
# The API contract, checked by a third party's fuzzer: Schemathesis (from PyPI, in a
# virtualenv under the build dir) against the real server (the built `trade-server`,
# demo world, HTTPS on a free loopback port), with every check and every phase (stateful
# links included), 30 examples per operation and a fixed seed. Exits non-zero on any
# failure. `./dev test` runs it; alone: `CARGO_TARGET_DIR=... scripts/api-fuzz/run.sh`
# after a build.
#
# Settings: schemathesis.toml (the statuses a valid request may get besides the
# defaults, and why); sessions and the stricter check: hooks.py.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
target="${CARGO_TARGET_DIR:?set CARGO_TARGET_DIR to the build dir}"
work="$target/api-fuzz"
venv="$work/venv"
version="4.32.5"
seed="${TRADE_FUZZ_SEED:-20261203}"
examples="${TRADE_FUZZ_EXAMPLES:-30}"

mkdir -p "$work"
if [ ! -x "$venv/bin/schemathesis" ] || ! "$venv/bin/schemathesis" --version | grep -q "$version"; then
  echo "installing Schemathesis $version from PyPI into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$version"
fi

data="$(mktemp -d "$work/server.XXXXXX")"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
# The supplier bot acts slowly, so the fuzzer's requests meet the world as seeded.
"$target/debug/trade-demo" --data-dir "$data" serve --listen "127.0.0.1:$port" \
  --bot-delay-ms 600000 >"$data/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null || true; rm -rf "$data"' EXIT

url="https://localhost:$port"
ca="$data/tls/ca.pem"
deadline=$((SECONDS + 120))
until [ -f "$ca" ] && curl -sf --cacert "$ca" "$url/v1/health" -o /dev/null; do
  if ! kill -0 "$server" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; then
    echo "the server did not start; its log:" >&2
    cat "$data/server.log" >&2
    exit 1
  fi
  sleep 0.2
done

# The world's own ids, so that most requests to `/v1/orders/{id}/...` and the like reach
# a record and its rules instead of a 404: the buyer's orders, inquiries, documents and
# payments, as dictionaries the fuzzer draws ids from (80% of the time; it still makes
# up its own).
token="$(curl -sf --cacert "$ca" "$url/v1/sessions" -H 'Content-Type: application/json' \
  -d '{"email":"buyer@demo.tradecenter.test","password":"demo-buyer-2026"}' |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')"
config="$data/schemathesis.toml"
cp "$here/schemathesis.toml" "$config"
curl -sf --cacert "$ca" -H "Authorization: Bearer $token" "$url/v1/sync/pull?limit=1000" |
  python3 -c '
import json, sys
data, config = sys.argv[1], sys.argv[2]
changes = json.load(sys.stdin)["changes"]
# kind in the feed -> (dictionary, the paths whose {id} it fills)
kinds = {
    "order": ("orders", r"^/v1/(operator/)?orders/\{id\}"),
    "inquiry": ("inquiries", r"^/v1/inquiries/\{id\}"),
    "document": ("documents", r"^/v1/documents/\{id\}"),
    "payment": ("payments", r"^/v1/operator/payments/\{id\}"),
}
with open(config, "a") as out:
    for kind, (name, paths) in kinds.items():
        ids = sorted({c["id"] for c in changes if c["kind"] == kind})
        if not ids:
            continue
        with open(f"{data}/{name}.dict", "w") as f:
            f.writelines(f"\"{i}\"\n" for i in ids)
        out.write(f"\n[dictionaries.{name}]\nfrom-file = \"{data}/{name}.dict\"\n")
        out.write(f"\n[[operations]]\ninclude-path-regex = \u0027{paths}\u0027\n")
        out.write(f"parameters = {{ \"path.id\" = {{ dictionary = \"{name}\", probability = 0.8 }} }}\n")
' "$data" "$config"

supplier="$(sed -n 's/^  \([^ ]*@demo\.tradecenter\.test\) .*/\1/p' "$data/server.log" | head -n 1)"
export TRADE_FUZZ_URL="$url" TRADE_FUZZ_CA="$ca" \
  TRADE_FUZZ_BUYER_PASSWORD="demo-buyer-2026" \
  TRADE_FUZZ_SUPPLIER_EMAIL="$supplier" TRADE_FUZZ_SUPPLIER_PASSWORD="demo-supplier-2026" \
  TRADE_FUZZ_OPERATOR_PASSWORD="demo-operator-2026" \
  PYTHONPATH="$here" SCHEMATHESIS_HOOKS=hooks PYTHONDONTWRITEBYTECODE=1

# From the build dir: Schemathesis keeps a cache in the working directory, and the
# checkout stays clean. No example database: every run is the seed's run alone. The
# whole report is kept in report.txt; the output shows the errors, the failures and the
# summary (what CI prints).
#
# One worker: with two, Hypothesis parses its filters' source in both threads at once,
# and CPython 3.11's AST constructor then sometimes fails with "SystemError: AST
# constructor recursion depth mismatch" (python/cpython#106905). That was the fuzzer's
# unexplained "1 error" in CI: a crash of the tool, not a finding about the API.
# At most 150 requests a second, under the server's budget of 200 per account (a
# throttled request answers 429 and leaves the rules behind it untried).
cd "$work"

"$venv/bin/schemathesis" --no-color --config-file "$config" run "$url/v1/openapi.json" \
  --tls-verify "$ca" --checks all --max-examples "$examples" --seed "$seed" --workers 1 \
  --rate-limit 150/s \
  --generation-database none \
  --report junit --report-junit-path "$work/junit.xml" \
  | tee "$work/report.txt" | sed -n '/^=* *\(ERRORS\|FAILURES\|SUMMARY\)/,$p'
exit "${PIPESTATUS[0]}"
