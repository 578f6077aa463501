"""A round's moves on an in-memory session (tests/unit/fakes.py): ranking waits for every
candidate's details, and a round in notice is not concluded while an objection is open — neither
by an admin nor by the round keeper, which concludes it once the objection is decided."""

import datetime as dt
import uuid
from decimal import Decimal

import pytest

from services.quota import rounds, worker
from services.quota.context import Context
from services.quota.domain.lifecycle import RuleBroken, State
from services.quota.tables import candidates, details, notices, objections, transitions
from services.quota.tables import rounds as round_rows
from shared.events import RoundStateChangedV1, SelectionConcludedV1
from shared.policy import CurrentPolicy, load_policies
from tests.unit.fakes import FakePublisher, FakeSession, FakeSessions

CLAUSE, YEAR = "2.3-alliance-chain", 2024
NOW = dt.datetime(2024, 9, 2, 2, 0, tzinfo=dt.UTC)  # a Monday in Beijing


class Fixed:
    def now(self) -> dt.datetime:
        return NOW


@pytest.fixture
def session() -> FakeSession:
    return FakeSession(now=NOW)


@pytest.fixture
def ctx() -> Context:
    return Context(Fixed(), FakePublisher(), CurrentPolicy(load_policies()))


def a_round(session: FakeSession, state: State) -> uuid.UUID:
    rid = rounds.round_id(CLAUSE, YEAR)
    session.add(
        round_rows,
        id=rid,
        clause=CLAUSE,
        year=YEAR,
        quota=10,
        deadline=NOW - dt.timedelta(days=60),
        min_reviews=1,
        min_score=Decimal(60),
        notice_working_days=5,
        state=state,
        created_by="admin",
        created_at=NOW - dt.timedelta(days=90),
        updated_at=NOW - dt.timedelta(days=30),
    )
    return rid


def a_candidate(session: FakeSession, rid: uuid.UUID, standing: str, *, with_details: bool) -> uuid.UUID:
    application_id = uuid.uuid4()
    session.add(
        candidates,
        application_id=application_id,
        clause=CLAUSE,
        year=YEAR,
        credit_code="91510100MA61234567",
        amount=Decimal("100000.00"),
        indicators={"total_investment": "500000"},
        submitted_at=NOW - dt.timedelta(days=70),
        round_id=rid,
        standing=standing,
        rank=1 if standing == "proposed" else None,
        review_score=Decimal("80.00") if standing == "proposed" else None,
    )
    if with_details:
        session.add(
            details,
            application_id=application_id,
            clause=CLAUSE,
            applicant_name="甲链科技",
            applicant_kind="enterprise",
            project="chain-1",
            grants=[{"subject_key": "chain:chain-1", "project_id": "chain-1"}],
        )
    return application_id


def round_state(session: FakeSession) -> str:
    (row,) = session.rows(round_rows)
    return row["state"]


async def test_ranking_is_refused_while_a_candidate_lacks_its_details_and_goes_ahead_once_they_come(
    session, ctx, monkeypatch
):
    rid = a_round(session, State.IN_REVIEW)
    known = a_candidate(session, rid, "candidate", with_details=True)
    unheard = a_candidate(session, rid, "candidate", with_details=False)  # admitted by a v1 event

    async def review_scores(_session, _row):  # the reviews' query joins and filters: its answer, faked
        return {known: [Decimal(80)], unheard: [Decimal(75)]}

    monkeypatch.setattr(rounds, "review_scores", review_scores)

    with pytest.raises(RuleBroken) as refused:
        await rounds.transition(session, ctx, CLAUSE, YEAR, State.RANKED, by="admin")

    assert refused.value.code == "details_missing"
    assert str(unheard) in refused.value.message_en and str(known) not in refused.value.message_en
    assert round_state(session) == State.IN_REVIEW
    assert session.statements == [] and ctx.publisher.owed == []

    # A v2 admission of the same application brings them.
    session.add(
        details,
        application_id=unheard,
        clause=CLAUSE,
        applicant_name="乙链科技",
        applicant_kind="enterprise",
        grants=[],
    )
    await rounds.transition(session, ctx, CLAUSE, YEAR, State.RANKED, by="admin")

    assert round_state(session) == State.RANKED
    standings = {r["application_id"]: (r["standing"], r["rank"]) for r in session.rows(candidates)}
    assert standings == {known: ("proposed", 1), unheard: ("proposed", 2)}
    assert [(t["previous"], t["state"]) for t in session.rows(transitions)] == [(State.IN_REVIEW, State.RANKED)]
    assert ctx.publisher.types() == [RoundStateChangedV1.ce_type]


async def test_a_round_is_not_concluded_while_an_objection_is_open(session, ctx):
    rid = a_round(session, State.IN_NOTICE)
    objected = a_candidate(session, rid, "held", with_details=True)
    session.add(notices, id=uuid.uuid4(), round_id=rid, kind="initial", ends_on=dt.date(2024, 8, 30))
    session.add(objections, id=uuid.uuid4(), round_id=rid, application_id=objected, status="open")

    with pytest.raises(RuleBroken) as refused:
        await rounds.transition(session, ctx, CLAUSE, YEAR, State.CONCLUDED, by="admin")

    assert refused.value.code == "objections_open" and "1 objection" in refused.value.message_en
    assert round_state(session) == State.IN_NOTICE
    assert session.statements == [] and ctx.publisher.owed == []


async def test_the_round_keeper_waits_for_the_objection_to_be_decided_then_concludes_the_round(session, ctx, caplog):
    rid = a_round(session, State.IN_NOTICE)
    selected = a_candidate(session, rid, "held", with_details=True)  # an objection holds it
    session.add(notices, id=uuid.uuid4(), round_id=rid, kind="initial", ends_on=dt.date(2024, 8, 30))
    session.add(objections, id=uuid.uuid4(), round_id=rid, application_id=selected, status="open")
    sessions = FakeSessions(session)

    assert await worker.tick(sessions, ctx) == []
    assert round_state(session) == State.IN_NOTICE and ctx.publisher.owed == []
    assert "cannot move on" not in caplog.text  # not tried and refused: not due while the objection is open

    # The admin dismisses the objection (objections.decide): the candidate is back in notice.
    (objection,) = session.rows(objections)
    (candidate,) = session.rows(candidates)
    objection["status"], candidate["standing"] = "dismissed", "proposed"
    assert await worker.tick(sessions, ctx) == [(CLAUSE, YEAR, "concluded")]

    assert round_state(session) == State.CONCLUDED
    assert candidate["standing"] == "selected"
    assert SelectionConcludedV1.ce_type in ctx.publisher.types()
    assert ctx.publisher.types()[-1] == RoundStateChangedV1.ce_type
