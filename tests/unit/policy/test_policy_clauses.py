"""Every clause, decided from a table: each condition on both sides of its threshold, caps below,
at and above, rounding down to the fen, one-time rules, and the policy window's edges.

The coverage tests at the end fail if a clause has no case here, if a condition is never seen
failing, or if a fact a clause declares is never read while deciding the table.
"""

import copy
from decimal import Decimal
from typing import Any, NamedTuple

import pytest

from shared.policy import Decision, History, PriorGrant
from shared.policy.application import EXAMPLE_APPLICANTS
from shared.policy.text import identifier_key
from tests.books import BOOK, EXAMPLES, parse_application


class Case(NamedTuple):
    rule: str
    clause: str
    facts: dict[str, Any]
    on: str
    kind: str | None
    history: tuple[PriorGrant, ...]
    outcome: str
    amount: Decimal
    says: str | None


CASES: list[Case] = []


def case(rule, clause, outcome, amount, *, facts=None, on="2024-03-01", kind=None, history=(), says=None):
    """One row: a rule of the policy, the application that exercises it, and the expected decision."""
    CASES.append(Case(rule, clause, facts or {}, on, kind, tuple(history), outcome, Decimal(amount), says))


def prior(clause, subject_key, amount, project_id=None):
    """A grant as the caller records it: keyed by the normalised identifiers the engine decided on."""
    return PriorGrant(
        clause, identifier_key(subject_key), Decimal(amount), identifier_key(project_id) if project_id else None
    )


def wire(clause, facts, on, kind):
    app = copy.deepcopy(EXAMPLES[clause])
    app["facts"].update(facts)
    app["occurred_on"] = on
    if kind:
        app["applicant"] = dict(EXAMPLE_APPLICANTS[kind])
    return app


# ---- 一（一） national / provincial node: 20%, cap 1,000,000, once per node ----
N = "1.1-node"
case(
    "national_super_node_gets_20_percent_of_cost",
    N,
    "eligible",
    "800000.00",
    says="investment_cost 4,000,000.00 × 20% = 800,000.00; cap 1,000,000.00 not reached → 800,000.00",
)
case(
    "national_backbone_node_reaching_the_cap_exactly_gets_the_cap",
    N,
    "eligible",
    "1000000.00",
    facts={"node_level": "national_backbone", "investment_cost": "5000000"},
    says="exactly the cap 1,000,000.00",
)
case(
    "provincial_node_a_fen_over_the_cap_is_capped",
    N,
    "eligible",
    "1000000.00",
    facts={"node_level": "provincial", "investment_cost": "5000000.05"},
    says="capped at 1,000,000.00",
)
case(
    "node_subsidy_is_rounded_down_to_the_fen",
    N,
    "eligible",
    "2469.13",
    facts={"investment_cost": "12345.67"},
    says="2,469.134, rounded down to the fen 2,469.13",
)
case(
    "municipal_node_is_not_a_national_or_provincial_node",
    N,
    "ineligible",
    "0",
    facts={"node_level": "municipal"},
    says="needs node_level ∈ {national_super, national_backbone, provincial}, has municipal",
)
case("other_node_level_is_not_subsidised", N, "ineligible", "0", facts={"node_level": "other"}, says="has other")
case(
    "node_without_investment_gets_nothing",
    N,
    "ineligible",
    "0",
    facts={"investment_cost": 0},
    says="needs investment_cost > 0.00, has 0.00",
)
case(
    "district_government_cannot_claim_a_node",
    N,
    "ineligible",
    "0",
    kind="district",
    says="needs applicant kind ∈ {enterprise, institution}, has district",
)
case(
    "node_subsidy_is_paid_once_per_node",
    N,
    "ineligible",
    "0",
    history=[prior(N, "node_id=SN-001", "800000.00")],
    says="node_id=sn-001 already received 800,000.00 under 1.1-node (one-time award)",
)
case(
    "a_second_node_is_subsidised_separately",
    N,
    "eligible",
    "800000.00",
    history=[prior(N, "node_id=SN-999", "800000.00")],
)
case("policy_applies_from_its_first_day", N, "eligible", "800000.00", on="2023-02-10")
case(
    "policy_does_not_apply_the_day_before_it_starts",
    N,
    "ineligible",
    "0",
    on="2023-02-09",
    says="outside every policy window: chengdu-blockchain-2023 is in force 2023-02-10 – 2025-02-09",
)
case("policy_applies_on_its_last_day", N, "eligible", "800000.00", on="2025-02-09")
case(
    "policy_has_lapsed_the_day_after_its_two_years",
    N,
    "ineligible",
    "0",
    on="2025-02-10",
    says="occurred_on 2025-02-10 is outside every policy window",
)

