"""The Kubernetes manifests say what the code does: valid resources, autoscaling ceilings that fit
the partitions of the groups' topics, probes on real routes, topics as the code declares them."""

import json

import jsonschema
import kubernetes_validate
import pytest
from sqlalchemy.engine import make_url

from services.topology import consumer_groups, routes
from shared import roles, topics
from tests.deploy_tools import (
    K8S,
    OVERLAYS,
    kubectl_kustomize,
    of_kind,
    render,
    rendered,
    schema,
    settings_read_by_the_code,
)

CRD_SCHEMAS = {
    ("keda.sh/v1alpha1", "ScaledObject"): "keda-scaledobject-v1alpha1.json",
    ("kafka.strimzi.io/v1beta2", "KafkaTopic"): "strimzi-kafkatopic-v1beta2.json",
}
KUBERNETES = "1.32.0"  # the oldest version the manifests must be valid for
SETTINGS = settings_read_by_the_code()


def settings_of(resources) -> dict[str, str]:
    (config,) = of_kind(resources, "ConfigMap")
    return config["data"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_python_rendering_agrees_with_kustomize(overlay):
    directory = K8S / "overlays" / overlay
    by_kustomize = kubectl_kustomize(directory)
    if by_kustomize is None:
        pytest.skip("kubectl is not installed: the tests render with the Python renderer alone")
    key = lambda r: (r["kind"], r["metadata"]["name"])  # noqa: E731
    assert sorted(render(directory), key=key) == sorted(by_kustomize, key=key)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_resource_is_valid_against_its_schema(overlay):
    resources = rendered(overlay)
    assert len(resources) > 20
    for resource in resources:
        crd = CRD_SCHEMAS.get((resource["apiVersion"], resource["kind"]))
        if crd:
            jsonschema.validate(resource, schema(crd))
        else:
            kubernetes_validate.validate(resource, KUBERNETES, strict=True)


def test_an_invalid_resource_is_refused_by_the_validation():
    (deployment, *_) = of_kind(rendered("local"), "Deployment")
    broken = {**deployment, "spec": {**deployment["spec"], "replicas": "two"}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES, strict=True)
    (scaled, *_) = of_kind(rendered("local"), "ScaledObject")
    with pytest.raises(jsonschema.ValidationError):
        # The HorizontalPodAutoscaler's spelling, which KEDA would silently ignore.
        jsonschema.validate(
            {**scaled, "spec": {**scaled["spec"], "maxReplicas": 6}},
            schema(CRD_SCHEMAS[("keda.sh/v1alpha1", "ScaledObject")]),
        )


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_consuming_service_scales_on_its_groups_lag_within_their_partitions(overlay):
    scaled = {s["spec"]["scaleTargetRef"]["name"]: s for s in of_kind(rendered(overlay), "ScaledObject")}
    for service, groups in consumer_groups().items():
        if service in ("intake", "console") or not groups:
            # intake scales on CPU (below), its status and policy groups are light; the console is
            # pages for officials, its one group (policy versions) a handful of events a year.
            continue
        spec = scaled[service]["spec"]
        triggers = {t["metadata"]["consumerGroup"]: t["metadata"] for t in spec["triggers"]}
        assert set(triggers) == set(groups), service
        for group, metadata in triggers.items():
            if "topic" in metadata:
                assert (metadata["topic"],) == groups[group], group
            assert int(metadata["lagThreshold"]) > int(metadata["activationLagThreshold"]) >= 0
            assert metadata.get("allowIdleConsumers", "false") == "false"
        # A group shares its topics' partitions among its members: a replica beyond them idles.
        ceiling = min(len(group_topics) * topics.PARTITIONS for group_topics in groups.values())
        assert 1 <= spec["minReplicaCount"] <= spec["maxReplicaCount"] <= ceiling, service


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_intake_scales_on_cpu(overlay):
    (hpa,) = of_kind(rendered(overlay), "HorizontalPodAutoscaler")
    assert hpa["spec"]["scaleTargetRef"]["name"] == "intake"
    assert [m["resource"]["name"] for m in hpa["spec"]["metrics"]] == ["cpu"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_deployment_probes_real_routes_on_the_api_port(overlay):
    resources = rendered(overlay)
    settings = settings_of(resources)
    deployments = {d["metadata"]["name"]: d for d in of_kind(resources, "Deployment")}
    assert set(deployments) == set(consumer_groups())
    for service, deployment in deployments.items():
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        assert container["args"] == ["serve", service]
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        assert ports["http"] == int(settings["HTTP_PORT"]) and ports["admin"] == int(settings["ADMIN_PORT"])
        for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
            get = container[probe]["httpGet"]
            assert get["path"] == path and get["path"] in routes(service), (service, probe)
            assert ports.get(get["port"], get["port"]) == int(settings["HTTP_PORT"]), (service, probe)
        assert container["resources"]["requests"] and container["resources"]["limits"]["memory"]
        annotations = deployment["spec"]["template"]["metadata"]["annotations"]
        assert int(annotations["prometheus.io/port"]) == ports["admin"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_deployment_has_a_disruption_budget_over_its_pods(overlay):
    resources = rendered(overlay)
    budgets = {
        b["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"]
        for b in of_kind(resources, "PodDisruptionBudget")
    }
    assert budgets == {d["metadata"]["name"] for d in of_kind(resources, "Deployment")}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_no_service_exposes_the_operators_port(overlay):
    resources = rendered(overlay)
    for service in of_kind(resources, "Service"):
        assert [p["targetPort"] for p in service["spec"]["ports"]] == ["http"], service["metadata"]["name"]


def database_secret(workload: dict) -> str:
    """The Secret holding a workload's DATABASE_URL: the service's own, the migration's, or (for
    the Job making the roles) the administrator's."""
    name = workload["metadata"]["name"].removeprefix("subsidy-")
    return f"subsidy-database-{'admin' if name == 'roles' else name}"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_settings_come_from_the_config_map_and_the_secrets_and_are_all_read_by_the_code(overlay):
    resources = rendered(overlay)
    assert set(settings_of(resources)) <= SETTINGS, set(settings_of(resources)) - SETTINGS
    for workload in of_kind(resources, "Deployment") + of_kind(resources, "Job"):
        (container,) = workload["spec"]["template"]["spec"]["containers"]
        sources = [(kind, s[kind]["name"]) for s in container["envFrom"] for kind in s]
        keys = [] if workload["metadata"]["name"] == "subsidy-roles" else [("secretRef", "subsidy-secrets")]
        assert sources == [("configMapRef", "subsidy-settings"), *keys, ("secretRef", database_secret(workload))]
    for secret in of_kind(resources, "Secret"):  # production's come from the cluster's secret manager
        assert set(secret["stringData"]) <= SETTINGS


def test_each_workload_connects_as_its_own_role_with_a_password_of_its_own():
    resources = rendered("local")
    secrets = {s["metadata"]["name"]: s["stringData"] for s in of_kind(resources, "Secret")}
    assert "DATABASE_URL" not in secrets["subsidy-secrets"]  # shared by all: no database role in it
    given = json.loads(secrets["subsidy-database-admin"]["DATABASE_PASSWORDS"])
    connects = {
        workload["metadata"]["name"]: make_url(secrets[database_secret(workload)]["DATABASE_URL"])
        for workload in of_kind(resources, "Deployment") + of_kind(resources, "Job")
        if workload["metadata"]["name"] != "subsidy-roles"
    }
    assert {name: url.username for name, url in connects.items()} == {
        "subsidy-migrate": roles.MIGRATOR,
        **{service: service for service in consumer_groups()},
    }
    assert {url.username: url.password for url in connects.values()} == given
    assert len(set(given.values())) == len(given)


def test_the_migration_job_runs_the_migrations():
    (job,) = of_kind(rendered("production"), "Job")
    (container,) = job["spec"]["template"]["spec"]["containers"]
    assert container["args"] == ["migrate"] and container["image"] == "registry.internal/chengdu-subsidy:1.0.0"


def test_the_topics_are_declared_with_the_partitions_the_code_expects():
    declared = {t["spec"]["topicName"]: t["spec"]["partitions"] for t in of_kind(rendered("production"), "KafkaTopic")}
    assert declared == dict.fromkeys(topics.ALL, topics.PARTITIONS)
