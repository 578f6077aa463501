"""Helpers for tests of annual selections: applicants, applications, the quota clock, waiting."""

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path

import httpx

from shared.clock import FileClock
from shared.policy.applicant import check_character

BEIJING = "+08:00"


def credit_code(n: int, prefix: str = "91510100MA") -> str:
    first17 = f"{prefix}{n:07d}"
    return first17 + check_character(first17)


def alliance_chain(n: int, total_investment: str, tag: str = "") -> dict:
    """A valid 2.3-alliance-chain application of applicant number n."""
    return {
        "clause": "2.3-alliance-chain",
        "applicant": {"credit_code": credit_code(n), "name": f"成都链{n:02d}{tag}科技有限公司", "kind": "enterprise"},
        "occurred_on": "2024-03-01",
        "facts": {
            "chain_id": f"CHAIN-{tag}{n:02d}",
            "infrastructure_level": "provincial",
            "node_count": 7,
            "onchain_app_count": 12,
            "total_investment": total_investment,
        },
    }


def beijing(text: str) -> datetime:
    return datetime.fromisoformat(text + BEIJING)


def clock(path: Path, start: str) -> FileClock:
    c = FileClock(path)
    c.set(beijing(start))
    return c


async def until(check: Callable[[], Awaitable], timeout_s: float = 30, interval_s: float = 0.2):
    """Polls until `check()` returns something truthy, and returns it."""
    async with asyncio.timeout(timeout_s):
        while not (result := await check()):
            await asyncio.sleep(interval_s)
    return result


async def key_works(client: httpx.AsyncClient, key: str, path: str = "/v1/rounds", timeout_s: float = 30) -> None:
    """Waits until the service's key replica knows the key (intake's relay publishes it)."""

    async def ok():
        return (await client.get(path, headers={"Authorization": f"Bearer {key}"})).status_code == 200

    await until(ok, timeout_s)


def auth(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def new_id() -> str:
    return str(uuid.uuid4())


# ---- feeding quota directly, the way eligibility would ----


def application_of(clause: str, year: int, n: int, *, investment: str = "2000000", tag: str = "") -> dict:
    """Applicant n's application to a selection clause (2.3-alliance-chain or 3.6-demo-base)."""
    if clause == "2.3-alliance-chain":
        return alliance_chain(n, investment, tag)
    return {
        "clause": clause,
        "occurred_on": f"{year}-03-01",
        "applicant": {"credit_code": credit_code(n, "11510100MB"), "name": f"成都市第{n}区", "kind": "district"},
        "facts": {"project_id": f"BASE-{tag}{n:02d}"},
    }


def admission(
    clause: str, year: int, n: int, *, investment: str = "2000000", submitted_at: datetime | None = None, tag: str = ""
):
    """The candidate.admitted.v2 event eligibility publishes for applicant n's application."""
    from datetime import UTC
    from decimal import Decimal

    from shared.events import CandidateAdmittedV2, CandidateGrant
    from shared.messaging.envelope import Envelope
    from shared.policy.text import identifier_key

    application = application_of(clause, year, n, investment=investment, tag=tag)
    applicant, facts = application["applicant"], application["facts"]
    application_id = uuid.uuid4()
    if clause == "2.3-alliance-chain":
        project, amount = facts["chain_id"], min(Decimal(investment) * Decimal("0.2"), Decimal(500000))
        grants = [CandidateGrant(subject_key=f"chain_id={identifier_key(project)}")]
        indicators = {"total_investment": investment}
    else:
        project, amount, indicators = facts["project_id"], Decimal(0), {}
        grants = [
            CandidateGrant(subject_key=f"project_id={identifier_key(project)}", project_id=identifier_key(project))
        ]
    admitted = CandidateAdmittedV2(
        application_id=application_id,
        credit_code=applicant["credit_code"],
        applicant_name=applicant["name"],
        applicant_kind=applicant["kind"],
        clause=clause,
        year=year,
        amount=amount,
        project=project,
        grants=grants,
        indicators=indicators,
        submitted_at=submitted_at or datetime.now(UTC),
    )
    return Envelope.of(admitted, source="/test", key=f"{clause}:{year}", subject=str(application_id))


async def feed(bootstrap: str, *envelopes) -> None:
    """Publishes each event on its own topic."""
    from shared.messaging.payloads import payload_type
    from tests.kafka_tools import publish

    for e in envelopes:
        model = payload_type(e.type)
        assert model is not None, f"{e.type} is not an event type of ours"
        await publish(bootstrap, model.topic, e)


def uniform(clause: str, score: int) -> dict:
    """Every criterion of the clause's rubric scored the same, so the review's score is that number."""
    from tests.books import BOOK

    return {c.id: score for c in BOOK.latest.rules[clause].selection.criteria}


async def prepare_round(
    client: httpx.AsyncClient,
    bootstrap: str,
    quota_clock,
    admin: str,
    reviewers: dict[str, str],
    clause: str,
    year: int,
    scores: list[int],
    *,
    upto: str = "in_notice",
    deadline: str | None = None,
    tag: str = "",
    **round_params,
) -> list[str]:
    """A round of len(scores) candidates brought to `upto`, each reviewed by every reviewer with the
    given score; returns the application ids in the order of `scores`."""
    deadline = deadline or f"{year}-09-20T17:00:00"
    quota_clock.set(beijing(f"{year}-09-02T09:00:00"))
    path = f"/v1/rounds/{clause}/{year}"
    r = await client.post(
        "/v1/rounds",
        headers=auth(admin),
        json={
            "clause": clause,
            "year": year,
            "deadline": deadline + BEIJING,
            "min_reviews": len(reviewers),
            **round_params,
        },
    )
    assert r.status_code == 201, r.text
    admitted = [admission(clause, year, n, tag=tag) for n in range(len(scores))]
    await feed(bootstrap, *admitted)
    ids = [e.subject for e in admitted]

    async def joined():
        listed = (await client.get(f"{path}/candidates", headers=auth(admin))).json()
        return len(listed) == len(scores) and all(c.get("applicant_name") for c in listed)

    await until(joined)
    for name in reviewers:
        assert (await client.put(f"{path}/panel/{name}", headers=auth(admin))).status_code == 200
    if upto == "open":
        return ids
    quota_clock.set(beijing(f"{year}-09-21T09:00:00"))
    await until(lambda: _state_is(client, admin, path, "closed"))
    if upto == "closed":
        return ids
    for state in ("in_review", "ranked", "in_notice"):
        if state == "ranked":
            for key in reviewers.values():
                for application_id, score in zip(ids, scores, strict=True):
                    done = await client.put(
                        f"{path}/candidates/{application_id}/review",
                        headers=auth(key),
                        json={"scores": uniform(clause, score), "submit": True},
                    )
                    assert done.status_code == 200, done.text
        if state == "in_notice":
            quota_clock.set(beijing(f"{year}-09-27T10:00:00"))
        moved = await client.post(f"{path}/transitions", headers=auth(admin), json={"state": state})
        assert moved.status_code == 200, moved.text
        if state == upto:
            break
    return ids


async def _state_is(client, admin, path, wanted) -> bool:
    return (await client.get(path, headers=auth(admin))).json()["state"] == wanted
