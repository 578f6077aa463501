"""Webhook secrets are sealed with SECRETS_KEY and opened only with it."""

import stat

import pytest
from cryptography.fernet import Fernet

from shared.secretbox import (
    SecretBox,
    SecretsKeyMissing,
    SecretUnreadable,
    development_key,
    key_id,
    new_key,
    sealed_with,
)
from shared.settings import Settings

SECRET = "whsec_s3cret-of-the-portal"


def test_a_sealed_secret_opens_with_its_key_and_shows_nothing_of_the_secret():
    box = SecretBox(new_key())
    sealed = box.seal(SECRET)
    assert SECRET not in sealed and box.open(sealed) == SECRET
    assert box.seal(SECRET) != sealed  # a fresh nonce each time: equal secrets do not look equal


def test_another_key_cannot_open_it_nor_can_an_altered_one():
    sealed = SecretBox(new_key()).seal(SECRET)
    with pytest.raises(SecretUnreadable):
        SecretBox(new_key()).open(sealed)
    box = SecretBox(key := new_key())
    sealed = box.seal(SECRET)
    with pytest.raises(SecretUnreadable):
        SecretBox(key).open(sealed[:-4] + ("AAAA" if not sealed.endswith("AAAA") else "BBBB"))


def test_a_rotated_key_list_seals_with_the_first_key_and_opens_with_any():
    old, new = new_key(), new_key()
    sealed_before = SecretBox(old).seal(SECRET)
    rotated = SecretBox(f"{new},{old}")
    assert rotated.open(sealed_before) == SECRET
    assert SecretBox(new).open(rotated.seal(SECRET)) == SECRET


def test_a_malformed_key_is_refused_without_repeating_it():
    with pytest.raises(ValueError) as refused:
        SecretBox("not-a-fernet-key-hunter2")
    assert "hunter2" not in str(refused.value) and "Fernet key" in str(refused.value)


def test_a_service_without_secrets_key_is_told_which_setting_it_needs():
    settings = Settings(database_url="postgresql://db/x", kafka_bootstrap_servers="k:9092", service_name="notify")
    with pytest.raises(SecretsKeyMissing, match="notify needs SECRETS_KEY"):
        SecretBox.from_settings(settings)


def test_the_key_never_appears_in_the_settings_repr():
    key = new_key()
    settings = Settings(database_url="postgresql://db/x", kafka_bootstrap_servers="k:9092", secrets_key=key)
    assert key not in repr(settings) and key not in str(settings.model_dump())
    assert SecretBox.from_settings(settings).open(SecretBox(key).seal(SECRET)) == SECRET


def test_the_development_key_is_made_once_and_readable_by_its_owner_only(tmp_path):
    path = tmp_path / ".data" / "secrets.key"
    first = development_key(path)
    assert development_key(path) == first and SecretBox(first).open(SecretBox(first).seal(SECRET)) == SECRET
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_sealed_secret_names_its_key_and_a_missing_key_is_named():
    old, new = new_key(), new_key()
    sealed = SecretBox(old).seal(SECRET)
    assert sealed_with(sealed) == key_id(old) and old not in sealed
    with pytest.raises(SecretUnreadable, match=f"sealed with key {key_id(old)}"):
        SecretBox(new).open(sealed)


def test_resealing_after_a_rotation_moves_a_secret_to_the_new_key_and_keeps_it():
    old, new = new_key(), new_key()
    sealed = SecretBox(old).seal(SECRET)
    rotated = SecretBox(f"{new},{old}")
    resealed = rotated.reseal(sealed)
    assert sealed_with(resealed) == key_id(new) and SecretBox(new).open(resealed) == SECRET
    assert rotated.reseal(resealed) == resealed  # already under the first key: left as it is


def test_a_secret_sealed_before_key_ids_still_opens_and_is_resealed_with_one():
    old, new = new_key(), new_key()
    bare = Fernet(old).encrypt(SECRET.encode()).decode()  # how secrets were sealed before
    assert sealed_with(bare) is None and SecretBox(f"{new},{old}").open(bare) == SECRET
    assert sealed_with(SecretBox(f"{new},{old}").reseal(bare)) == key_id(new)