# ---- 一（一） operations centre: 20% of the year's cost, cap 500,000 a year, years 1-2 ----
OPS = "1.1-ops-center"
case("ops_centre_first_year_gets_20_percent", OPS, "eligible", "360000.00")
case("ops_centre_second_year_is_subsidised", OPS, "eligible", "360000.00", facts={"operation_year": 2})
case(
    "ops_centre_third_year_is_not_subsidised",
    OPS,
    "ineligible",
    "0",
    facts={"operation_year": 3},
    says="needs operation_year ∈ {1, 2}, has 3",
)
case(
    "ops_centre_not_in_business_gets_nothing",
    OPS,
    "ineligible",
    "0",
    facts={"in_business": False},
    says="needs in_business = true, has false",
)
case(
    "ops_centre_yearly_cap_reached_exactly",
    OPS,
    "eligible",
    "500000.00",
    facts={"operating_cost": "2500000"},
    says="exactly the cap 500,000.00",
)
case(
    "ops_centre_yearly_cap_applies",
    OPS,
    "eligible",
    "500000.00",
    facts={"operating_cost": "2600000"},
    says="capped at 500,000.00",
)
case("ops_centre_subsidy_rounds_down_to_the_fen", OPS, "eligible", "246.91", facts={"operating_cost": "1234.56"})
case(
    "ops_centre_without_operating_cost_gets_nothing",
    OPS,
    "ineligible",
    "0",
    facts={"operating_cost": "0.00"},
    says="needs operating_cost > 0.00",
)
case(
    "ops_centre_gets_one_award_per_operation_year",
    OPS,
    "ineligible",
    "0",
    history=[prior(OPS, "center_id=OC-CD-01;operation_year=1", "360000.00")],
    says="center_id=oc-cd-01;operation_year=1 already received 360,000.00 under 1.1-ops-center (one award per year)",
)
case(
    "ops_centre_second_year_follows_a_first_year_award",
    OPS,
    "eligible",
    "360000.00",
    facts={"operation_year": 2},
    history=[prior(OPS, "center_id=OC-CD-01;operation_year=1", "360000.00")],
)

# ---- 一（二） government-affairs infrastructure: 20%, cap 500,000, once per project ----
G = "1.2-gov-infra"
case("gov_infra_investment_gets_20_percent", G, "eligible", "250000.10")
case("gov_infra_cap_reached_exactly", G, "eligible", "500000.00", facts={"investment_cost": "2500000"})
case(
    "gov_infra_above_cap_is_capped",
    G,
    "eligible",
    "500000.00",
    facts={"investment_cost": "2500000.05"},
    says="2,500,000.05 × 20% = 500,000.01; capped at 500,000.00",
)
case(
    "gov_infra_subsidy_rounds_down_to_the_fen",
    G,
    "eligible",
    "0.19",
    facts={"investment_cost": "0.99"},
    says="0.198, rounded down to the fen 0.19",
)
case(
    "gov_infra_without_own_investment_gets_nothing",
    G,
    "ineligible",
    "0",
    facts={"investment_cost": 0},
    says="needs investment_cost > 0.00",
)
case(
    "social_organization_cannot_claim_gov_infra",
    G,
    "ineligible",
    "0",
    kind="social_organization",
    says="has social_organization",
)
case(
    "gov_infra_is_paid_once_per_project",
    G,
    "ineligible",
    "0",
    history=[prior(G, "project_id=GOV-2024-07", "250000.10", "GOV-2024-07")],
    says="already received 250,000.10",
)

