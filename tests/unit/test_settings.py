import pytest
from sqlalchemy import MetaData

from shared.bootstrap import Wiring, bootstrap
from shared.settings import SettingMissing, Settings


def test_the_database_password_never_appears_in_a_repr_or_a_log():
    s = Settings(database_url="postgresql://subsidy:hunter2@db/subsidy", kafka_bootstrap_servers="k:9092")
    assert "hunter2" not in repr(s) and "hunter2" not in str(s.model_dump())
    assert s.sqlalchemy_url == "postgresql+asyncpg://subsidy:hunter2@db/subsidy"


def test_missing_servers_fail_at_start_naming_the_setting(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    settings = Settings(service_name="intake")
    with pytest.raises(SettingMissing, match="set DATABASE_URL"):
        bootstrap(settings, MetaData(schema="intake"))
    with pytest.raises(SettingMissing, match="set KAFKA_BOOTSTRAP_SERVERS"):
        settings.brokers  # noqa: B018  (what a service reads as it starts its consumers and relay)


def test_a_process_without_a_schema_of_its_own_needs_no_servers(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    core = bootstrap(Settings(service_name="demo"))
    assert not isinstance(core, Wiring) and core.policy.book.latest.id == "chengdu-blockchain-2023"
