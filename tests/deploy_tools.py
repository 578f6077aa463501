"""Reading deploy/: the kustomize overlays rendered to their resources, and the vendored schemas.

`kubectl kustomize` renders when kubectl is on the machine; otherwise `render` does it in Python
for the features our kustomizations use (resources, namespace, images, JSON 6902 patches). A test
checks the two agree wherever both exist.
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from functools import cache
from pathlib import Path

import yaml

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
K8S = DEPLOY / "k8s"
OVERLAYS = ("local", "production")
CLUSTER_SCOPED = {"Namespace", "CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding"}


def load_all(path: Path) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def render(directory: Path) -> list[dict]:
    """The resources a kustomization directory stands for, as our kustomizations use kustomize."""
    k = yaml.safe_load((directory / "kustomization.yaml").read_text())
    resources: list[dict] = []
    for entry in k.get("resources", []):
        path = directory / entry
        resources += render(path) if path.is_dir() else load_all(path)
    resources = copy.deepcopy(resources)
    for patch in k.get("patches", []):
        target = patch["target"]
        matched = [r for r in resources if r["kind"] == target["kind"] and r["metadata"]["name"] == target["name"]]
        assert matched, f"patch target {target} matches nothing"
        for resource in matched:
            for op in yaml.safe_load(patch["patch"]):
                _apply(resource, op)
    for image in k.get("images", []):
        for resource in resources:
            for container in _containers(resource):
                if container["image"].split(":")[0] == image["name"]:
                    container["image"] = f"{image.get('newName', image['name'])}:{image['newTag']}"
    if namespace := k.get("namespace"):
        for resource in resources:
            if resource["kind"] not in CLUSTER_SCOPED:
                resource["metadata"]["namespace"] = namespace
    return resources


def _containers(resource: dict) -> list[dict]:
    spec = resource.get("spec", {}).get("template", {}).get("spec", {})
    return spec.get("containers", []) + spec.get("initContainers", [])


def _apply(document: dict, op: dict) -> None:
    *parents, last = [p.replace("~1", "/").replace("~0", "~") for p in op["path"].lstrip("/").split("/")]
    node = document
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    key = int(last) if isinstance(node, list) else last
    if op["op"] in ("add", "replace"):
        if op["op"] == "replace":
            assert key in node if isinstance(node, dict) else key < len(node), f"nothing to replace at {op['path']}"
        node[key] = op["value"]
    elif op["op"] == "remove":
        del node[key]
    else:
        raise NotImplementedError(op["op"])


def kubectl_kustomize(directory: Path) -> list[dict] | None:
    """kustomize's own rendering, where kubectl is installed."""
    if not shutil.which("kubectl"):
        return None
    out = subprocess.run(
        ["kubectl", "kustomize", str(directory)], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    return [doc for doc in yaml.safe_load_all(out) if doc]


@cache
def rendered(overlay: str) -> tuple[dict, ...]:
    directory = K8S / "overlays" / overlay
    return tuple(kubectl_kustomize(directory) or render(directory))


def of_kind(resources, kind: str) -> list[dict]:
    return [r for r in resources if r["kind"] == kind]


def schema(name: str) -> dict:
    return json.loads((DEPLOY / "schemas" / name).read_text())


def settings_read_by_the_code() -> set[str]:
    """Every environment variable a service reads: the shared settings and each service's own."""
    from services.console.settings import ConsoleSettings
    from services.notify.settings import NotifySettings
    from services.payout.settings import PayoutSettings
    from services.quota.settings import QuotaSettings
    from shared.roles import RoleSettings
    from shared.settings import Settings

    return {
        name.upper()
        for cls in (Settings, QuotaSettings, NotifySettings, PayoutSettings, ConsoleSettings, RoleSettings)
        for name in cls.model_fields
    }