# ---- 一（二） industrial node: relies on national/provincial, certified; 20%, cap 500,000 ----
NODE = "1.2-industry-node"
case("certified_industry_node_gets_20_percent", NODE, "eligible", "180000.00")
case("institution_may_build_an_industry_node", NODE, "eligible", "180000.00", kind="institution")
case(
    "industry_node_not_relying_on_national_or_provincial_infra_is_refused",
    NODE,
    "ineligible",
    "0",
    facts={"relies_on_national_or_provincial": False},
    says="needs relies_on_national_or_provincial = true",
)
case(
    "uncertified_industry_node_is_refused",
    NODE,
    "ineligible",
    "0",
    facts={"certified": False},
    says="不符合“经认定”：要求 certified = true，实际为 false",
)
case("industry_node_cap_reached_exactly", NODE, "eligible", "500000.00", facts={"investment_cost": "2500000.00"})
case("industry_node_above_cap_is_capped", NODE, "eligible", "500000.00", facts={"investment_cost": "9000000"})
case("industry_node_rounds_down_to_the_fen", NODE, "eligible", "0.01", facts={"investment_cost": "0.09"})
case("industry_node_without_investment_gets_nothing", NODE, "ineligible", "0", facts={"investment_cost": "0"})
case(
    "industry_node_is_paid_once_per_node",
    NODE,
    "ineligible",
    "0",
    history=[prior(NODE, "node_id=IN-CD-12", "180000.00")],
    says="node_id=in-cd-12 already received",
)

# ---- 二（三） alliance chain: library entry, then ≤ 10 selected a year; 20%, cap 500,000 ----
A = "2.3-alliance-chain"
case(
    "alliance_chain_meeting_library_rules_is_a_candidate_capped_at_500k",
    A,
    "candidate",
    "500000.00",
    says="at most 10 a year",
)
case(
    "alliance_chain_with_three_nodes_is_not_admitted",
    A,
    "ineligible",
    "0",
    facts={"node_count": 3},
    says="needs node_count ≥ 4, has 3; 1 more would qualify",
)
case("alliance_chain_with_four_nodes_is_admitted", A, "candidate", "500000.00", facts={"node_count": 4})
case(
    "alliance_chain_with_four_apps_is_not_admitted",
    A,
    "ineligible",
    "0",
    facts={"onchain_app_count": 4},
    says="needs onchain_app_count ≥ 5, has 4",
)
case("alliance_chain_with_five_apps_is_admitted", A, "candidate", "500000.00", facts={"onchain_app_count": 5})
case(
    "alliance_chain_on_municipal_infrastructure_is_admitted",
    A,
    "candidate",
    "500000.00",
    facts={"infrastructure_level": "municipal"},
)
case(
    "alliance_chain_without_infrastructure_is_not_admitted",
    A,
    "ineligible",
    "0",
    facts={"infrastructure_level": "none"},
    says="has none",
)
case(
    "alliance_chain_below_cap_would_get_20_percent", A, "candidate", "400000.00", facts={"total_investment": "2000000"}
)
case("alliance_chain_reaching_cap_exactly", A, "candidate", "500000.00", facts={"total_investment": "2500000"})
case("alliance_chain_award_rounds_down_to_the_fen", A, "candidate", "200.01", facts={"total_investment": "1000.07"})
case("alliance_chain_without_investment_is_not_admitted", A, "ineligible", "0", facts={"total_investment": 0})
case(
    "alliance_chain_is_rewarded_once_per_chain",
    A,
    "ineligible",
    "0",
    history=[prior(A, "chain_id=CHAIN-FIN-3", "500000.00")],
    says="chain_id=chain-fin-3 already received",
)
case(
    "alliance_chain_review_score_is_shown_for_ranking",
    A,
    "candidate",
    "500000.00",
    facts={"review_score": "91.5"},
    says="review_score 91.5",
)

