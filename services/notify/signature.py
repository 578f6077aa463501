"""How a partner knows a webhook call came from us and was not replayed.

Every delivery carries

    X-Subsidy-Signature: t=<unix seconds>,v1=<64 hex digits>

where `t` is the Unix time (seconds) the request was signed and `v1` the lowercase hex
HMAC-SHA256, keyed with the secret the partner registered, of the bytes `f"{t}."` followed by the
raw request body, exactly as received (before any JSON parsing or re-encoding).

To verify, a partner:
1. splits the header on "," and each part on the first "=", taking `t` and every `v1`;
2. computes the HMAC above with its secret and compares it to each `v1` in constant time
   (e.g. `hmac.compare_digest`) — more than one `v1` may appear while a secret is being rotated;
3. rejects the call when `t` is more than 5 minutes away from its own clock, so that a captured
   request cannot be replayed later. Every retry is signed afresh, so a retry is never stale.

A delivery may arrive more than once (after a timeout, say); `X-Subsidy-Delivery` and the body's
`id` are the same on each retry, so a partner can recognise the repeat.

`verify` below does all of this and can be copied as it is. A worked example: with the secret
`s3cret`, t=1764105600 and the body `{"hello":"world"}`, v1 is
6eddf50fceb00000e3f2ceea9c50ede7eb69231267641abacbb89b29d9de3cbb.
"""

import hashlib
import hmac

TOLERANCE_S = 300


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The `v1` value: hex HMAC-SHA256(secret, "<timestamp>." + body)."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    """The whole `X-Subsidy-Signature` value."""
    return f"t={timestamp},v1={sign(secret, timestamp, body)}"


def verify(secret: str, header: str, body: bytes, now: int | float,
           tolerance_s: int | float = TOLERANCE_S) -> bool:
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
