"""Runs one service as its own process: `python -m services.<name>` or `subsidy serve <name>`."""

import uvicorn

from shared.settings import Settings


def serve(service: str) -> None:
    settings = Settings(service_name=service)
    uvicorn.run(f"services.{service}.main:create_app", factory=True, host=settings.http_host,
                port=settings.http_port, workers=settings.http_workers, loop="uvloop", http="httptools", access_log=False, proxy_headers=False,
                log_config=None, lifespan="on")