# ---- 二（四） pilot project: targets completed; 20%, cap 1,000,000, once per project ----
P = "2.4-pilot-project"
case("pilot_project_that_completed_targets_gets_20_percent", P, "eligible", "520000.00")
case(
    "pilot_project_that_missed_targets_gets_nothing",
    P,
    "ineligible",
    "0",
    facts={"pilot_targets_completed": False},
    says="needs pilot_targets_completed = true, has false",
)
case("pilot_project_cap_reached_exactly", P, "eligible", "1000000.00", facts={"construction_cost": "5000000"})
case("pilot_project_above_cap_is_capped", P, "eligible", "1000000.00", facts={"construction_cost": "5000000.05"})
case("pilot_project_rounds_down_to_the_fen", P, "eligible", "24.69", facts={"construction_cost": "123.48"})
case("pilot_project_without_construction_cost_gets_nothing", P, "ineligible", "0", facts={"construction_cost": "0"})
case(
    "pilot_project_is_for_enterprises_only",
    P,
    "ineligible",
    "0",
    kind="institution",
    says="needs applicant kind ∈ {enterprise}, has institution",
)
case(
    "pilot_project_is_paid_once_per_project",
    P,
    "ineligible",
    "0",
    history=[prior(P, "project_id=PILOT-0042", "520000.00", "PILOT-0042")],
)

# ---- 二（四） typical case: ≤ 10 selected a year; 50% of on-chain cost, cap 500,000 ----
T = "2.4-typical-case"
case(
    "typical_case_is_a_candidate_for_half_its_onchain_cost",
    T,
    "candidate",
    "320000.00",
    says="onchain_cost 640,000.00 × 50% = 320,000.00",
)
case("typical_case_cap_reached_exactly", T, "candidate", "500000.00", facts={"onchain_cost": "1000000"})
case(
    "typical_case_a_fen_over_rounds_down_to_the_cap",
    T,
    "candidate",
    "500000.00",
    facts={"onchain_cost": "1000000.01"},
    says="500,000.005, rounded down to the fen 500,000.00; exactly the cap",
)
case("typical_case_above_cap_is_capped", T, "candidate", "500000.00", facts={"onchain_cost": "1200000"})
case("typical_case_rounds_down_to_the_fen", T, "candidate", "0.01", facts={"onchain_cost": "0.03"})
case("typical_case_without_onchain_cost_is_not_admitted", T, "ineligible", "0", facts={"onchain_cost": "0"})
case(
    "typical_case_selection_weighs_users_and_market",
    T,
    "candidate",
    "320000.00",
    facts={"users_served": 0, "market_revenue": "0"},
    says="users_served 0, market_revenue 0.00",
)
case(
    "typical_case_is_paid_once_per_project",
    T,
    "ineligible",
    "0",
    history=[prior(T, "project_id=CASE-2024-03", "320000.00", "CASE-2024-03")],
)

# ---- 三（五） leading enterprise: 10 selected a year, non-monetary ----
L = "3.5-leading-enterprise"
case("leading_enterprise_is_a_non_monetary_candidate", L, "candidate", "0.00", says="non-monetary if selected")
case("only_enterprises_are_leading_enterprises", L, "ineligible", "0", kind="institution")
case(
    "leading_enterprise_is_selected_at_most_once_a_year",
    L,
    "ineligible",
    "0",
    history=[prior(L, "applicant;selection_year=2024", "0")],
    says="applicant;selection_year=2024 already received",
)
case(
    "leading_enterprise_may_be_selected_again_next_year",
    L,
    "candidate",
    "0.00",
    history=[prior(L, "applicant;selection_year=2023", "0")],
    says="external_revenue 75,000,000.00",
)

# ---- 三（五） external revenue: thresholds strictly above, each once per enterprise ----
R = "3.5-external-revenue"
case(
    "revenue_crossing_two_thresholds_in_one_year_pays_both",
    R,
    "eligible",
    "400000.00",
    says="100,000.00 (> 50,000,000.00) + 300,000.00 (> 100,000,000.00) = 400,000.00",
)
case(
    "revenue_of_exactly_50_million_does_not_exceed_it",
    R,
    "ineligible",
    "0",
    facts={"external_revenue": "50000000"},
    says="needs external_revenue > 50,000,000.00 (the lowest threshold), has 50,000,000.00 for fiscal 2023",
)
case(
    "revenue_a_fen_above_50_million_pays_the_first_tier",
    R,
    "eligible",
    "100000.00",
    facts={"external_revenue": "50000000.01"},
)
case(
    "revenue_of_exactly_100_million_pays_only_the_first_tier",
    R,
    "eligible",
    "100000.00",
    facts={"external_revenue": 100000000},
)
case(
    "revenue_above_a_billion_pays_all_four_tiers",
    R,
    "eligible",
    "1900000.00",
    facts={"external_revenue": "1000000000.01"},
)
case(
    "revenue_tier_already_rewarded_is_not_paid_again",
    R,
    "eligible",
    "300000.00",
    history=[prior(R, "tier>50000000", "100000")],
    says="threshold 50,000,000.00 already rewarded 100,000.00",
)
case(
    "revenue_with_every_exceeded_tier_rewarded_gets_nothing",
    R,
    "ineligible",
    "0",
    history=[prior(R, "tier>50000000", "100000"), prior(R, "tier>100000000", "300000")],
    says="every threshold exceeded was already rewarded",
)
case("revenue_award_is_for_enterprises", R, "ineligible", "0", kind="social_organization")

