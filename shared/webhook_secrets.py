"""Partners' webhook signing secrets, in the Standard Webhooks form: `whsec_` then the base64 of 24
to 64 random bytes. Intake issues and checks them at registration; notify signs with them.

A secret registered before this form (any string of 16–200 characters) is still good: its key is
its UTF-8 bytes, and its Standard Webhooks form is `whsec_` + base64 of them (`whsec`).
"""

import base64
import binascii
import secrets as random_secrets

WHSEC_PREFIX = "whsec_"
WHSEC_BYTES = (24, 64)  # the specification asks for 24 to 64 random bytes


class BadSecret(ValueError):
    pass


def new_secret() -> str:
    """A fresh `whsec_` secret: 32 random bytes, base64."""
    return WHSEC_PREFIX + base64.b64encode(random_secrets.token_bytes(32)).decode("ascii")


def key(secret: str, strict: bool = False) -> bytes:
    """The HMAC key of a registered secret: a `whsec_` secret's decoded bytes, any other its UTF-8.

    `strict` (registration) refuses a `whsec_` secret that is not base64 of 24–64 bytes; otherwise
    (signing) such a secret, registered before secrets were checked, is taken as plain text."""
    if not secret.startswith(WHSEC_PREFIX):
        return secret.encode()
    try:
        raw = base64.b64decode(secret[len(WHSEC_PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        if strict:
            raise BadSecret("a whsec_ secret must be base64 after its prefix") from None
        return secret.encode()
    if not WHSEC_BYTES[0] <= len(raw) <= WHSEC_BYTES[1]:
        if strict:
            raise BadSecret(f"a whsec_ secret must hold {WHSEC_BYTES[0]} to {WHSEC_BYTES[1]} bytes, not {len(raw)}")
        return secret.encode()
    return raw


def whsec(secret: str) -> str:
    """The secret as a Standard Webhooks library takes it."""
    return secret if secret.startswith(WHSEC_PREFIX) else WHSEC_PREFIX + base64.b64encode(key(secret)).decode()
