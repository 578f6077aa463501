"""The exchange with the city's finance system: requested payouts leave in pain.001-shaped batches,
each carrying the ledger's head for the finance system to keep;
pain.002-shaped status reports accept or reject each one; camt.054-shaped notifications say which
were booked, and the ledger posts their reservations. An answer names a payout by the end-to-end id
its batch carried, 32 hex digits, or the hyphenated id of a batch sent before v2 (`payout_id_of`).
A consumed batch of answers is acted on in one pass (`answered`), its writes one statement each."""

import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from sqlalchemy import insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.payout import anchor
from services.payout import payees as payee_book
from services.payout.books import Books
from services.payout.context import Context
from services.payout.domain import instructions, money
from services.payout.domain.lifecycle import AwardState, PayoutState, check, reported
from services.payout.payouts import Award, held_event, malformed
from services.payout.tables import awards, batches, payees, payouts
from shared import bulk, observability
from shared.bulk import among
from shared.events import (
    PaymentsBookedV1,
    PaymentStatusReportedV1,
    PayoutFailedV2,
    PayoutPaidV2,
    PayoutRejectedV1,
    PayoutSettledV1,
)
from shared.messaging.envelope import Envelope

BATCH_LOCK = zlib.crc32(b"payout.batches")


async def send_batch(session: AsyncSession, ctx: Context, max_payouts: int) -> int:
    """Puts the oldest requested payouts in one batch owed to the finance system; 0 when there are
    none, or another replica is making a batch right now."""
    if not (await session.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": BATCH_LOCK})).scalar():
        return 0
    rows = (
        await session.execute(
            select(payouts)
            .where(payouts.c.status == PayoutState.REQUESTED)
            .order_by(payouts.c.requested_at, payouts.c.id)
            .limit(max_payouts)
            .with_for_update()
        )
    ).all()
    if not rows:
        return 0
    now = ctx.now()
    rows = await _hold_malformed(session, ctx, rows, now)
    if not rows:
        return 0
    for r in rows:
        check(PayoutState(r.status), PayoutState.SENT)
    message = instructions.batch(
        [
            instructions.Instruction(r.id, r.amount, r.account_name, r.account_number, r.bank, r.clause, r.award_id)
            for r in rows
        ],
        now,
        debtor_name=ctx.debtor_name,
        debtor_account=ctx.debtor_account,
        execution_date=money.expected_on(now, 0),
        ledger_head=anchor.as_payload(await anchor.current(session, ctx)),
    )
    await session.execute(
        insert(batches).values(
            message_id=message.message_id,
            created_at=now,
            transactions=message.number_of_transactions,
            control_sum=message.control_sum,
        )
    )
    await session.execute(
        update(payouts)
        .where(among(payouts.c.id, [r.id for r in rows]))
        .values(status=PayoutState.SENT, batch_id=message.message_id)
    )
    await ctx.publisher.publish(
        session, ctx.publisher.event(message, key=message.message_id, subject=message.message_id)
    )
    return len(rows)


async def _hold_malformed(session: AsyncSession, ctx: Context, rows: Sequence, now: datetime) -> list:
    """The rows whose bank details still pass the payee checks; the others (taken before a check was
    tightened: an account name over pain.001's 140 characters) are held until corrected details come,
    and the applicant told, rather than cut or left to stop every batch."""
    fit, held, events = [], [], []
    for r in rows:
        if (why := malformed(r)) is None:
            fit.append(r)
            continue
        check(PayoutState(r.status), PayoutState.HELD)
        held.append(
            {
                "id": r.id,
                "status": PayoutState.HELD,
                "hold_reason": "payee_invalid",
                "reason": why,
                "hold_announced_at": now,
            }
        )
        award = Award(r.award_id, r.application_id, r.credit_code, r.clause, r.amount)
        events.append(
            ctx.tell(
                held_event(award, r.id, "payee_invalid", why),
                credit_code=r.credit_code,
                application_id=r.application_id,
                cause=None,
            )
        )
    await bulk.update_rows(session, payouts, held)
    await ctx.publisher.publish(session, *events)
    return fit


async def _locked(session: AsyncSession, ids: Iterable[UUID]) -> dict[UUID, dict]:
    """These payouts' rows, locked in the order of their ids; LookupError names any unknown."""
    wanted = set(ids)
    found = {
        r.id: dict(r._mapping)
        for r in await session.execute(
            select(payouts).where(among(payouts.c.id, wanted)).order_by(payouts.c.id).with_for_update()
        )
    }
    if missing := [str(i) for i in wanted if i not in found]:
        raise LookupError(f"unknown payout {', '.join(missing)}")
    return found


# What the finance system says of one payout: a status report's word, a booking, or (the first
# interface) the rejection of a payout just requested.
@dataclass(frozen=True)
class _Reported:
    accepted: bool
    reason_code: str
    reason: str


@dataclass(frozen=True)
class _Booked:
    amount: Decimal
    on: date
    reference: str


@dataclass(frozen=True)
class _RejectedV1:
    reason: str


Answer = PaymentStatusReportedV1 | PaymentsBookedV1 | PayoutSettledV1 | PayoutRejectedV1
# Each payout's answers, in the order they were told, with the event that told them.
_Said = list[tuple[Envelope, UUID, _Reported | _Booked | _RejectedV1]]
# The payout columns an answer may change; a changed payout is written back with all of them.
_ANSWERED = ("id", "status", "hold_reason", "reason_code", "reason", "settled_on", "bank_reference")


def _read(batch: list[tuple[Envelope, Answer]]) -> tuple[dict[str, str], _Said]:
    """The batches' group statuses (the last told wins) and every payout's answers, in order."""
    groups: dict[str, str] = {}
    said: _Said = []
    for event, n in batch:
        if isinstance(n, PaymentStatusReportedV1):
            groups[n.original_message_id] = n.group_status
            said += [
                (
                    event,
                    instructions.payout_id_of(t.end_to_end_id),
                    _Reported(
                        t.status in ("ACCP", "ACSC"),
                        t.reason_code or "NARR",
                        t.reason or money.REASONS.get(t.reason_code or "", ""),
                    ),
                )
                for t in n.transactions
            ]
        elif isinstance(n, PaymentsBookedV1):
            said += [
                (event, instructions.payout_id_of(e.end_to_end_id), _Booked(e.amount, e.booked_on, e.bank_reference))
                for e in n.entries
            ]
        elif isinstance(n, PayoutSettledV1):  # the first interface, one payout per message: still understood
            said.append((event, n.payout_id, _Booked(n.amount, n.settled_on, n.bank_reference)))
        else:
            said.append((event, n.payout_id, _RejectedV1(n.reason)))
    return groups, said


async def answered(session: AsyncSession, ctx: Context, batch: list[tuple[Envelope, Answer]]) -> None:
    """Acts on a batch of the finance system's answers as if one after the other, in one pass: each
    payout's row is read once and followed in memory, then the changed rows, the batches' statuses,
    the awards paid and the ledger's postings are written one statement each."""
    groups, said = _read(batch)
    booking = any(isinstance(s, _Booked) for _, _, s in said)
    # The ledger's lock before any row's, as everyone who writes the ledger takes them (awards.cancel).
    books = await Books.open(session, ctx.key) if booking else None
    found = await _locked(session, (payout_id for _, payout_id, _ in said))
    answers = _Answers(ctx, await _newer_details(session, found, said))
    if books is not None:
        await answers.load_awards(session, books, {found[i]["award_id"] for _, i, s in said if isinstance(s, _Booked)})
    for event, payout_id, s in said:
        p = found[payout_id]
        if isinstance(s, _Booked):
            assert books is not None, "a booking opens the books"
            answers.book(session, books, p, s, event)
        elif isinstance(s, _Reported):
            # An answer the payout is already past (the booking came first, or the report again) is news acted on.
            target = reported(PayoutState(p["status"]), accepted=s.accepted)
            if target == PayoutState.ACCEPTED:
                answers.change(p, status=target)
            elif target == PayoutState.REJECTED:
                answers.reject(p, s.reason_code, s.reason, event)
        else:
            check(PayoutState(p["status"]), PayoutState.REJECTED)
            answers.reject(p, "NARR", s.reason, event)
    await bulk.update_rows(
        session, batches, [{"message_id": m, "group_status": g} for m, g in groups.items()], key="message_id"
    )
    await answers.write(session, books)


async def _newer_details(session: AsyncSession, found: dict[UUID, dict], said: _Said) -> dict[UUID, datetime]:
    """When bank details were last given for the applications of payouts an answer rejects."""
    refusable = {
        found[i]["application_id"]
        for _, i, s in said
        if isinstance(s, _RejectedV1) or (isinstance(s, _Reported) and not s.accepted)
    }
    if not refusable:
        return {}
    rows = await session.execute(
        select(payees.c.application_id, payees.c.provided_at).where(among(payees.c.application_id, refusable))
    )
    return {r.application_id: r.provided_at for r in rows}


class _Answers:
    """The effects of a batch of answers, gathered in memory and written together."""

    def __init__(self, ctx: Context, newer: dict[UUID, datetime]):
        self.ctx, self.newer = ctx, newer
        self.changed: dict[UUID, dict] = {}
        self.award_rows: dict[UUID, dict] = {}
        self.reservations: dict = {}
        self.paid_awards: list[UUID] = []
        self.events: list[Envelope] = []
        self.corrected: list = []

    async def load_awards(self, session: AsyncSession, books: Books, award_ids: set[UUID]) -> None:
        self.award_rows = {
            r.award_id: dict(r._mapping)
            for r in await session.execute(
                select(awards).where(among(awards.c.award_id, award_ids)).order_by(awards.c.award_id).with_for_update()
            )
        }
        self.reservations = {
            a: money.reserve(a, r["year"], r["clause"], r["amount"]) for a, r in self.award_rows.items()
        }
        await books.load(
            {x for t in self.reservations.values() for x in (t.debit, t.credit)},
            [t.id for t in self.reservations.values()],
        )

    def change(self, p: dict, **values) -> None:
        p.update(values)
        self.changed[p["id"]] = p

    def tell(self, p: dict, payload, cause: Envelope) -> None:
        self.events.append(
            self.ctx.tell(payload, credit_code=p["credit_code"], application_id=p["application_id"], cause=cause)
        )

    def book(self, session: AsyncSession, books: Books, p: dict, b: _Booked, cause: Envelope) -> None:
        """Posts the reservation of a payout the bank booked."""
        status = PayoutState(p["status"])
        if status == PayoutState.PAID and p["bank_reference"] == b.reference and p["amount"] == b.amount:
            return  # the same booking told twice
        if status == PayoutState.PAID:
            raise ValueError(f"finance booked payout {p['id']} again under another reference or amount")
        award = self.award_rows[p["award_id"]]
        check(status, PayoutState.PAID)
        check(AwardState(award["state"]), AwardState.PAID)
        if b.amount != p["amount"]:
            raise ValueError(f"finance booked {b.amount} for payout {p['id']} of {p['amount']}")
        books.apply(money.settle(self.reservations[p["award_id"]], p["id"], b.amount))
        self.change(p, status=PayoutState.PAID, settled_on=b.on, bank_reference=b.reference)
        award["state"] = AwardState.PAID
        self.paid_awards.append(p["award_id"])
        observability.count_paid(session, b.amount)
        self.tell(
            p,
            PayoutPaidV2(
                payout_id=p["id"],
                award_id=p["award_id"],
                application_id=p["application_id"],
                credit_code=p["credit_code"],
                amount=b.amount,
                settled_on=b.on,
                bank_reference=b.reference,
            ),
            cause,
        )

    def reject(self, p: dict, code: str, reason: str, cause: Envelope) -> None:
        """A rejected payout (checked by the caller) is held for corrected bank details; details
        corrected while the payout was with the bank make a new payout at once."""
        self.change(p, status=PayoutState.REJECTED, hold_reason="payout_rejected", reason_code=code, reason=reason)
        award = Award(p["award_id"], p["application_id"], p["credit_code"], p["clause"], p["amount"])
        self.tell(
            p,
            PayoutFailedV2(
                payout_id=p["id"],
                award_id=p["award_id"],
                application_id=p["application_id"],
                credit_code=p["credit_code"],
                reason_code=code,
                reason=reason,
            ),
            cause,
        )
        self.tell(p, held_event(award, p["id"], "payout_rejected", reason, code), cause)
        newer = self.newer.get(p["application_id"])
        if p["requested_at"] and newer and newer > p["requested_at"]:
            check(PayoutState.REJECTED, PayoutState.SUPERSEDED)
            self.change(p, status=PayoutState.SUPERSEDED)
            self.corrected.append((p, award, cause))

    async def write(self, session: AsyncSession, books: Books | None) -> None:
        await bulk.update_rows(session, payouts, [{c: p[c] for c in _ANSWERED} for p in self.changed.values()])
        if self.paid_awards:
            await session.execute(
                update(awards).where(among(awards.c.award_id, self.paid_awards)).values(state=AwardState.PAID)
            )
        if books is not None:
            await books.flush()
        await self.ctx.publisher.publish(session, *self.events)
        await payee_book.reissue(session, self.ctx, self.corrected)
