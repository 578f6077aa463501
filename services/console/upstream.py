"""The other services' HTTP APIs, called with the signed-in official's own API key: each service
decides what that official may see and do, exactly as for any other caller."""

from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from services.console.settings import ConsoleSettings


@dataclass
class UpstreamRefused(Exception):
    """The service answered with an error: its status and its message, in both languages."""

    status: int
    code: str
    message_zh: str
    message_en: str
    fields: list[dict] = field(default_factory=list)
    retry_after: str | None = None


@dataclass
class Unavailable(Exception):
    service: str


class Upstream:
    def __init__(self, settings: ConsoleSettings):
        self.settings = settings
        self._client: httpx.AsyncClient | None = None

    @asynccontextmanager
    async def open(self):
        async with httpx.AsyncClient(timeout=self.settings.console_api_timeout_s, follow_redirects=False) as client:
            self._client = client
            yield self

    @property
    def client(self) -> httpx.AsyncClient:
        """The connection pool, held open while the console runs (`open`)."""
        if self._client is None:
            raise RuntimeError("the console's upstream client is used before it was opened")
        return self._client

    async def call(
        self, service: str, method: str, path: str, key: str | None, *, params: dict | None = None, json: Any = None
    ) -> Any:
        url = self.settings.endpoint(service).url + path
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        try:
            response = await self.client.request(method, url, params=params, json=json, headers=headers)
        except httpx.HTTPError:
            raise Unavailable(service) from None
        if response.status_code >= 500:
            raise Unavailable(service)
        if response.status_code >= 400:
            raise refusal(service, response)
        return response.json()

    async def get(self, service: str, path: str, key: str | None, **params) -> Any:
        return await self.call(
            service, "GET", path, key, params={k: v for k, v in params.items() if v not in (None, "")}
        )


def refusal(service: str, response: httpx.Response) -> UpstreamRefused:
    try:
        error = response.json()["error"]
        code, zh, en, fields = error["code"], error["message_zh"], error["message_en"], error.get("fields", [])
    except (ValueError, KeyError, TypeError):
        code, zh, en, fields = "error", f"{service} 拒绝了该请求", f"{service} refused the request", []
    if response.status_code == 401:  # the service's key replica does not know this account's key (yet)
        zh = f"{service} 尚未识别本账户的密钥（新账户的密钥需数秒同步），请稍后重试"
        en = (
            f"{service} does not recognise this account's key yet (a new account's key takes a few seconds to "
            "reach it); try again shortly"
        )
    return UpstreamRefused(response.status_code, code, zh, en, fields, response.headers.get("retry-after"))
