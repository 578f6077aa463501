"""How a partner knows a webhook call came from us, unaltered and not replayed.

**Standard Webhooks** (https://www.standardwebhooks.com/). Every delivery carries

    webhook-id: <the delivery's id: the same on every retry and replay>
    webhook-timestamp: <unix seconds when this attempt was signed>
    webhook-signature: v1,<base64 HMAC-SHA256(key, "<webhook-id>.<webhook-timestamp>." + body)>

`key` is the partner's signing secret: a `whsec_<base64>` secret (issued by intake when the
partner registers without one) is the bytes its base64 part decodes to; a secret registered before
this scheme (any other string) is its own UTF-8 bytes, so its Standard Webhooks form is
`"whsec_" + base64(secret)` (`whsec`) and partners keep the secret they have. While a partner
rotates its secret, every delivery carries one signature per secret, separated by a space. Any
Standard Webhooks library verifies it (the tests use the `standardwebhooks` package); reject a
timestamp more than 5 minutes from your clock.

**Legacy** `X-Subsidy-Signature: t=<unix seconds>,v1=<64 hex digits>` (lowercase hex
HMAC-SHA256, keyed with the registered secret's UTF-8 bytes, of `f"{t}."` + the raw body) is sent
beside it while `WEBHOOK_LEGACY_SIGNATURE` is on (the default), because partners integrated before
this release verify it; it is deprecated, and switched off once they have moved.
`X-Subsidy-Delivery` is the same as `webhook-id`.

To verify the legacy header, a partner:
1. splits the header on "," and each part on the first "=", taking `t` and every `v1`;
2. computes the HMAC above with its secret and compares it to each `v1` in constant time
   (e.g. `hmac.compare_digest`) — more than one `v1` may appear while a secret is being rotated;
3. rejects the call when `t` is more than 5 minutes away from its own clock, so that a captured
   request cannot be replayed later. Every retry is signed afresh, so a retry is never stale.

`verify` below does all of this and can be copied as it is. A worked example: with the secret
`s3cret`, t=1764105600 and the body `{"hello":"world"}`, v1 is
6eddf50fceb00000e3f2ceea9c50ede7eb69231267641abacbb89b29d9de3cbb.
"""

import base64
import hashlib
import hmac

TOLERANCE_S = 300


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The `v1` value: hex HMAC-SHA256(secret, "<timestamp>." + body)."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    """The whole `X-Subsidy-Signature` value."""
    return f"t={timestamp},v1={sign(secret, timestamp, body)}"


def verify(secret: str, header: str, body: bytes, now: int | float, tolerance_s: int | float = TOLERANCE_S) -> bool:
    """Whether `header` signs `body` with `secret`, and was made within `tolerance_s` of `now`."""
    timestamp, candidates = None, []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t":
            timestamp = value
        elif name == "v1":
            candidates.append(value)
    if timestamp is None or not timestamp.isdigit() or not candidates:
        return False
    if abs(now - int(timestamp)) > tolerance_s:
        return False
    expected = sign(secret, int(timestamp), body)
    return any(hmac.compare_digest(expected, c) for c in candidates)


# ---- Standard Webhooks ----

from shared.webhook_secrets import key, whsec  # noqa: E402,F401


def standard_signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """One `v1,<base64>` signature."""
    mac = hmac.new(key(secret), f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode("ascii")


def standard_headers(secrets: list[str], msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three Standard Webhooks headers, signed with every secret in force (two while rotating)."""
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(standard_signature(s, msg_id, timestamp, body) for s in secrets),
    }


def verify_standard(
    secret: str, headers: dict[str, str], body: bytes, now: int | float, tolerance_s: int | float = TOLERANCE_S
) -> bool:
    """Whether the headers sign `body` with `secret` within `tolerance_s` of `now` (what a partner does)."""
    h = {k.lower(): v for k, v in headers.items()}
    msg_id, timestamp, signatures = h.get("webhook-id"), h.get("webhook-timestamp", ""), h.get("webhook-signature")
    if not (msg_id and timestamp.isdigit() and signatures) or abs(now - int(timestamp)) > tolerance_s:
        return False
    expected = standard_signature(secret, msg_id, int(timestamp), body)
    return any(hmac.compare_digest(expected, s) for s in signatures.split(" "))
