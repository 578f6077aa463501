"""deploy/docker-compose.yml stays true to the code: the services it runs, their commands and
ports, and only environment variables the settings read."""

import json
import re

import yaml
from sqlalchemy.engine import make_url

from services.topology import routes
from shared import roles
from shared.settings import Settings
from shared.stack import PRODUCT
from tests.deploy_tools import DEPLOY, settings_read_by_the_code

SETTINGS = settings_read_by_the_code()
API_PORT = Settings.model_fields["http_port"].default


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())


def ours(services: dict) -> dict:
    """The containers that run `subsidy` from our image (the others are PostgreSQL, Kafka and, for
    development, the mail sink, which runs from our image with an entrypoint of its own)."""
    return {
        name: s
        for name, s in services.items()
        if s.get("build", {}).get("dockerfile") == "deploy/Dockerfile" and "entrypoint" not in s
    }


def matched(pattern: str, text: str, group: int = 1, flags: int = 0) -> str:
    """`group` of the first match of `pattern` in `text`; the test fails where there is none."""
    m = re.search(pattern, text, flags)
    assert m is not None, f"{pattern!r} not found"
    return m.group(group)


def dockerfile_env() -> dict[str, str]:
    text = (DEPLOY / "Dockerfile").read_text()
    return dict(re.findall(r"(\w+)=(\S+)", matched(r"^ENV (.+)$", text, flags=re.M)))


def test_every_service_runs_once_as_its_own_container_after_the_roles_and_the_migration():
    services = ours(compose()["services"])
    assert {name: s["command"] for name, s in services.items()} == {
        "roles": ["roles"],
        "migrate": ["migrate"],
        **{name: ["serve", name] for name in PRODUCT},
    }
    assert services["migrate"]["depends_on"]["roles"]["condition"] == "service_completed_successfully"
    for name in PRODUCT:
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_each_service_connects_as_its_own_role_with_a_secret_of_its_own():
    services = ours(compose()["services"])
    passwords = json.loads(services["roles"]["environment"]["DATABASE_PASSWORDS"])
    connects = {name: make_url(s["environment"]["DATABASE_URL"]) for name, s in services.items() if name != "roles"}
    assert {name: url.username for name, url in connects.items()} == {
        "migrate": roles.MIGRATOR,
        **{name: name for name in PRODUCT},
    }
    # The password each connects with is the one `roles` gives its role, and no two share one.
    assert {url.username: url.password for url in connects.values()} == passwords
    assert len(set(passwords.values())) == len(passwords)


def test_every_environment_variable_is_a_setting_the_code_reads():
    for name, service in ours(compose()["services"]).items():
        unknown = set(service["environment"]) - SETTINGS
        assert not unknown, f"{name} sets {unknown}, which no setting reads"
    assert set(dockerfile_env()) <= SETTINGS


def test_the_servers_the_services_need_are_given_to_every_one():
    required = {name.upper() for name, field in Settings.model_fields.items() if field.is_required()}
    for service in ours(compose()["services"]).values():
        assert required <= set(service["environment"])


def test_published_ports_reach_the_api_port_and_never_the_operators_port():
    services = ours(compose()["services"])
    api = int(dockerfile_env().get("HTTP_PORT", API_PORT))
    for name in ("intake", "quota"):
        (mapping,) = services[name]["ports"]
        assert int(mapping.split(":")[-1]) == api, name
    for name, service in services.items():
        admin = int(service.get("environment", {}).get("ADMIN_PORT", api + 1000))
        assert all(int(m.split(":")[-1]) != admin for m in service.get("ports", [])), name


def test_the_image_health_check_asks_a_real_route_on_the_api_port():
    check = re.search(
        r"HEALTHCHECK .*urlopen\('http://127\.0\.0\.1:(\d+)(/\w+)'\)", (DEPLOY / "Dockerfile").read_text()
    )
    assert check is not None
    assert int(check.group(1)) == int(dockerfile_env()["HTTP_PORT"])
    assert all(check.group(2) in routes(service) for service in PRODUCT)