# ---- 三（五） ministry demonstration project: 300,000 fixed, once per project ----
M = "3.5-ministry-demo"
case("ministry_demonstration_project_gets_300k", M, "eligible", "300000.00", says="fixed award 300,000.00")
case(
    "project_not_rated_by_a_ministry_gets_nothing",
    M,
    "ineligible",
    "0",
    facts={"ministry_demo_certified": False},
    says="获评国家部委示范项目",
)
case(
    "ministry_demo_award_is_once_per_project",
    M,
    "ineligible",
    "0",
    history=[prior(M, "project_id=MIIT-DEMO-2023-118", "300000", "MIIT-DEMO-2023-118")],
)

# ---- 三（六） demonstration base: a district applies; 5 a year; plaque ----
B = "3.6-demo-base"
case("district_demo_base_is_a_candidate_for_a_plaque", B, "candidate", "0.00", says="plaque (授牌)")
case(
    "enterprise_cannot_apply_for_a_demo_base",
    B,
    "ineligible",
    "0",
    kind="enterprise",
    says="needs applicant kind ∈ {district}, has enterprise",
)
case(
    "demo_base_selection_allows_five_a_year",
    B,
    "candidate",
    "0.00",
    facts={"review_score": 88},
    says="at most 5 a year, ranked by higher review_score, then earlier submission",
)
case(
    "demo_base_gets_its_plaque_once",
    B,
    "ineligible",
    "0",
    history=[prior(B, "project_id=BASE-GAOXIN-01", "0", "BASE-GAOXIN-01")],
)

# ---- 三（六） cluster operator: provincial approval or above; 20%, cap 1,000,000 ----
C = "3.6-cluster-operator"
case("operator_of_provincially_approved_cluster_gets_20_percent", C, "eligible", "600000.00")
case(
    "operator_of_nationally_approved_base_is_subsidised",
    C,
    "eligible",
    "600000.00",
    facts={"approval_level": "national"},
)
case(
    "operator_of_municipally_approved_cluster_gets_nothing",
    C,
    "ineligible",
    "0",
    facts={"approval_level": "municipal"},
    says="needs approval_level ∈ {national, provincial}, has municipal",
)
case("cluster_operator_cap_reached_exactly", C, "eligible", "1000000.00", facts={"operating_cost": "5000000"})
case("cluster_operator_above_cap_is_capped", C, "eligible", "1000000.00", facts={"operating_cost": "6000000"})
case("cluster_operator_rounds_down_to_the_fen", C, "eligible", "0.20", facts={"operating_cost": "1.04"})
case("cluster_operator_without_operating_cost_gets_nothing", C, "ineligible", "0", facts={"operating_cost": 0})
case(
    "cluster_operator_is_paid_once_per_cluster",
    C,
    "ineligible",
    "0",
    history=[prior(C, "project_id=CLUSTER-TF-01", "600000", "CLUSTER-TF-01")],
)

