"""The edge every service shares: text no store can hold is refused naming its field; an error
that escapes every handler still answers in the documented shape, with its correlation id (503
when the database is only away); a call that lost a deadlock is run again."""

import logging
from types import SimpleNamespace

import httpx
import pytest
from fastapi import Depends, FastAPI
from pydantic import BaseModel, ConfigDict

from shared import api_errors
from shared.routes import ATTEMPTS, act
from shared.service import ObservedRequests
from shared.storable import problem, problems, refuse_unstorable


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")
    html: str
    parts: list[str] = []


def app() -> FastAPI:
    made = FastAPI(dependencies=[Depends(refuse_unstorable)])
    api_errors.install(made)

    @made.get("/things")
    async def things(clause: str | None = None) -> dict:
        return {"clause": clause}

    @made.put("/things/{name}")
    async def put_thing(name: str, body: Body) -> dict:
        return {"name": name, "html": body.html}

    return made


async def call(method: str, url: str, **kw) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app()), base_url="http://edge") as client:
        return await client.request(method, url, **kw)


def fields(r: httpx.Response) -> dict[str, str]:
    assert r.status_code == 422, r.text
    return {f["field"]: f["code"] for f in r.json()["error"]["fields"]}


def test_what_cannot_be_stored_is_named():
    assert problem("ok 成都") is None
    assert "U+0000" in (problem("a\x00b") or "")
    assert "U+D800" in (problem("a\ud800") or "")
    assert [f for f, _ in problems({"a": ["x", "y\x00"], "b\x00": 1}, "body")] == ["body.a.1", "body.b\x00"]


async def test_a_nul_in_a_declared_query_parameter_is_refused_naming_it():
    assert fields(await call("GET", "/things?clause=%00")) == {"query.clause": "invalid_character"}


async def test_a_parameter_the_route_does_not_declare_is_left_alone():
    r = await call("GET", "/things?other=%00&clause=x")
    assert r.status_code == 200 and r.json() == {"clause": "x"}


async def test_a_nul_in_a_path_parameter_and_a_lone_surrogate_in_the_body_are_both_named():
    r = await call(
        "PUT",
        "/things/a%00b",
        content=b'{"html": "x\\ud800", "parts": ["ok"]}',
        headers={"content-type": "application/json"},
    )
    assert fields(r) == {"path.name": "invalid_character", "body.html": "invalid_character"}


async def test_ordinary_text_passes():
    r = await call("PUT", "/things/成都", json={"html": "<p>成都</p>", "parts": ["a"]})
    assert r.status_code == 200 and r.json() == {"name": "成都", "html": "<p>成都</p>"}


async def test_an_error_that_escapes_every_handler_answers_json_with_its_correlation_id(caplog):
    async def failing(scope, receive, send):
        raise RuntimeError("the database went away")

    observed = ObservedRequests(failing, service="edge")
    with caplog.at_level(logging.ERROR, logger="shared.service"):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=observed), base_url="http://edge") as client:
            r = await client.get("/anything", headers={"X-Correlation-Id": "cid-1"})
    assert r.status_code == 500
    assert r.headers["content-type"] == "application/json"
    assert r.headers["x-correlation-id"] == "cid-1"
    assert r.json()["error"]["code"] == "internal_error"
    assert [rec.message for rec in caplog.records] == ["GET /anything failed"]


async def test_the_database_away_answers_503_with_retry_after_not_a_500(caplog):
    async def failing(scope, receive, send):
        raise ConnectionRefusedError("connection to the database refused")

    observed = ObservedRequests(failing, service="edge")
    with caplog.at_level(logging.WARNING, logger="shared.service"):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=observed), base_url="http://edge") as client:
            r = await client.post("/anything")
    assert (r.status_code, r.headers["retry-after"]) == (503, "1")
    assert r.json()["error"]["code"] == "unavailable"
    assert all(rec.exc_info is None for rec in caplog.records)  # an outage is one line, not a traceback


class Lost(Exception):
    """What asyncpg raises for a deadlock's victim (SQLSTATE 40P01)."""

    sqlstate = "40P01"


class Sessions:
    """Transactions that record what was done in them, the first `losing` of them rolled back."""

    def __init__(self, losing: int):
        self.losing, self.begun = losing, 0
        self.committed: list[list] = []

    def begin(self):
        sessions = self

        class Transaction:
            async def __aenter__(self):
                sessions.begun += 1
                self.done: list = []
                return self.done

            async def __aexit__(self, kind, error, tb):
                if error is None:
                    if sessions.begun <= sessions.losing:
                        raise Lost("deadlock detected")
                    sessions.committed.append(self.done)

        return Transaction()


def request_with(sessions: Sessions):
    state = SimpleNamespace(runtime=SimpleNamespace(wiring=SimpleNamespace(sessions=sessions)), ctx="ctx")
    return SimpleNamespace(app=SimpleNamespace(state=state))


async def cancel(done, ctx, award):
    done.append((ctx, award))
    return "cancelled"


async def test_a_call_that_lost_a_deadlock_is_run_again_from_the_start():
    sessions = Sessions(losing=2)
    assert await act(request_with(sessions), cancel, "A-1") == "cancelled"
    assert (sessions.begun, sessions.committed) == (3, [[("ctx", "A-1")]])


async def test_a_call_that_keeps_losing_gives_up_and_other_errors_are_not_retried():
    sessions = Sessions(losing=ATTEMPTS)
    with pytest.raises(Lost):
        await act(request_with(sessions), cancel, "A-1")
    assert (sessions.begun, sessions.committed) == (ATTEMPTS, [])

    async def broken(done, ctx):
        raise ValueError("a bug")

    sessions = Sessions(losing=0)
    with pytest.raises(ValueError):
        await act(request_with(sessions), broken)
    assert sessions.begun == 1
