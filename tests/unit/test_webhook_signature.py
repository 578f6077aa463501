"""The webhook signature partners verify: `t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>`."""

import hashlib
import hmac

from services.notify.signature import sign, signature_header, verify

SECRET, T, BODY = "s3cret-of-the-partner", 1_764_105_600, b'{"status":"eligible","amount":"800000.00"}'


def test_a_signed_body_verifies_with_the_same_secret():
    assert verify(SECRET, signature_header(SECRET, T, BODY), BODY, now=T + 1)


def test_the_signature_is_the_hmac_of_the_timestamp_a_dot_and_the_raw_body():
    expected = hmac.new(SECRET.encode(), f"{T}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert sign(SECRET, T, BODY) == expected
    assert signature_header(SECRET, T, BODY) == f"t={T},v1={expected}"


def test_the_documented_example_holds():
    assert sign("s3cret", 1764105600, b'{"hello":"world"}') == (
        "6eddf50fceb00000e3f2ceea9c50ede7eb69231267641abacbb89b29d9de3cbb"
    )


def test_a_tampered_body_is_rejected():
    assert not verify(SECRET, signature_header(SECRET, T, BODY), BODY.replace(b"800000", b"900000"), now=T)


def test_a_signature_made_with_another_secret_is_rejected():
    assert not verify(SECRET, signature_header("someone-elses-secret", T, BODY), BODY, now=T)


def test_a_signature_older_than_five_minutes_is_rejected_as_a_possible_replay():
    header = signature_header(SECRET, T, BODY)
    assert verify(SECRET, header, BODY, now=T + 300)
    assert not verify(SECRET, header, BODY, now=T + 301)
    assert not verify(SECRET, header, BODY, now=T - 301)  # nor one from the future
    assert verify(SECRET, header, BODY, now=T + 3000, tolerance_s=3600)


def test_a_changed_timestamp_does_not_verify_with_the_old_signature():
    v1 = sign(SECRET, T, BODY)
    assert not verify(SECRET, f"t={T + 60},v1={v1}", BODY, now=T + 60)


def test_any_of_several_v1_signatures_may_match_while_a_secret_is_rotated():
    header = f"t={T},v1={sign('old-secret', T, BODY)},v1={sign(SECRET, T, BODY)}"
    assert verify(SECRET, header, BODY, now=T)


def test_a_malformed_header_is_rejected_not_an_error():
    v1 = sign(SECRET, T, BODY)
    for header in ("", "garbage", f"v1={v1}", f"t={T}", f"t=soon,v1={v1}", f"t={T},v1="):
        assert not verify(SECRET, header, BODY, now=T)


# ---- Standard Webhooks ----

import base64  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402

import pytest  # noqa: E402
from standardwebhooks.webhooks import Webhook, WebhookVerificationError  # noqa: E402

from services.notify.signature import standard_headers, verify_standard, whsec  # noqa: E402
from shared.webhook_secrets import BadSecret, key, new_secret  # noqa: E402

MSG_ID = "5f0c6d1e-8a55-4f64-9d55-0b7f3c1d2e4a"


def test_the_reference_library_verifies_our_signature_with_an_issued_whsec_secret():
    secret, now = new_secret(), int(time.time())
    headers = standard_headers([secret], MSG_ID, now, BODY)
    assert Webhook(secret).verify(BODY, headers) == json.loads(BODY)
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(BODY, headers)


def test_a_secret_registered_before_whsec_is_verified_in_its_whsec_form():
    now = int(time.time())
    headers = standard_headers([SECRET], MSG_ID, now, BODY)
    assert whsec(SECRET) == "whsec_" + base64.b64encode(SECRET.encode()).decode()
    Webhook(whsec(SECRET)).verify(BODY, headers)
    assert verify_standard(SECRET, headers, BODY, now=now)


def test_while_rotating_both_secrets_sign_and_either_verifies():
    old, new, now = new_secret(), new_secret(), int(time.time())
    headers = standard_headers([new, old], MSG_ID, now, BODY)
    assert len(headers["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(BODY, headers)
    Webhook(new).verify(BODY, headers)


def test_the_signature_covers_the_id_the_timestamp_and_the_body():
    secret, now = new_secret(), int(time.time())
    headers = standard_headers([secret], MSG_ID, now, BODY)
    assert not verify_standard(secret, headers | {"webhook-id": "another"}, BODY, now=now)
    assert not verify_standard(secret, headers | {"webhook-timestamp": str(now + 1)}, BODY, now=now)
    assert not verify_standard(secret, headers, BODY + b" ", now=now)
    assert not verify_standard(secret, headers, BODY, now=now + 301)


def test_a_whsec_secret_must_be_base64_of_24_to_64_bytes():
    with pytest.raises(BadSecret):
        key("whsec_not*base64", strict=True)
    with pytest.raises(BadSecret):
        key("whsec_" + base64.b64encode(b"short").decode(), strict=True)
    assert len(key(new_secret(), strict=True)) == 32


def test_a_whsec_looking_secret_registered_before_secrets_were_checked_still_signs_as_plain_text():
    assert key("whsec_not*base64") == b"whsec_not*base64"
