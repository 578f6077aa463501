"""Awards and their payouts driven through the lifecycle and the ledger rules in random orders
(Hypothesis): granted, given bank details, budgets set and raised, sent, accepted, rejected or
returned, booked, corrected, cancelled and clawed back, with illegal moves tried among them. After
every step: each state was reached by moves the table holds, the money adds up, and whatever was
refused changed nothing."""

import copy
import itertools
import uuid
from dataclasses import dataclass, field
from decimal import Decimal as D

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from services.payout.domain import money
from services.payout.domain.ledger import (
    ZERO,
    Ledger,
    TransferRefused,
    award_account,
    budget_account,
    funding_account,
    receivable_account,
)
from services.payout.domain.lifecycle import (
    AWARD_MOVES,
    AWARD_STARTS,
    OPEN_PAYOUTS,
    PAYOUT_MOVES,
    PAYOUT_STARTS,
    AwardState,
    PayoutState,
    already,
    cancellable,
    check,
    moves,
    reachable,
    reported,
)
from shared.refusal import Refused

YEAR = 2025
LINES = [(YEAR, "1.1-node"), (YEAR, "4.9-standard")]
CREDIT_CODE = "91510100MA61234567"
amounts = st.integers(min_value=1, max_value=300_00).map(lambda c: D(c) / 100)


@dataclass
class Payout:
    id: uuid.UUID
    award: uuid.UUID
    attempt: int
    states: list[PayoutState]
    requested_while_details: int = 0  # which version of the bank details it was requested with

    @property
    def state(self) -> PayoutState:
        return self.states[-1]


@dataclass
class Award:
    id: uuid.UUID
    line: tuple[int, str]
    amount: D
    states: list[AwardState]
    payouts: list[Payout] = field(default_factory=list)
    details: int = 0  # 0: none given; n: the n-th version given
    usable: bool = False  # whether the newest details can be paid into

    @property
    def state(self) -> AwardState:
        return self.states[-1]

    def open_payout(self) -> Payout | None:
        live = [p for p in self.payouts if p.state in OPEN_PAYOUTS]
        assert len(live) <= 1, "one open payout per award at a time"
        return live[0] if live else None


