"""The alert rules and the dashboard in deploy/ use only metrics (and labels) the services export."""

import json
import re

import yaml
from prometheus_client import Counter, Gauge, Histogram

from shared import observability
from tests.deploy_tools import DEPLOY

NAME = re.compile(r"\b(subsidy_[a-z_]+)(?:\{([^}]*)\})?")
GROUPING = re.compile(r"\bby \(([^)]*)\)")


def exported() -> dict[str, set[str]]:
    """Every sample name the code registers, with its labels."""
    names = {}
    for metric in vars(observability).values():
        if not isinstance(metric, Counter | Gauge | Histogram):
            continue
        labels = set(metric._labelnames)
        if isinstance(metric, Counter):
            names[f"{metric._name}_total"] = labels
        elif isinstance(metric, Histogram):
            names.update(
                {
                    f"{metric._name}_{s}": labels | ({"le"} if s == "bucket" else set())
                    for s in ("bucket", "sum", "count")
                }
            )
        else:
            names[metric._name] = labels
    return names


def check(expr: str) -> list[str]:
    """What in the expression names a metric or label nobody exports."""
    known, problems = exported(), []
    used = NAME.findall(expr)
    assert used, f"no metric in {expr!r}"
    labels_of_used = set()
    for name, matchers in used:
        if name not in known:
            problems.append(f"unknown metric {name}")
            continue
        labels_of_used |= known[name]
        problems += [
            f"{name} has no label {label}"
            for label in re.findall(r"(\w+)\s*[=!~]", matchers)
            if label not in known[name]
        ]
    for grouping in GROUPING.findall(expr):
        problems += [
            f"no metric here has label {label}"
            for label in re.split(r"\s*,\s*", grouping.strip())
            if label and label not in labels_of_used
        ]
    return problems


def alert_expressions() -> dict[str, str]:
    rules = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())
    return {rule["alert"]: rule["expr"] for group in rules["groups"] for rule in group["rules"]}


def dashboard_expressions() -> dict[str, str]:
    dashboard = json.loads((DEPLOY / "grafana" / "subsidy-operations.json").read_text())
    return {
        f"{panel['title']} {target['refId']}": target["expr"]
        for panel in dashboard["panels"]
        for target in panel["targets"]
    }


def test_the_alerts_the_on_call_needs_are_defined():
    assert set(alert_expressions()) == {
        "SubsidyConsumerLagGrowing",
        "SubsidyOutboxStuck",
        "SubsidyDeadLetter",
        "SubsidyHttpErrors",
    }


def test_every_alert_uses_only_exported_metrics_and_labels():
    for alert, expr in alert_expressions().items():
        assert not check(expr), (alert, check(expr))


def test_every_dashboard_panel_uses_only_exported_metrics_and_labels():
    expressions = dashboard_expressions()
    assert len(expressions) >= 9
    for panel, expr in expressions.items():
        assert not check(expr), (panel, check(expr))


def test_a_misspelt_metric_or_label_is_caught():
    assert check("sum(subsidy_consumer_lags)") == ["unknown metric subsidy_consumer_lags"]
    assert check('rate(subsidy_http_requests_total{status="5xx"}[5m])') == [
        "subsidy_http_requests_total has no label status"
    ]
    assert check("sum by (group) (subsidy_consumer_lag)") == ["no metric here has label group"]
