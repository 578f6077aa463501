"""Runs one service as its own process: `python -m services.<name>` or `subsidy serve <name>`.

Its worker processes share one directory of metrics (PROMETHEUS_MULTIPROC_DIR), which must be in
the environment before any of them imports prometheus_client: so this module imports nothing
that does, and `subsidy serve` hands over to `python -m services.<name>`.
"""

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import uvicorn
from uvicorn.main import STARTUP_FAILURE

from shared import http_server
from shared.settings import Settings


def serve(service: str) -> None:
    settings = Settings(service_name=service)
    prepare_metrics_dir(service, settings.prometheus_multiproc_dir)
    app = f"services.{service}.main:create_app"
    options: dict[str, Any] = {
        "factory": True,
        "host": settings.http_host,
        "port": settings.http_port,
        "loop": "uvloop",
        "http": "httptools",
        "access_log": False,
        "proxy_headers": False,
        "log_config": None,
        "lifespan": "on",
    }
    if settings.http_workers > 1:
        # uvicorn's supervisor builds the servers of its worker processes itself.
        uvicorn.run(app, workers=settings.http_workers, **options)
        return
    server = http_server.Server(uvicorn.Config(app, **options))
    server.run()
    if not server.started:
        sys.exit(STARTUP_FAILURE)


def prepare_metrics_dir(service: str, given: str | None) -> Path:
    """An empty directory for this run's metrics, named in the environment the workers inherit.
    Emptied at start: what a previous run's workers counted is not this run's."""
    if "prometheus_client" in sys.modules:
        raise RuntimeError("metrics must be set up before prometheus_client is imported")
    if given:
        path = Path(given)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):
            stale.unlink()
    else:
        path = Path(tempfile.mkdtemp(prefix=f"subsidy-{service}-metrics-"))
        atexit.register(shutil.rmtree, path, ignore_errors=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(path)
    return path
