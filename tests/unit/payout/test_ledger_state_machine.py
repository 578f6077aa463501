"""Random sequences of budget changes, awards, settlements, cancellations, clawbacks and retries,
checked after every step against a plain model of what they should add up to (Hypothesis)."""

import uuid
from decimal import Decimal as D

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule

from services.payout.domain import chain, money
from services.payout.domain.ledger import ZERO, Ledger, TransferRefused, award_account, budget_account
from services.payout.domain.verify import verify

KEY = b"k"
Line = tuple[int, str]  # a budget line: year and clause
LINES: list[Line] = [(2025, "1.1-node"), (2025, "4.9-standard")]
amounts = st.integers(min_value=1, max_value=500_00).map(lambda c: D(c) / 100)


class LedgerRules(RuleBasedStateMachine):
    reserved_awards = Bundle("reserved")
    paid_awards = Bundle("paid")

    def __init__(self):
        super().__init__()
        self.ledger, self.history = Ledger(), []
        self.budget = dict.fromkeys(LINES, ZERO)
        self.open: dict[uuid.UUID, tuple[Line, D]] = {}  # award → its line and the amount reserved
        self.paid: dict[uuid.UUID, D] = {}
        self.clawed: dict[uuid.UUID, D] = {}
        self.states: dict[uuid.UUID, tuple[Line, str]] = {}

    def _apply(self, t):
        result = self.ledger.apply(t)
        if result == "ok":
            self.history.append(t)
        return result

    def _committed(self, line):
        return sum((a for held, a in self.open.values() if held == line), ZERO) + sum(
            (a for aw, a in self.paid.items() if self.states[aw][0] == line), ZERO
        )

    @rule(line=st.sampled_from(LINES), amount=st.integers(0, 3000_00).map(lambda c: D(c) / 100))
    def set_budget(self, line: Line, amount: D) -> None:
        change = money.budget_change(*line, self.budget[line], amount)
        if change is None:
            return
        try:
            self._apply(change)
            self.budget[line] = amount
        except TransferRefused as r:
            assert r.code == "exceeds_credits" and amount < self._committed(line)

    @rule(target=reserved_awards, line=st.sampled_from(LINES), amount=amounts)
    def award(self, line: Line, amount: D) -> uuid.UUID | None:
        award = uuid.uuid4()
        try:
            self._apply(money.reserve(award, *line, amount))
        except TransferRefused as r:
            assert r.code == "exceeds_credits" and self._committed(line) + amount > self.budget[line]
            return None
        self.open[award] = (line, amount)
        self.states[award] = (line, "reserved")
        return award

    @rule(award=reserved_awards)
    def retry_the_reservation(self, award):
        if award in self.states:
            line, _ = self.states[award]
            amount = self.open.get(award, (None, self.paid.get(award)))[1]
            if amount is not None:
                assert self._apply(money.reserve(award, *line, amount)) == "exists"

    @rule(target=paid_awards, award=reserved_awards)
    def settle(self, award):
        if award not in self.open:
            return None
        line, amount = self.open.pop(award)
        self._apply(money.settle(money.reserve(award, *line, amount), uuid.uuid4(), amount))
        self.paid[award] = amount
        self.states[award] = (line, "paid")
        return award

    @rule(award=reserved_awards)
    def cancel(self, award):
        if award not in self.open:
            return
        line, amount = self.open.pop(award)
        self._apply(money.cancel(money.reserve(award, *line, amount)))
        self.states[award] = (line, "cancelled")

    @rule(award=paid_awards, amount=amounts, key=st.sampled_from(["review", "fraud", "again"]))
    def clawback(self, award, amount, key):
        if award is None:
            return
        transfer = money.clawback(award, "X", key, amount)
        earlier = self.ledger.transfers.get(transfer.id)
        try:
            result = self._apply(transfer)
        except TransferRefused as r:
            if earlier is not None:
                assert r.code == "exists_with_different_amount" and earlier.amount != amount
            else:
                assert r.code == "exceeds_credits" and self.clawed.get(award, ZERO) + amount > self.paid[award]
            return
        if result == "ok":
            self.clawed[award] = self.clawed.get(award, ZERO) + amount
        else:
            assert earlier is not None and earlier.amount == amount

    @invariant()
    def no_budget_is_overspent_and_the_model_agrees(self):
        for line in LINES:
            account = self.ledger.account(budget_account(*line))
            assert account.headroom >= 0
            assert account.headroom == self.budget[line] - self._committed(line)

    @invariant()
    def each_award_is_owed_what_is_reserved_or_paid_less_clawbacks(self):
        for award, (_line, state) in self.states.items():
            account = self.ledger.account(award_account(award))
            assert account.credits_pending == (self.open[award][1] if state == "reserved" else ZERO)
            assert account.credits_posted == self.paid.get(award, ZERO)
            assert account.debits_posted == self.clawed.get(award, ZERO) <= account.credits_posted

    @invariant()
    def debits_equal_credits(self):
        for side in ("pending", "posted"):
            accounts = self.ledger.accounts.values()
            assert sum((getattr(a, f"debits_{side}") for a in accounts), ZERO) == sum(
                (getattr(a, f"credits_{side}") for a in accounts), ZERO
            )

    def teardown(self):
        rows = list(chain.chained(KEY, chain.GENESIS, 1, self.history))
        awards = {str(a): state for a, (_, state) in self.states.items()}
        assert verify(KEY, rows, self.ledger.accounts, awards).problem is None


LedgerRules.TestCase.settings = settings(max_examples=150, stateful_step_count=40, deadline=None)
test_ledger_rules = LedgerRules.TestCase
