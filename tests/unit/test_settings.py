import pytest
from pydantic import ValidationError

from shared.settings import Settings


def test_the_database_password_never_appears_in_a_repr_or_a_log():
    s = Settings(database_url="postgresql://subsidy:hunter2@db/subsidy", kafka_bootstrap_servers="k:9092")
    assert "hunter2" not in repr(s) and "hunter2" not in str(s.model_dump())
    assert s.sqlalchemy_url == "postgresql+asyncpg://subsidy:hunter2@db/subsidy"


def test_missing_servers_fail_at_start_naming_the_setting(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    with pytest.raises(ValidationError) as refused:
        Settings()
    assert {e["loc"][0] for e in refused.value.errors()} == {"database_url", "kafka_bootstrap_servers"}