# ---- 三（七） testing lab: provincial qualification or above, serves others; 20%, cap 2,000,000 ----
X = "3.7-testing-lab"
case(
    "testing_lab_above_cap_is_capped_at_2_million",
    X,
    "eligible",
    "2000000.00",
    says="12,000,000.00 × 20% = 2,400,000.00; capped at 2,000,000.00",
)
case("testing_lab_cap_reached_exactly", X, "eligible", "2000000.00", facts={"investment_cost": "10000000"})
case("testing_lab_below_cap_gets_20_percent", X, "eligible", "1800000.00", facts={"investment_cost": "9000000"})
case(
    "testing_lab_with_provincial_qualification_is_subsidised",
    X,
    "eligible",
    "2000000.00",
    facts={"qualification_level": "provincial"},
)
case(
    "testing_lab_with_municipal_qualification_gets_nothing",
    X,
    "ineligible",
    "0",
    facts={"qualification_level": "municipal"},
)
case("testing_lab_without_qualification_gets_nothing", X, "ineligible", "0", facts={"qualification_level": "none"})
case(
    "testing_lab_not_serving_others_gets_nothing",
    X,
    "ineligible",
    "0",
    facts={"serves_external": False},
    says="对外提供服务",
)
case("testing_lab_rounds_down_to_the_fen", X, "eligible", "1.97", facts={"investment_cost": "9.87"})
case("testing_lab_without_investment_gets_nothing", X, "ineligible", "0", facts={"investment_cost": 0})
case(
    "testing_lab_is_subsidised_once",
    X,
    "ineligible",
    "0",
    history=[prior(X, "project_id=LAB-CD-01", "2000000", "LAB-CD-01")],
)

# ---- 四（九） standards: by level, lead drafter only, once per standard ----
S = "4.9-standard"
case(
    "leading_an_international_standard_pays_1_million",
    S,
    "eligible",
    "1000000.00",
    facts={"standard_level": "international"},
)
case(
    "leading_a_national_standard_pays_500k",
    S,
    "eligible",
    "500000.00",
    says="standard_level national → fixed award 500,000.00",
)
case("leading_an_industry_standard_pays_300k", S, "eligible", "300000.00", facts={"standard_level": "industry"})
case("leading_a_group_standard_pays_100k", S, "eligible", "100000.00", facts={"standard_level": "group"})
case(
    "participating_in_a_standard_pays_nothing",
    S,
    "ineligible",
    "0",
    facts={"role": "participant"},
    says="needs role = lead, has participant",
)
case(
    "standard_award_is_once_per_standard",
    S,
    "ineligible",
    "0",
    history=[prior(S, "standard_id=GB/T 42752-2023", "500000")],
)

# ---- 四（十） conference: > 100 VIPs and ≥ 500 attendees; 50%, cap 1,500,000 ----
F = "4.10-conference"
case("conference_meeting_both_thresholds_gets_half_its_cost", F, "eligible", "1200000.00")
case(
    "conference_with_exactly_100_vips_is_not_subsidised",
    F,
    "ineligible",
    "0",
    facts={"vip_attendees": 100},
    says="needs vip_attendees > 100 (at least 101), has 100",
)
case("conference_with_101_vips_is_subsidised", F, "eligible", "1200000.00", facts={"vip_attendees": 101})
case(
    "conference_with_499_attendees_is_not_subsidised",
    F,
    "ineligible",
    "0",
    facts={"attendees": 499},
    says="needs attendees ≥ 500, has 499; 1 more would qualify",
)
case("conference_with_500_attendees_is_subsidised", F, "eligible", "1200000.00", facts={"attendees": 500})
case("conference_cap_reached_exactly", F, "eligible", "1500000.00", facts={"conference_cost": "3000000"})
case("conference_above_cap_is_capped", F, "eligible", "1500000.00", facts={"conference_cost": "3000000.02"})
case("conference_rounds_down_to_the_fen", F, "eligible", "0.01", facts={"conference_cost": "0.03"})
case("conference_without_cost_gets_nothing", F, "ineligible", "0", facts={"conference_cost": "0"})
case("institution_cannot_claim_as_conference_organiser", F, "ineligible", "0", kind="institution")
case("enterprise_may_organise_a_conference", F, "eligible", "1200000.00", kind="enterprise")
case("conference_is_subsidised_once", F, "ineligible", "0", history=[prior(F, "event_id=CONF-2024-BC", "1200000")])

