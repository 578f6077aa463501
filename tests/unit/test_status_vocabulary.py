"""One status vocabulary: every status event maps to a status, its stage and one public detail, and
intake's timeline and notify's webhooks show partners that very detail."""

import json
from collections import defaultdict
from typing import Any, cast

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake import projection
from services.notify import deliveries
from services.notify.handlers import handlers
from services.notify.statuses import notice
from services.notify.tables import metadata as notify_tables
from shared.events import (
    ApplicationSubmittedV1,
    ApplicationWithdrawnV1,
    DecisionMadeV1,
    PayoutCancelledV1,
    PayoutDeferredV1,
    PayoutHeldV1,
    PayoutRequestedV1,
)
from shared.messaging.envelope import Envelope
from shared.messaging.outbox import Publisher
from shared.statuses import MONEY_STEPS, STAGE, STATUS_EVENTS, status_change
from tests.books import EXAMPLES
from tests.status_events import EVENTS, decision_of, example, registered_status_events

REGISTERED = sorted(registered_status_events(), key=lambda t: t.ce_type)


def test_the_registry_holds_status_events_to_check():
    assert DecisionMadeV1 in REGISTERED and PayoutRequestedV1 in REGISTERED  # the derivation finds them


@pytest.mark.parametrize("event_type", REGISTERED, ids=[t.ce_type for t in REGISTERED])
def test_every_registered_status_event_maps_to_a_ranked_status_and_a_json_detail(event_type):
    c = status_change(example(event_type))
    assert c.status in STAGE and c.stage == STAGE[c.status]
    assert json.loads(json.dumps(c.detail)) == c.detail  # JSON types only: stored and sent as they are


def test_intake_and_notify_follow_every_registered_status_event():
    assert set(STATUS_EVENTS) == set(REGISTERED)
    # Intake takes its own withdrawal's step as it records it (tests/integration/test_application_withdrawal.py).
    assert set(projection.HANDLERS) == set(REGISTERED) - {ApplicationWithdrawnV1}
    publisher = Publisher("/test", notify_tables.tables["notify.outbox"])
    assert set(handlers(publisher=publisher, notice_url="https://x")) == set(REGISTERED)


def test_a_status_has_one_detail_shape_whichever_event_or_version_reached_it():
    shapes = defaultdict(set)
    for p in [example(t) for t in REGISTERED] + [p for p, _, _ in EVENTS]:
        c = status_change(p)
        shapes[c.status].add(frozenset(c.detail))
    assert not {status: keys for status, keys in shapes.items() if len(keys) > 1}


@pytest.mark.parametrize("event, status, detail", EVENTS, ids=[type(p).__name__ for p, _, _ in EVENTS])
def test_each_event_moves_to_its_status_with_its_detail(event, status, detail):
    c = status_change(event)
    assert (c.status, c.detail) == (status, detail)


def test_a_decision_shows_its_clause_amount_reasons_trace_and_policy_version():
    p = decision_of(EXAMPLES["1.1-node"])
    c = status_change(p)
    assert c.status == "eligible"
    assert c.detail == {
        "amount": f"{p.amount:.2f}",
        "clause": "1.1-node",
        "reasons": p.reasons,
        "trace": p.trace,
        "policy_version": "v",
    }


def test_an_event_that_moves_no_status_is_refused_not_given_one():
    with pytest.raises(TypeError, match="ApplicationSubmittedV1 is not a status change"):
        status_change(example(ApplicationSubmittedV1))


def _rows(params: object) -> object:
    """The rows of a write: an executemany's as they are, `insert_rows`' from its column arrays."""
    if isinstance(params, dict) and params and all(isinstance(v, list) for v in params.values()):
        columns = [name.removeprefix("given_") for name in params]  # shared.bulk's bind names
        return [dict(zip(columns, values, strict=True)) for values in zip(*params.values(), strict=True)]
    return params


class Recorded:
    """A session that keeps what a handler writes, in order, instead of writing it."""

    def __init__(self) -> None:
        self.writes: list[Any] = []

    async def execute(self, statement: object, params: object = None) -> None:
        self.writes.append(_rows(params))

    def session(self) -> AsyncSession:
        """Itself, where a handler takes a session: it answers the one call handlers make here."""
        return cast(AsyncSession, self)


@pytest.mark.parametrize(
    "p",
    [
        decision_of(EXAMPLES["1.1-node"]),
        example(PayoutDeferredV1),
        example(PayoutHeldV1),
        example(PayoutRequestedV1),
        example(PayoutCancelledV1),
    ],
    ids=lambda p: type(p).__name__,
)
async def test_intakes_timeline_stores_the_detail_notifys_webhook_sends(p):
    event = Envelope.of(p, source="/test", key=p.credit_code, subject=str(p.application_id))
    intake, notify = Recorded(), Recorded()
    await projection.statuses_changed(intake.session(), [(event, p)])
    await deliveries.enqueue(notify.session(), [(event, p, notice(p))])
    [step] = intake.writes[0]
    [delivery] = notify.writes[0]
    sent = json.loads(delivery["body"])
    assert step["status"] == sent["status"] == status_change(p).status
    detail = json.loads(step["detail"])  # JSON columns are bound as text (`shared.db.BulkInsert`)
    assert detail == sent["detail"] == status_change(p).detail


def test_a_later_stage_outranks_an_earlier_one_whatever_order_events_arrive_in():
    path = ["submitted", "eligible", "awarded", "payout_requested", "paid"]
    assert [STAGE[s] for s in path] == sorted(STAGE[s] for s in path)
    assert STAGE["awarded"] > STAGE["eligible"]  # an award read before its decision keeps "awarded"


def test_a_candidate_steps_through_its_round_between_its_decision_and_its_result():
    for step in ("in_review", "in_notice", "waitlisted", "not_proposed", "objected", "removed"):
        assert STAGE["candidate"] < STAGE[step] < STAGE["selected"] == STAGE["not_selected"]
    assert STAGE["recognized"] == STAGE["awarded"] > STAGE["selected"]


def test_the_money_steps_share_the_last_stage_so_the_latest_wins():
    assert set(MONEY_STEPS) == {s for s, stage in STAGE.items() if stage == max(STAGE.values())}
    assert {"awaiting_budget", "payout_requested", "payout_failed", "paid", "clawback_recorded"} <= set(MONEY_STEPS)
