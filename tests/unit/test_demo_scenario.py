"""The year `subsidy demo` plays, made without a stack: every clause covered, applicants intake would
accept (valid credit codes, payees in the applicant's own name), the stories it tells present, and the
same seed always the same year."""

from decimal import Decimal

import pytest

from services.demo import scenario as year
from services.demo.scenario import BOUNCING, HELD_CLAUSE, REVIEWERS, credit_code, generate, organisation_code
from shared.policy.applicant import _check_credit_code
from tests.books import BOOK, parse_application

CLAUSES = set(BOOK.latest.rules)


@pytest.fixture(scope="module")
def small():
    return generate(BOOK, 40, seed=7)


@pytest.fixture(scope="module")
def full():
    return generate(BOOK, 300)


def test_every_clause_is_applied_for_even_in_a_small_year(small, full):
    assert len(CLAUSES) == 16
    for played in (small, full, generate(BOOK, year.MIN_APPLICATIONS, seed=3)):
        assert {e.clause for e in played.entries} == CLAUSES
        # …and every direct clause has an award, every selection candidates.
        for clause in CLAUSES:
            rule = BOOK.latest.rules[clause]
            wanted = "candidate" if rule.is_selection else "eligible"
            assert any(e.expected == wanted for e in played.by_clause(clause)), clause
    assert len(small.entries) == 40 and len(full.entries) == 300
    with pytest.raises(ValueError, match="at least"):
        generate(BOOK, year.MIN_APPLICATIONS - 1)
    with pytest.raises(ValueError, match="in force"):
        generate(BOOK, 40, year=2026)


def test_applicants_are_what_intake_accepts(full):
    codes: dict[str, str] = {}  # credit code → the organisation named by it
    for e in full.entries:
        application = parse_application(e.application)  # intake's own parsing: raises on anything wrong
        code = e.application["applicant"]["credit_code"]
        assert _check_credit_code(code) == code
        assert organisation_code(code[8:16]) == code[8:17]  # the organisation code's own check (GB 11714)
        assert (
            code[:2]
            == {"enterprise": "91", "institution": "12", "social_organization": "51", "district": "11"}[
                application.applicant.kind
            ]
        )
        assert codes.setdefault(code, e.organisation.name) == e.organisation.name  # one name per code
        if "payee" in e.application:
            assert e.application["payee"]["account_name"] == e.application["applicant"]["name"]
    assert credit_code("enterprise", "510100", "MA61R8XN") == credit_code("enterprise", "510100", "MA61R8XN")
    assert len({e.organisation.name for e in full.entries}) == len(codes)


def test_the_year_tells_its_stories(small, full):
    for played in (small, full):
        bounced = played.story("bad_account")
        assert len(bounced) == 2
        for e in bounced:
            assert e.application["payee"]["account_number"][-4:] in BOUNCING  # the stand-in refuses it
            assert e.payee["account_number"][-4:] not in BOUNCING  # the correction is paid
            assert e.expected == "eligible"
        assert all("payee" not in e.application and e.expected == "eligible" for e in played.story("late_payee"))
        [clawed] = played.story("clawback")
        assert clawed.expected == "eligible"
        [again] = played.story("duplicate")
        assert again.expected == "ineligible" and again.expected_reasons == ("subject_already_awarded",)
        [co] = played.story("co_claim")
        assert co.expected == "eligible"
        assert len(played.story("double_claim")) == 2
        assert sum(e.expected == "ineligible" for e in played.entries) >= max(4, len(played.entries) // 12)
        assert any(e.expected == "eligible" for e in played.by_clause(HELD_CLAUSE))
        # The demonstration bases outnumber the round's quota, so an upheld objection promotes one.
        bases = [e for e in played.by_clause("3.6-demo-base") if e.expected == "candidate"]
        assert len(bases) > BOOK.latest.rules["3.6-demo-base"].selection.quota
        assert {o.decision for o in played.objections} == {"upheld", "dismissed"}
        assert played.recusal[2] in REVIEWERS
    # At full size every money-selection round has more candidates than places.
    for clause in ("2.3-alliance-chain", "2.4-typical-case", "3.5-leading-enterprise"):
        candidates = [e for e in full.by_clause(clause) if e.expected == "candidate"]
        assert len(candidates) > BOOK.latest.rules[clause].selection.quota, clause
    assert sum(e.expected_amount for e in full.entries if e.expected == "eligible") > Decimal(50_000_000)


def test_scores_follow_the_rubric_and_the_same_seed_is_the_same_year(small):
    again, other = generate(BOOK, 40, seed=7), generate(BOOK, 40, seed=8)
    assert [e.application for e in again.entries] == [e.application for e in small.entries]
    assert [e.key for e in again.entries] == [e.key for e in small.entries]
    assert [e.application for e in other.entries] != [e.application for e in small.entries]
    candidate = next(e for e in small.entries if e.expected == "candidate")
    criteria = {c.id for c in BOOK.latest.rules[candidate.clause].selection.criteria}
    for reviewer in REVIEWERS:
        scores = small.scores(candidate, reviewer)
        assert set(scores) == criteria and all(isinstance(v, int) and 0 <= v <= 100 for v in scores.values())
        assert again.scores(again.entries[candidate.n - 1], reviewer) == scores
