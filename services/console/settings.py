"""The console's settings: the shared ones, where the other services answer, and the rules of
sessions and sign-in."""

from pydantic import BaseModel, Field

from shared.settings import Settings


class Endpoint(BaseModel):
    url: str  # the service's API (and /healthz, /readyz)
    admin_url: str | None = None  # its operators' port (/loops, /metrics)


# `make run`'s layout: each service's API on 8000–8004, its operators' port 1000 above.
LOCAL = {
    name: Endpoint(url=f"http://127.0.0.1:{8000 + i}", admin_url=f"http://127.0.0.1:{9000 + i}")
    for i, name in enumerate(("intake", "eligibility", "quota", "payout", "notify"))
}


class ConsoleSettings(Settings):
    # Where the other services are: CONSOLE_SERVICES='{"intake": {"url": "…", "admin_url": "…"}, …}'.
    # Applications are read from intake, rounds from quota, payouts and budgets from payout; every one
    # listed is shown on the health page.
    console_services: dict[str, Endpoint] = Field(default_factory=lambda: dict(LOCAL))
    console_api_timeout_s: float = Field(default=10.0, gt=0)  # also how long reading the dead letters may take
    console_page_size: int = Field(default=25, ge=1, le=100)  # rows a page, in every list
    # A session ends after this long without a request, and in any case this long after sign-in.
    console_session_idle_minutes: float = Field(default=30, gt=0)
    console_session_absolute_hours: float = Field(default=12, gt=0)
    # Failed sign-ins allowed in the window, per account name and per client address; then 429.
    console_signin_failures_per_account: int = Field(default=5, ge=1)
    console_signin_failures_per_address: int = Field(default=20, ge=1)
    console_signin_window_s: int = Field(default=900, ge=1)

    def endpoint(self, service: str) -> Endpoint:
        return self.console_services.get(service) or LOCAL[service]