# ---- 四（十） matchmaking event: > 100 enterprises and ≥ 10 million reach; 50%, cap 200,000 ----
E = "4.10-matchmaking"
case("matchmaking_event_gets_half_its_cost", E, "eligible", "150000.00")
case(
    "matchmaking_with_exactly_100_enterprises_is_not_subsidised",
    E,
    "ineligible",
    "0",
    facts={"participating_enterprises": 100},
    says="(at least 101), has 100",
)
case(
    "matchmaking_with_101_enterprises_is_subsidised",
    E,
    "eligible",
    "150000.00",
    facts={"participating_enterprises": 101},
)
case(
    "matchmaking_short_of_10_million_reach_is_not_subsidised",
    E,
    "ineligible",
    "0",
    facts={"publicity_reach": 9999999},
    says="needs publicity_reach ≥ 10000000, has 9999999",
)
case("matchmaking_with_10_million_reach_is_subsidised", E, "eligible", "150000.00", facts={"publicity_reach": 10000000})
case("matchmaking_cap_reached_exactly", E, "eligible", "200000.00", facts={"event_cost": "400000"})
case("matchmaking_above_cap_is_capped", E, "eligible", "200000.00", facts={"event_cost": "500000"})
case("matchmaking_rounds_down_to_the_fen", E, "eligible", "0.50", facts={"event_cost": "1.01"})
case("matchmaking_without_cost_gets_nothing", E, "ineligible", "0", facts={"event_cost": "0"})
case(
    "matchmaking_is_subsidised_once_per_event",
    E,
    "ineligible",
    "0",
    history=[prior(E, "event_id=MATCH-2024-05", "150000")],
)


@pytest.mark.parametrize(
    "clause, facts, on, kind, history, outcome, amount, says", [pytest.param(*c[1:], id=c.rule) for c in CASES]
)
def test_clause_rule(clause, facts, on, kind, history, outcome, amount, says):
    decision = BOOK.evaluate(parse_application(wire(clause, facts, on, kind)), History(history))
    text = " | ".join(
        [r.en for r in decision.reasons] + [r.zh for r in decision.reasons] + [s.step for s in decision.trace]
    )
    assert (decision.clause, decision.outcome, decision.amount) == (clause, outcome, amount), text
    if says:
        assert says in text
    if outcome == "ineligible":
        assert decision.reasons and decision.grants == ()
    else:
        assert decision.reasons == () and sum(g.amount for g in decision.grants) == amount
    assert decision.year == (int(on[:4]) if outcome == "candidate" else None)


# ---- coverage of the table itself ----


class RecordingFacts(dict):
    """A facts mapping that notes every fact the rules read."""

    def __init__(self, facts, reads):
        super().__init__(facts)
        self.reads = reads

    def __getitem__(self, name):
        self.reads.add(name)
        return super().__getitem__(name)


def _run_table_recording():
    reads: dict[str, set[str]] = {}  # clause → the facts its rules read
    decisions: dict[str, list[Decision]] = {}
    for c in CASES:
        clause, facts, on, kind, history = c.clause, c.facts, c.on, c.kind, c.history
        app = parse_application(wire(clause, facts, on, kind))
        recorder = RecordingFacts(app.facts.__dict__, reads.setdefault(clause, set()))
        decision = BOOK.decide(clause, app.applicant.kind, app.occurred_on, recorder, History(history))
        decisions.setdefault(clause, []).append(decision)
    return reads, decisions


def test_every_clause_of_the_policy_has_table_cases_with_both_outcomes():
    _, decisions = _run_table_recording()
    for version in BOOK.versions:
        for clause in version.rules:
            outcomes = {d.outcome for d in decisions.get(clause, [])}
            assert "ineligible" in outcomes and outcomes - {"ineligible"}, f"{clause} lacks table cases"


def test_every_fact_a_clause_declares_is_read_by_its_rules():
    reads, _ = _run_table_recording()
    for version in BOOK.versions:
        for clause, rule in version.rules.items():
            unread = set(rule.facts) - reads.get(clause, set())
            assert not unread, f"{clause} declares facts its rules never read: {sorted(unread)}"


def test_every_condition_is_seen_failing_in_the_table():
    _, decisions = _run_table_recording()
    for version in BOOK.versions:
        for clause, rule in version.rules.items():
            failed = {r.fact for d in decisions[clause] for r in d.reasons}
            for cond in rule.conditions:
                assert cond.fact in failed, f"{clause}: condition on {cond.fact} never fails in the table"
