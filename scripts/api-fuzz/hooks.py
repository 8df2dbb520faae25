"""Schemathesis hooks for the API fuzz run (scripts/api-fuzz/run.sh).

Signs the fuzzer in as the demo world's accounts: the operator for `/v1/operator/...`,
the supplier for the steps only a supplier takes, the buyer for the rest. Sign-out
(`DELETE /v1/sessions/current`) gets a session of its own each time, so ending it does not end
the one every other request uses.

Sessions are opened from loopback addresses other than the fuzzer's own (127.0.0.1):
the fuzzer tries wrong passwords on `POST /v1/sessions` on purpose, and the server's
sign-in limits are per address, so its refusals must not starve these sign-ins.
"""

import http.client
import itertools
import json
import os
import ssl
import threading
import time
import urllib.parse

import schemathesis

BASE = urllib.parse.urlsplit(os.environ["TRADE_FUZZ_URL"])
TLS = ssl.create_default_context(cafile=os.environ["TRADE_FUZZ_CA"])
ACCOUNTS = {
    "buyer": ("buyer@demo.tradecenter.test", os.environ["TRADE_FUZZ_BUYER_PASSWORD"]),
    "supplier": (os.environ["TRADE_FUZZ_SUPPLIER_EMAIL"], os.environ["TRADE_FUZZ_SUPPLIER_PASSWORD"]),
    "operator": ("operator@demo.tradecenter.test", os.environ["TRADE_FUZZ_OPERATOR_PASSWORD"]),
}
# Steps of an order or dispute that only its supplier takes.
SUPPLIER_STEPS = ("/ship", "/extend-ship-by", "/dispute/proposals")
# A session is renewed well before its access token's 15 minutes are up.
RENEW_AFTER_SECS = 10 * 60
# Each sign-in comes from the next of these addresses (127.0.1.1 ... 127.0.1.250), so no
# address or account-and-address pair comes near the server's per-minute limits.
SOURCES = (f"127.0.1.{n}" for n in itertools.cycle(range(1, 251)))

_lock = threading.Lock()
_sessions = {}  # role -> (access token, when it was opened)


def sign_in(role):
    email, password = ACCOUNTS[role]
    with _lock:
        source = next(SOURCES)
    deadline = time.monotonic() + 60
    while True:
        conn = http.client.HTTPSConnection(
            BASE.hostname, BASE.port, context=TLS, timeout=30, source_address=(source, 0)
        )
        try:
            conn.request(
                "POST",
                "/v1/sessions",
                body=json.dumps({"email": email, "password": password}),
                headers={"Content-Type": "application/json"},
            )
            resp = conn.getresponse()
            body = resp.read()
        finally:
            conn.close()
        if resp.status == 201:
            return json.loads(body)["access_token"]
        if resp.status != 429 or time.monotonic() > deadline:
            raise RuntimeError(f"signing in as the demo {role} failed: {resp.status} {body!r}")
        time.sleep(int(resp.getheader("Retry-After", "1")))


def role_of(case):
    path = case.operation.path
    if path.startswith("/v1/operator/"):
        return "operator"
    if path.endswith(SUPPLIER_STEPS):
        return "supplier"
    return "buyer"


@schemathesis.auth(refresh_interval=None)
class DemoSessions:
    def get(self, case, ctx):
        role = role_of(case)
        if case.operation.method.upper() == "DELETE" and case.operation.path == "/v1/sessions/current":
            return sign_in(role)
        with _lock:
            held = _sessions.get(role)
        if held is None or time.monotonic() - held[1] > RENEW_AFTER_SECS:
            held = (sign_in(role), time.monotonic())
            with _lock:
                _sessions[role] = held
        return held[0]

    def set(self, case, data, ctx):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"


# The codes of a request the server could not read: wrong JSON, a value of the wrong
# type or range, a query or header it cannot parse.
UNREADABLE = {"request.invalid", "request.malformed", "request.unsupported_media_type"}


@schemathesis.check
def schema_valid_requests_are_readable(ctx, response, case):
    """A request the document says is valid is never refused as unreadable: the
    document and the server's types agree on every field, parameter and header."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return None
    if response.status_code not in (400, 415, 422):
        return None
    try:
        code = response.json().get("code")
    except (ValueError, AttributeError):
        code = None
    if code in UNREADABLE:
        raise AssertionError(
            f"a schema-valid request was refused as unreadable: {response.status_code} {code}: "
            f"{response.json().get('message')}"
        )
    return None


@schemathesis.deserializer("application/x-ndjson")
def snapshot_pages(ctx, response):
    """The snapshot stream (`GET /v1/sync/snapshot/stream`): one `SnapshotResponse` a
    line. Every line must be a JSON page with the keys a page requires, the answer must
    end at a line's end, and no page may follow the walk's last. Schemathesis validates
    the first page against the schema."""
    text = response.content.decode("utf-8")
    if not text.endswith("\n"):
        raise ValueError("the answer ends inside a page")
    pages = [json.loads(line) for line in text.splitlines()]
    required = ("changes", "next_cursor", "has_more", "feed_cursor")
    for n, page in enumerate(pages):
        missing = [key for key in required if not isinstance(page, dict) or key not in page]
        if missing:
            raise ValueError(f"page {n + 1} lacks {', '.join(missing)}")
    if any(page["has_more"] is False for page in pages[:-1]):
        raise ValueError("a page after the walk's last")
    return pages[0]