class PayoutLifecycle(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.ledger = Ledger()
        self.budget = dict.fromkeys(LINES, ZERO)
        self.awards: dict[uuid.UUID, Award] = {}  # in the order granted
        self.clawed: dict[uuid.UUID, D] = {}
        self.refusals: set[str] = set()

    # --- the steps, as the handlers take them: guards first, then the writes ---------------------

    def _move(self, thing: Award | Payout, target) -> None:
        check(thing.state, target)
        thing.states.append(target)

    def _start_payout(self, award: Award) -> None:
        attempt = len(award.payouts) + 1
        state = PayoutState.REQUESTED if award.usable else PayoutState.HELD
        assert state in PAYOUT_STARTS
        award.payouts.append(Payout(money.payout_id(award.id, attempt), award.id, attempt, [state], award.details))

    def _release(self, line) -> None:
        waiting = [a for a in self.awards.values() if a.line == line and a.state == AwardState.AWAITING_BUDGET]
        headroom = self.ledger.account(budget_account(*line)).headroom
        for w in money.going_ahead(headroom, [money.Waiting(a.id, a.amount) for a in waiting]):
            award = self.awards[w.award_id]
            check(award.state, AwardState.RESERVED)
            self.ledger.apply(money.reserve(award.id, YEAR, line[1], award.amount))
            self._move(award, AwardState.RESERVED)
            self._start_payout(award)

    def _snapshot(self):
        return copy.deepcopy((self.ledger, self.budget, self.awards, self.clawed))

    def _refusable(self, step, *args) -> None:
        """Runs a step; a refusal must leave everything as it was."""
        before = self._snapshot()
        try:
            step(*args)
        except (Refused, TransferRefused) as refused:
            self.refusals.add(refused.code)
            assert self._snapshot() == before, f"{refused.code} changed something"

    def _pick(self, data, states) -> Award | None:
        candidates = [a for a in self.awards.values() if a.state in states] or list(self.awards.values())
        return data.draw(st.sampled_from(candidates)) if candidates else None

    def _pick_payout(self, data) -> Payout | None:
        payouts = [p for a in self.awards.values() for p in a.payouts]
        live = [p for p in payouts if p.state in (PayoutState.SENT, PayoutState.ACCEPTED)]
        pool = data.draw(st.sampled_from([live, payouts])) or payouts
        return data.draw(st.sampled_from(pool)) if pool else None

    # --- what happens ---------------------------------------------------------------------------

    @initialize(cents=st.lists(st.integers(0, 1000_00), min_size=len(LINES), max_size=len(LINES)))
    def budgets_at_the_start(self, cents):
        for line, c in zip(LINES, cents, strict=True):
            self.budget_set(line, c)

    @rule(line=st.sampled_from(LINES), amount=amounts, with_details=st.booleans(), usable=st.booleans())
    def award_granted(self, line, amount, with_details, usable):
        award = Award(uuid.uuid4(), line, amount, [])
        if with_details:
            award.details, award.usable = 1, usable
        queued = any(a.line == line and a.state == AwardState.AWAITING_BUDGET for a in self.awards.values())
        state = AwardState.AWAITING_BUDGET
        if not queued:
            try:
                self.ledger.apply(money.reserve(award.id, YEAR, line[1], amount))
                state = AwardState.RESERVED
            except TransferRefused as refused:
                assert refused.code == "exceeds_credits"
        assert state in AWARD_STARTS
        award.states.append(state)
        self.awards[award.id] = award
        if state == AwardState.RESERVED:
            self._start_payout(award)

    @rule(line=st.sampled_from(LINES), cents=st.integers(0, 1500_00))
    def budget_set(self, line, cents):
        def step():
            change = money.budget_change(YEAR, line[1], self.budget[line], D(cents) / 100)
            if change is not None:
                self.ledger.apply(change)
            self.budget[line] = D(cents) / 100
            self._release(line)

        self._refusable(step)

    @rule(line=st.sampled_from(LINES), cents=st.integers(1, 500_00))
    def budget_raised(self, line, cents):
        self.budget_set(line, int((self.budget[line] + D(cents) / 100) * 100))

    @rule(data=st.data(), usable=st.booleans())
    def payee_details_given(self, data, usable):
        """First details or a correction: a held payout is requested, a rejected one superseded."""
        award = self._pick(data, (AwardState.RESERVED,))
        if award is None:
            return
        award.details, award.usable = award.details + 1, usable
        payout = award.open_payout()
        if payout is None or not usable:
            return  # nothing waits for details, or these cannot be paid into either
        if payout.state == PayoutState.HELD:
            self._move(payout, PayoutState.REQUESTED)
            payout.requested_while_details = award.details
        elif payout.state == PayoutState.REJECTED:
            self._move(payout, PayoutState.SUPERSEDED)
            self._start_payout(award)

    def finance_reports(self, payout, accepted):
        """A status report: accepted, or rejected (after an acceptance: returned)."""

        def step():
            target = reported(payout.state, accepted)
            if target is None:
                assert already(payout.state, PayoutState.ACCEPTED if accepted else PayoutState.REJECTED)
                return
            self._move(payout, target)
            award = self.awards[payout.award]
            if target == PayoutState.REJECTED and award.details > payout.requested_while_details:
                self._move(payout, PayoutState.SUPERSEDED)  # corrected while the bank had it
                self._start_payout(award)

        self._refusable(step)

    @rule(data=st.data())
    def a_day_passes(self, data):
        """Each payout with the finance system is accepted, rejected or booked; then the requested
        ones leave in a batch."""
        for award in list(self.awards.values()):
            payout = award.open_payout()
            if payout is not None and payout.state in (PayoutState.SENT, PayoutState.ACCEPTED):
                answer = data.draw(st.sampled_from(["accepted", "rejected", "booked", "booked"]))
                if answer == "booked":
                    self.finance_books(payout)
                else:
                    self.finance_reports(payout, answer == "accepted")
        for award in self.awards.values():
            payout = award.open_payout()
            if payout is not None and payout.state == PayoutState.REQUESTED:
                self._move(payout, PayoutState.SENT)

    @rule(data=st.data(), accepted=st.booleans())
    def finance_reports_on_any_payout(self, data, accepted):
        if (payout := self._pick_payout(data)) is not None:
            self.finance_reports(payout, accepted)

    @rule(data=st.data())
    def finance_books_any_payout(self, data):
        if (payout := self._pick_payout(data)) is not None:
            self.finance_books(payout)

    def finance_books(self, payout):
        award = self.awards[payout.award]

        def step():
            if payout.state == PayoutState.PAID:
                return  # the same booking told twice
            check(payout.state, PayoutState.PAID)
            check(award.state, AwardState.PAID)
            reservation = money.reserve(award.id, YEAR, award.line[1], award.amount)
            self.ledger.apply(money.settle(reservation, payout.id, award.amount))
            self._move(payout, PayoutState.PAID)
            self._move(award, AwardState.PAID)

        self._refusable(step)

    @rule(data=st.data(), rarely=st.integers(0, 2))
    def cancelled(self, data, rarely):
        award = self._pick(data, tuple(AwardState))  # paid and cancelled ones too: refused, or once is once
        if award is None or rarely:
            return

        def step():
            payout = award.open_payout()
            if not cancellable(award.state, payout.state if payout else None):
                return  # cancelling twice is cancelling once
            if award.state == AwardState.RESERVED:
                self.ledger.apply(money.cancel(money.reserve(award.id, YEAR, award.line[1], award.amount)))
            self._move(award, AwardState.CANCELLED)
            if payout is not None:
                self._move(payout, PayoutState.CANCELLED)
            self._release(award.line)

        self._refusable(step)

    @rule(data=st.data(), amount=amounts, key=st.sampled_from(["review", "fraud"]))
    def clawed_back(self, data, amount, key):
        award = self._pick(data, (AwardState.PAID,))
        if award is None:
            return

        def step():
            if self.ledger.apply(money.clawback(award.id, CREDIT_CODE, key, amount)) == "ok":
                self.clawed[award.id] = self.clawed.get(award.id, ZERO) + amount

        self._refusable(step)

    @rule(data=st.data())
    def an_illegal_move_is_refused_and_changes_nothing(self, data):
        things = [t for a in self.awards.values() for t in (a, *a.payouts)]
        if not things:
            return
        thing = data.draw(st.sampled_from(things))
        target = data.draw(st.sampled_from(list(AwardState) if isinstance(thing, Award) else list(PayoutState)))
        if target in moves(thing.state):
            return
        before = self._snapshot()
        with pytest.raises(Refused) as refused:
            self._move(thing, target)
        assert refused.value.code == "invalid_transition"
        assert thing.state.value in refused.value.message_en and target.value in refused.value.message_en
        assert self._snapshot() == before

    # --- what must always hold ------------------------------------------------------------------

    @invariant()
    def every_state_was_reached_by_allowed_moves(self):
        for award in self.awards.values():
            assert award.states[0] in AWARD_STARTS
            assert all(b in AWARD_MOVES[a] for a, b in itertools.pairwise(award.states))
            for payout in award.payouts:
                assert payout.states[0] in PAYOUT_STARTS
                assert all(b in PAYOUT_MOVES[a] for a, b in itertools.pairwise(payout.states))

    @invariant()
    def an_award_has_the_payouts_its_state_says(self):
        for award in self.awards.values():
            live, paid = award.open_payout(), [p for p in award.payouts if p.state == PayoutState.PAID]
            match award.state:
                case AwardState.RESERVED:
                    assert live is not None and not paid
                case AwardState.PAID:
                    assert live is None and len(paid) == 1
                case _:
                    assert live is None and not paid

    @invariant()
    def the_money_adds_up(self):
        accounts = self.ledger.accounts.values()
        for side in ("pending", "posted"):  # every transfer debits one account what it credits another
            assert sum((getattr(a, f"debits_{side}") for a in accounts), ZERO) == sum(
                (getattr(a, f"credits_{side}") for a in accounts), ZERO
            )
        for award in self.awards.values():
            account = self.ledger.account(award_account(award.id))
            assert account.credits_pending == (award.amount if award.state == AwardState.RESERVED else ZERO)
            assert account.credits_posted == (award.amount if award.state == AwardState.PAID else ZERO)
            assert account.debits_posted == self.clawed.get(award.id, ZERO) <= account.credits_posted
        for line in LINES:
            of_line = [a for a in self.awards.values() if a.line == line]
            reserved = sum((a.amount for a in of_line if a.state == AwardState.RESERVED), ZERO)
            paid = sum((a.amount for a in of_line if a.state == AwardState.PAID), ZERO)
            account = self.ledger.account(budget_account(*line))
            assert account.debits_pending == reserved
            assert account.headroom == self.budget[line] - reserved - paid >= 0
        appropriated = self.ledger.account(funding_account(YEAR))
        assert appropriated.debits_posted - appropriated.credits_posted == sum(self.budget.values(), ZERO)
        recovered = self.ledger.account(receivable_account(CREDIT_CODE)).credits_posted
        assert recovered == sum(self.clawed.values(), ZERO)

    @invariant()
    def none_overtakes_an_award_waiting_before_it(self):
        for line in LINES:
            of_line = [a for a in self.awards.values() if a.line == line]
            first = next((i for i, a in enumerate(of_line) if a.state == AwardState.AWAITING_BUDGET), None)
            never_reserved = ([AwardState.AWAITING_BUDGET], [AwardState.AWAITING_BUDGET, AwardState.CANCELLED])
            if first is not None:
                assert all(a.states in never_reserved for a in of_line[first:])


PayoutLifecycle.TestCase.settings = settings(max_examples=200, stateful_step_count=50, deadline=None)
test_payout_lifecycle = PayoutLifecycle.TestCase


def test_every_state_is_reachable_from_a_start_and_the_final_ones_have_no_moves():
    assert set().union(*(reachable(s) for s in AWARD_STARTS)) == set(AwardState)
    assert set().union(*(reachable(s) for s in PAYOUT_STARTS)) == set(PayoutState)
    for table in (AWARD_MOVES, PAYOUT_MOVES):
        for state, after in table.items():
            assert state not in after  # no move stays put: a repeat is recognised, never a move


def test_a_refused_move_names_both_states_and_what_may_come_next_in_english_and_chinese():
    with pytest.raises(Refused) as refused:
        check(PayoutState.HELD, PayoutState.SENT)
    assert refused.value.code == "invalid_transition" and refused.value.status == 409
    assert refused.value.message_en.startswith("a payout that is held cannot become sent: ")
    assert "it becomes requested when usable bank details are given" in refused.value.message_en
    assert "拨付指令当前为 held，不能变为 sent" in refused.value.message_zh
    with pytest.raises(Refused, match="an award that is paid cannot become reserved: paid is final"):
        check(AwardState.PAID, AwardState.RESERVED)


def test_a_finance_answer_the_payout_is_already_past_is_news_acted_on_and_one_it_never_reached_is_refused():
    assert reported(PayoutState.SENT, accepted=True) == PayoutState.ACCEPTED
    assert reported(PayoutState.ACCEPTED, accepted=False) == PayoutState.REJECTED  # returned by the bank
    assert reported(PayoutState.ACCEPTED, accepted=True) is None  # the same report again
    assert reported(PayoutState.PAID, accepted=True) is None  # the booking came before the report
    assert reported(PayoutState.SUPERSEDED, accepted=False) is None  # the rejection was acted on
    for never_sent in (PayoutState.HELD, PayoutState.REQUESTED):
        for accepted in (True, False):
            with pytest.raises(Refused) as refused:
                reported(never_sent, accepted)
            assert refused.value.code == "invalid_transition" and never_sent.value in refused.value.message_en
    with pytest.raises(Refused, match="paid is final"):
        reported(PayoutState.PAID, accepted=False)


def test_an_award_is_cancelled_once_and_only_while_its_money_has_not_left():
    assert cancellable(AwardState.AWAITING_BUDGET, None) is True
    for payout in (PayoutState.HELD, PayoutState.REQUESTED, PayoutState.REJECTED):
        assert cancellable(AwardState.RESERVED, payout) is True
    assert cancellable(AwardState.CANCELLED, None) is False  # cancelling twice is cancelling once
    for payout in (PayoutState.SENT, PayoutState.ACCEPTED):
        with pytest.raises(Refused) as refused:
            cancellable(AwardState.RESERVED, payout)
        assert refused.value.code == "payout_in_flight"
    with pytest.raises(Refused) as refused:
        cancellable(AwardState.PAID, None)
    assert refused.value.code == "already_paid" and "clawback" in refused.value.message_en


def test_the_open_payouts_are_the_ones_the_database_keeps_one_of_per_award():
    from services.payout.tables import payouts

    (index,) = [i for i in payouts.indexes if i.name == "uq_payouts_open_award"]
    predicate = str(index.dialect_options["postgresql"]["where"])
    assert predicate == f"status IN ({', '.join(repr(s.value) for s in OPEN_PAYOUTS)})"
