"""What eligibility keeps of an application reads back as the facts its decision was taken on."""

from datetime import UTC, datetime
from decimal import Decimal

from services.eligibility.handlers import replayable
from services.eligibility.whatif_read import _facts, declared_facts
from tests.books import BOOK, EXAMPLES


def test_the_kept_facts_of_every_clause_decode_to_the_parsed_ones():
    declared = declared_facts(BOOK)
    for clause, example in EXAMPLES.items():
        application = BOOK.parse(example)
        kept = replayable(application, datetime(2024, 3, 2, tzinfo=UTC))
        assert kept["occurred_on"] == example["occurred_on"] and kept["submitted_at"] == "2024-03-02T00:00:00+00:00"
        assert _facts(declared[clause], kept["facts"]) == application.facts.__dict__, clause


def test_facts_that_no_longer_fit_their_clause_are_not_decoded():
    types = declared_facts(BOOK)["1.1-node"]
    kept = {"node_id": "sn-1", "node_level": "provincial", "investment_cost": "1000000.00"}
    assert _facts(types, kept) == kept | {"investment_cost": Decimal("1000000.00")}
    assert _facts(types, kept | {"extra": 1}) is None
    assert _facts(types, {k: v for k, v in kept.items() if k != "node_level"}) is None
    assert _facts(types, kept | {"investment_cost": "a lot"}) is None
    assert _facts(None, kept) is None  # a clause no version of the book has
