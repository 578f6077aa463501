"""A policy year to play: who applies under which clause with which figures, how the panel scores the
selection rounds, who objects, which bank accounts bounce. Deterministic: the same seed and year give
the same year, application for application (no I/O, no clock).

Figures are plausible for Chengdu's blockchain industry: investments in the millions, standards with
real-looking numbers, districts of the city applying for demonstration bases. Some applications are
ineligible on purpose (a municipal node, a standard only co-drafted, a third operating year…), one
claims again a node already paid (spelt in full-width characters), two enterprises co-built one node,
one project claims under both halves of 二（四）, two payees give accounts the bank refuses and
correct them, one gives its account only when asked, and one award is clawed back.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from services.demo import DEFAULT_APPLICATIONS, MIN_APPLICATIONS
from shared.policy import PolicyBook, PolicyVersion
from shared.policy.applicant import ALPHABET, check_character
from shared.policy.clause import ClauseRule
from shared.policy.decision import History, PriorGrant

# Where the year's selection rounds are played, and who sits on their panel.
REVIEWERS = tuple(f"demo-year-expert-{i}" for i in range(1, 6))
MIN_REVIEWS = 3
# The budget line the demo keeps short, so that one award visibly waits for it before it is raised.
HELD_CLAUSE = "3.5-ministry-demo"

# Applications every year has, whatever its size, before the rest is shared out by weight.
_MINIMUM = {"2.3-alliance-chain": 2, "2.4-typical-case": 2, "3.5-leading-enterprise": 2, "3.6-demo-base": 7}
_WEIGHT = {
    "1.1-node": 8,
    "1.1-ops-center": 5,
    "1.2-gov-infra": 7,
    "1.2-industry-node": 7,
    "2.3-alliance-chain": 5,
    "2.4-pilot-project": 9,
    "2.4-typical-case": 5,
    "3.5-leading-enterprise": 5,
    "3.5-external-revenue": 8,
    "3.5-ministry-demo": 4,
    "3.6-demo-base": 1,
    "3.6-cluster-operator": 3,
    "3.7-testing-lab": 3,
    "4.9-standard": 9,
    "4.10-conference": 4,
    "4.10-matchmaking": 5,
}

# ---- who: organisations, their unified social credit codes and bank accounts ----

# Chengdu's districts and counties (区（市）县) with their administrative division codes.
DISTRICTS = (
    ("锦江区", "510104", "JINJIANG"),
    ("青羊区", "510105", "QINGYANG"),
    ("金牛区", "510106", "JINNIU"),
    ("武侯区", "510107", "WUHOU"),
    ("成华区", "510108", "CHENGHUA"),
    ("龙泉驿区", "510112", "LONGQUANYI"),
    ("青白江区", "510113", "QINGBAIJIANG"),
    ("新都区", "510114", "XINDU"),
    ("温江区", "510115", "WENJIANG"),
    ("双流区", "510116", "SHUANGLIU"),
    ("郫都区", "510117", "PIDU"),
    ("新津区", "510118", "XINJIN"),
    ("金堂县", "510121", "JINTANG"),
    ("大邑县", "510129", "DAYI"),
    ("蒲江县", "510131", "PUJIANG"),
    ("都江堰市", "510181", "DUJIANGYAN"),
    ("彭州市", "510182", "PENGZHOU"),
    ("邛崃市", "510183", "QIONGLAI"),
    ("崇州市", "510184", "CHONGZHOU"),
    ("简阳市", "510185", "JIANYANG"),
)
_ZONES = (("成都高新技术产业开发区管理委员会", "510100", "GAOXIN"), ("四川天府新区成都管理委员会", "510100", "TIANFU"))
_BRAND_1 = "天蜀锦蓉链数云信安智芯星川峨岷青银金和万博众汇联华通瑞鼎恒宏"
_BRAND_2 = "府信链图安云数融智通达盛泰合联创微核衡源启航维易科"
_TRADES = (
    "区块链科技",
    "数字科技",
    "信息技术",
    "网络科技",
    "数据科技",
    "智能科技",
    "金融信息服务",
    "供应链管理",
    "数字认证",
    "信息安全技术",
    "软件",
    "链网科技",
)
_INSTITUTES = (
    "成都{b}区块链研究院",
    "四川省{b}数字技术研究所",
    "成都市{b}信息技术研究中心",
    "四川{b}检验检测研究院",
    "成都{b}数字经济研究院",
)
_SOCIETIES = ("成都市{b}数字经济促进会", "四川省{b}区块链应用协会", "成都{b}区块链产业联盟", "成都市{b}软件行业协会")
_BANKS = (
    ("中国工商银行成都高新支行", "4402"),
    ("中国建设银行成都第一支行", "5105"),
    ("中国银行成都锦江支行", "1238"),
    ("中国农业银行成都武侯支行", "2284"),
    ("交通银行成都天府支行", "5110"),
    ("招商银行成都分行营业部", "1289"),
    ("成都银行高新支行", "1001"),
    ("成都农村商业银行双流支行", "3001"),
    ("兴业银行成都分行", "4310"),
    ("中信银行成都分行营业部", "8111"),
)
# The finance stand-in always refuses accounts ending so (services/finance_sim/answers.py).
BOUNCING = {"0004": "AC04", "0001": "AC01", "0006": "AC06"}
_CITY_DIVISIONS = (
    "510100",
    "510100",
    "510104",
    "510105",
    "510106",
    "510107",
    "510108",
    "510112",
    "510114",
    "510116",
    "510117",
)
_REGISTRY = {"enterprise": "91", "institution": "12", "social_organization": "51", "district": "11"}
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)  # GB 11714 organisation code check


def organisation_code(body: str) -> str:
    """The 9-character organisation code (GB 11714): 8 characters and their check character."""
    total = sum(
        (int(c) if c.isdigit() else ord(c) - ord("A") + 10) * w for c, w in zip(body, _ORG_WEIGHTS, strict=False)
    )
    check = 11 - total % 11
    return body + {10: "X", 11: "0"}.get(check, str(check))


def credit_code(kind: str, division: str, body: str) -> str:
    """A unified social credit code (GB 32100-2015): registry and type, the division, the
    organisation code, and the check character intake verifies."""
    first17 = _REGISTRY[kind] + division + organisation_code(body)
    return first17 + check_character(first17)


@dataclass(frozen=True)
class Organisation:
    name: str
    kind: str
    credit_code: str
    bank: str
    account_number: str
    slug: str  # for identifiers and e-mail addresses

    def payee(self, account_number: str | None = None) -> dict:
        return {"account_name": self.name, "account_number": account_number or self.account_number, "bank": self.bank}


class _Registry:
    """Mints organisations with names and codes unique within the year."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.names: set[str] = set()
        self.codes: set[str] = set()
        self.brands: set[str] = set()
        self.districts = list(DISTRICTS) + list(_ZONES)
        rng.shuffle(self.districts)

    def _brand(self) -> str:
        while True:
            brand = self.rng.choice(_BRAND_1) + self.rng.choice(_BRAND_2)
            if brand not in self.brands and brand[0] != brand[1]:
                self.brands.add(brand)
                return brand

    def _code(self, kind: str, division: str) -> str:
        while True:
            if kind == "enterprise":  # codes issued since 2015 start MA
                body = "MA" + "".join(self.rng.choice(ALPHABET[:10] + "ABCDEFGHJKLMNPQRTUWXY") for _ in range(6))
            else:
                body = "".join(self.rng.choice("0123456789") for _ in range(8))
            code = credit_code(kind, division, body)
            if code not in self.codes:
                self.codes.add(code)
                return code

    def _account(self) -> tuple[str, str]:
        bank, prefix = self.rng.choice(_BANKS)
        while True:
            number = prefix + "".join(self.rng.choice("0123456789") for _ in range(15))
            if number[-4:] not in BOUNCING:
                return bank, number

    def mint(self, kind: str) -> Organisation:
        if kind == "district":
            name, division, slug = self.districts.pop()
            if not name.startswith(("成都", "四川")):
                name = f"成都市{name}人民政府"
            code = self._code(kind, division)
        else:
            while True:
                brand = self._brand()
                if kind == "enterprise":
                    name = (
                        f"{self.rng.choice(('成都', '成都', '四川'))}{brand}{self.rng.choice(_TRADES)}"
                        f"{self.rng.choice(('有限公司', '有限公司', '有限公司', '股份有限公司'))}"
                    )
                elif kind == "institution":
                    name = self.rng.choice(_INSTITUTES).format(b=brand)
                else:
                    name = self.rng.choice(_SOCIETIES).format(b=brand)
                if name not in self.names:
                    break
            code = self._code(kind, self.rng.choice(_CITY_DIVISIONS))
            slug = code[-6:]
        self.names.add(name)
        bank, number = self._account()
        return Organisation(name, kind, code, bank, number, slug)


# ---- what: each clause's facts, plausible, and the way an application of it falls short ----


def _yuan(rng: random.Random, low: int, high: int, step: int = 100) -> str:
    return f"{rng.randrange(low // step, high // step + 1) * step}.00"


def _facts(clause: str, rng: random.Random, n: int, year: int, org: Organisation) -> dict:
    match clause:
        case "1.1-node":
            level = rng.choices(("national_super", "national_backbone", "provincial"), (1, 3, 4))[0]
            prefix = {"national_super": "XH-SN", "national_backbone": "XH-BN", "provincial": "SC-PN"}[level]
            return {
                "node_id": f"{prefix}-CD-{n:03d}",
                "node_level": level,
                "investment_cost": _yuan(rng, 1_200_000, 8_000_000),
            }
        case "1.1-ops-center":
            return {
                "center_id": f"OC-CD-{org.slug}",
                "in_business": True,
                "operation_year": rng.choice((1, 1, 2)),
                "operating_cost": _yuan(rng, 600_000, 3_200_000),
            }
        case "1.2-gov-infra":
            return {"project_id": f"GOV-{year}-{n:03d}", "investment_cost": _yuan(rng, 400_000, 4_000_000)}
        case "1.2-industry-node":
            return {
                "node_id": f"IN-CD-{n:03d}",
                "relies_on_national_or_provincial": True,
                "certified": True,
                "investment_cost": _yuan(rng, 300_000, 3_000_000),
            }
        case "2.3-alliance-chain":
            industry = rng.choice(("FIN", "GOV", "MED", "AGR", "LOG", "ENE", "EDU", "IND"))
            return {
                "chain_id": f"CHAIN-{industry}-{n:03d}",
                "infrastructure_level": rng.choice(("national", "provincial", "provincial", "municipal")),
                "node_count": rng.randint(5, 42),
                "onchain_app_count": rng.randint(6, 64),
                "total_investment": _yuan(rng, 900_000, 6_000_000),
            }
        case "2.4-pilot-project":
            return {
                "project_id": f"PILOT-{year}-{n:04d}",
                "pilot_targets_completed": True,
                "construction_cost": _yuan(rng, 800_000, 9_000_000),
            }
        case "2.4-typical-case":
            return {
                "project_id": f"CASE-{year}-{n:03d}",
                "users_served": rng.randrange(20_000, 2_500_000, 100),
                "market_revenue": _yuan(rng, 2_000_000, 90_000_000, 10_000),
                "onchain_cost": _yuan(rng, 150_000, 1_600_000),
            }
        case "3.5-leading-enterprise":
            return {"external_revenue": _yuan(rng, 56_000_000, 1_200_000_000, 10_000)}
        case "3.5-external-revenue":
            return {"fiscal_year": year - 1, "external_revenue": _yuan(rng, 52_000_000, 1_300_000_000, 10_000)}
        case "3.5-ministry-demo":
            return {"project_id": f"MIIT-DEMO-{year - 1}-{n:03d}", "ministry_demo_certified": True}
        case "3.6-demo-base":
            return {"project_id": f"BASE-{org.slug}-01"}
        case "3.6-cluster-operator":
            return {
                "project_id": f"CLUSTER-{n:03d}",
                "approval_level": rng.choice(("provincial", "provincial", "national")),
                "operating_cost": _yuan(rng, 1_000_000, 8_000_000),
            }
        case "3.7-testing-lab":
            return {
                "project_id": f"LAB-CD-{n:03d}",
                "qualification_level": rng.choice(("national", "provincial")),
                "serves_external": True,
                "investment_cost": _yuan(rng, 3_000_000, 15_000_000),
            }
        case "4.9-standard":
            level = rng.choices(("international", "national", "industry", "group"), (1, 3, 4, 6))[0]
            number = {
                "international": f"IEEE {rng.randint(2140, 3220)}.{rng.randint(1, 9)}-{year - 1}",
                "national": f"GB/T {rng.randint(42000, 44999)}-{year - 1}",
                "industry": f"YD/T {rng.randint(4000, 4999)}-{year - 1}",
                "group": f"T/CDBA {rng.randint(1, 199):03d}-{year - 1}",
            }[level]
            return {"standard_id": number, "role": "lead", "standard_level": level}
        case "4.10-conference":
            return {
                "event_id": f"CONF-{year}-{n:03d}",
                "vip_attendees": rng.randint(110, 260),
                "attendees": rng.randrange(600, 3200, 10),
                "conference_cost": _yuan(rng, 800_000, 4_000_000),
            }
        case "4.10-matchmaking":
            return {
                "event_id": f"MATCH-{year}-{n:03d}",
                "participating_enterprises": rng.randint(110, 320),
                "publicity_reach": rng.randrange(10_000_000, 30_000_000, 10_000),
                "event_cost": _yuan(rng, 100_000, 600_000),
            }
    raise KeyError(clause)


def _kind(clause: str, rng: random.Random) -> str:
    match clause:
        case "3.6-demo-base":
            return "district"
        case "2.4-pilot-project" | "3.5-leading-enterprise" | "3.5-external-revenue" | "3.5-ministry-demo":
            return "enterprise"
        case "4.10-conference" | "4.10-matchmaking":
            return rng.choice(("social_organization", "social_organization", "enterprise"))
        case "3.7-testing-lab":
            return rng.choice(("institution", "institution", "enterprise"))
    return rng.choice(("enterprise", "enterprise", "enterprise", "institution"))


# How an application of the clause falls short: (facts changed, or an applicant of the wrong kind).
_SHORT = {
    "1.1-node": (lambda rng: {"node_level": "municipal"}, None),
    "1.1-ops-center": (lambda rng: {"operation_year": 3}, None),
    "1.2-gov-infra": (lambda rng: {}, "social_organization"),
    "1.2-industry-node": (lambda rng: {"certified": False}, None),
    "2.3-alliance-chain": (
        lambda rng: rng.choice(({"node_count": rng.randint(2, 3)}, {"onchain_app_count": rng.randint(1, 4)})),
        None,
    ),
    "2.4-pilot-project": (lambda rng: {"pilot_targets_completed": False}, None),
    "2.4-typical-case": (lambda rng: {}, "social_organization"),
    "3.5-leading-enterprise": (lambda rng: {}, "institution"),
    "3.5-external-revenue": (lambda rng: {"external_revenue": _yuan(rng, 31_000_000, 49_800_000, 10_000)}, None),
    "3.5-ministry-demo": (lambda rng: {"ministry_demo_certified": False}, None),
    "3.6-demo-base": (lambda rng: {}, "enterprise"),
    "3.6-cluster-operator": (lambda rng: {"approval_level": "municipal"}, None),
    "3.7-testing-lab": (lambda rng: {"qualification_level": "municipal"}, None),
    "4.9-standard": (lambda rng: {"role": "participant"}, None),
    "4.10-conference": (
        lambda rng: rng.choice(({"attendees": rng.randrange(320, 500, 10)}, {"vip_attendees": rng.randint(60, 100)})),
        None,
    ),
    "4.10-matchmaking": (
        lambda rng: rng.choice(
            (
                {"participating_enterprises": rng.randint(60, 100)},
                {"publicity_reach": rng.randrange(3_000_000, 9_990_000, 10_000)},
            )
        ),
        None,
    ),
}

# The year's stories, each on a clause whose first application is sure to be awarded.
STORIES = {
    "bad_account": ("1.2-gov-infra", "4.10-conference"),  # the bank refuses; the portal corrects it
    "late_payee": ("4.9-standard",),  # no account given until the payout is held
    "clawback": ("1.1-ops-center",),  # performance review fails after payment
}


@dataclass
class Entry:
    """One application of the year, as its partner portal sends it, and what the demo expects of it."""

    n: int
    clause: str
    organisation: Organisation
    application: dict
    key: str  # the portal's Idempotency-Key
    stories: set[str] = field(default_factory=set)
    first_account: str | None = None  # the account sent first, if not the organisation's own
    quality: int | None = None  # the merit a selection panel sees (scores centre on it)
    expected: str = ""  # the engine's outcome: eligible | ineligible | candidate
    expected_amount: Decimal = Decimal("0.00")
    expected_reasons: tuple[str, ...] = ()  # reason codes, or facts, of an ineligible one
    money: bool = True  # whether the clause pays (a selection may only recognise)

    @property
    def payee(self) -> dict:
        """The right bank details (what a correction sends)."""
        return self.organisation.payee()


@dataclass(frozen=True)
class Objection:
    clause: str
    rank: int  # of the proposed candidate objected to
    name: str
    contact: str
    reason: str
    decision: str  # upheld | dismissed
    decision_reason: str


@dataclass
class Scenario:
    seed: int
    year: int
    version: PolicyVersion  # the policy version in force through the year played
    entries: list[Entry]
    recusal: tuple[str, int, str, str]  # (clause, entry n, reviewer, reason)
    objections: tuple[Objection, ...]
    clawback_share: Decimal = Decimal("0.40")
    clawback_reason: str = "运营中心第二年度绩效评价不合格：运营成本中 40% 未能提供有效凭证，依规收回相应补贴。"
    retry_of: int = 1  # the entry a portal sends twice (same key, same body)

    @property
    def rules(self) -> Mapping[str, ClauseRule]:
        return self.version.rules

    def title(self, clause: str) -> tuple[str, str]:
        c = next(c for c in self.version.data["clauses"] if c["id"] == clause)
        return c["title_zh"], c["title_en"]

    @property
    def selections(self) -> list[str]:
        return [c for c, rule in self.rules.items() if rule.is_selection]

    def by_clause(self, clause: str) -> list[Entry]:
        return [e for e in self.entries if e.clause == clause]

    def story(self, name: str) -> list[Entry]:
        return [e for e in self.entries if name in e.stories]

    def organisations(self) -> int:
        return len({e.organisation.credit_code for e in self.entries})

    def scores(self, entry: Entry, reviewer: str) -> dict[str, int]:
        """The reviewer's scores of the candidate, criterion by criterion: its merit, the reviewer's
        leaning and some disagreement, deterministic by seed."""
        criteria = self.rules[entry.clause].selection.criteria
        rng = random.Random(f"{self.seed}:{self.year}:review:{entry.n}:{reviewer}")
        leaning = random.Random(f"{self.seed}:{self.year}:leaning:{reviewer}").randint(-4, 4)
        assert entry.quality is not None, "only candidates are scored, and every candidate has a quality"
        merit = entry.quality + leaning
        return {c.id: max(0, min(100, round(merit + rng.gauss(0, 4)))) for c in criteria}


def _allocate(total: int, clauses: list[str]) -> dict[str, int]:
    """Applications per clause: the minimums, then the rest by weight (largest remainders), with no
    more demonstration bases than Chengdu has districts."""
    counts = {c: _MINIMUM.get(c, 1) for c in clauses}
    rest = total - sum(counts.values())
    weights = {c: _WEIGHT[c] for c in clauses}
    whole = sum(weights.values())
    shares = {c: rest * w / whole for c, w in weights.items()}
    for c in clauses:
        counts[c] += int(shares[c])
    for c in sorted(clauses, key=lambda c: (-(shares[c] - int(shares[c])), c))[: total - sum(counts.values())]:
        counts[c] += 1
    spare = counts["3.6-demo-base"] - 20
    if spare > 0:
        counts["3.6-demo-base"] -= spare
        counts["4.9-standard"] += spare
    return counts


def _occurred_on(rng: random.Random, year: int, clause: str, version: PolicyVersion) -> date:
    first = date(year, 3, 1) if clause == "3.5-external-revenue" else date(year, 1, 8)
    first = max(first, version.first_day + timedelta(days=1))
    last = date(year, 8, 30)
    return first + timedelta(days=rng.randrange((last - first).days + 1))


def _full_width(text: str) -> str:
    """The same identifier typed with a Chinese input method's full-width characters."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def generate(
    book: PolicyBook, applications: int = DEFAULT_APPLICATIONS, seed: int = 2024, year: int = 2024
) -> Scenario:
    """The year: `applications` applications (at least MIN_APPLICATIONS) across every clause of the
    policy version in force through it."""
    if applications < MIN_APPLICATIONS:
        raise ValueError(
            f"at least {MIN_APPLICATIONS} applications are needed to cover every clause and the year's stories"
        )
    version = book.version_on(date(year, 3, 1))
    if version is None or book.version_on(date(year, 8, 30)) is not version:
        raise ValueError(f"no policy version is in force through {year}: the demo plays a year of the policy")
    rng = random.Random(f"{seed}:{year}")
    registry = _Registry(rng)
    rules = version.rules
    clauses = list(rules)
    # Two of the applications are the year's extra claims (a node claimed twice, a co-built node).
    counts = _allocate(applications - 2, clauses)
    entries: list[Entry] = []
    firsts: dict[str, Entry] = {}
    leading: list[Organisation] = []
    revenue: dict[str, str] = {}

    def add(clause: str, org: Organisation, facts: dict, occurred: date, **kw) -> Entry:
        n = len(entries) + 1
        application = {
            "clause": clause,
            "occurred_on": occurred.isoformat(),
            "applicant": {"credit_code": org.credit_code, "name": org.name, "kind": org.kind},
            "facts": facts,
        }
        rule = rules[clause]
        money = not rule.is_selection or rule.selection.if_selected is not None
        entry = Entry(n, clause, org, application, key=f"demo-{seed}-{year}-{n:04d}", money=money, **kw)
        entries.append(entry)
        return entry

    plan = [c for c in clauses for _ in range(counts[c])]
    rng.shuffle(plan)
    for clause in plan:
        org = None
        if clause == "3.5-external-revenue" and leading and rng.random() < 0.6:
            org = leading.pop()  # a leading enterprise also claims its revenue threshold
        org = org or registry.mint(_kind(clause, rng))
        facts = _facts(clause, rng, len(entries) + 1, year, org)
        if clause == "3.5-leading-enterprise":
            leading.append(org)
            revenue[org.credit_code] = facts["external_revenue"]
        elif clause == "3.5-external-revenue" and org.credit_code in revenue:
            facts["external_revenue"] = revenue[org.credit_code]  # the same year's figure, twice
        entry = add(clause, org, facts, _occurred_on(rng, year, clause, version))
        firsts.setdefault(clause, entry)

    # One project claims under both halves of 二（四）: built as a pilot, then a typical case.
    case, pilot = firsts["2.4-typical-case"], firsts["2.4-pilot-project"]
    case.organisation = pilot.organisation
    case.application["applicant"] = dict(pilot.application["applicant"])
    pilot.application["facts"]["project_id"] = case.application["facts"]["project_id"]
    pilot.stories.add("double_claim")
    case.stories.add("double_claim")

    # Some fall short on purpose: never the first of a clause (each clause has an award), and never
    # so many demonstration bases that the round would have no waiting list.
    bases = [e for e in entries if e.clause == "3.6-demo-base"]
    spare = [
        e
        for e in entries
        if e is not firsts[e.clause] and (e.clause != "3.6-demo-base" or (len(bases) >= 9 and e is bases[-1]))
    ]
    for entry in rng.sample(spare, max(3, round(0.1 * len(entries)))):
        change, kind = _SHORT[entry.clause]
        entry.application["facts"].update(change(rng))
        if kind:
            entry.organisation = registry.mint(kind)
            entry.application["applicant"] = {
                "credit_code": entry.organisation.credit_code,
                "name": entry.organisation.name,
                "kind": entry.organisation.kind,
            }
        entry.stories.add("short")

    for story, on in STORIES.items():
        for clause in on:
            firsts[clause].stories.add(story)
    for entry, ending in zip([e for e in entries if "bad_account" in e.stories], ("0004", "0001"), strict=False):
        entry.first_account = entry.organisation.account_number[:-4] + ending
    firsts["1.1-ops-center"].application["facts"]["operation_year"] = 2  # the clawback's performance review

    # The node claimed again by the same enterprise, typed full-width; and a node two enterprises built.
    node = firsts["1.1-node"]
    built = date.fromisoformat(node.application["occurred_on"])
    again = add(
        "1.1-node",
        node.organisation,
        dict(node.application["facts"], node_id=_full_width(node.application["facts"]["node_id"])),
        built + timedelta(days=40),
    )
    again.stories.add("duplicate")
    co = add(
        "1.1-node",
        registry.mint("enterprise"),
        dict(node.application["facts"], investment_cost=_yuan(rng, 800_000, 3_000_000)),
        built + timedelta(days=3),
    )
    co.stories.add("co_claim")

    # The panel sees merit: selection candidates get a quality their scores centre on.
    for clause in ("2.3-alliance-chain", "2.4-typical-case", "3.5-leading-enterprise", "3.6-demo-base"):
        group = [e for e in entries if e.clause == clause and "short" not in e.stories]
        low = 72 if clause == "3.6-demo-base" else 62
        for entry, q in zip(
            group,
            rng.sample(range(low, 96), len(group)) if len(group) <= 96 - low else [rng.randint(low, 95) for _ in group],
            strict=False,
        ):
            entry.quality = q
        if clause == "3.5-leading-enterprise" and len(group) >= 3:
            group[-1].quality = 50  # below the minimum score: never selected

    for entry in entries:
        if entry.money and "late_payee" not in entry.stories:
            entry.application["payee"] = entry.organisation.payee(entry.first_account)
        if rng.random() < 0.3:
            entry.application["contact"] = {
                "email": f"subsidy-{entry.organisation.slug.lower()}@example.cn",
                "language": "en" if rng.random() < 0.15 else "zh",
            }
    _predict(book, entries)

    first_case = firsts["2.3-alliance-chain"]
    recusal = ("2.3-alliance-chain", first_case.n, REVIEWERS[-1], "曾为该企业联盟链项目提供技术咨询服务，申请回避。")
    objections = (
        Objection(
            "3.6-demo-base",
            2,
            "李明",
            "13980001234",
            "该示范基地申报的入驻区块链企业数量与实际不符，部分企业已于上半年迁出本区，申报材料数据失实。",
            "upheld",
            "经现场核查，申报材料中入驻企业数据与实际不符，异议成立，取消其拟入选资格，由候补第一名递补。",
        ),
        Objection(
            "2.3-alliance-chain",
            1,
            "王芳",
            "wangfang@example.cn",
            "该联盟链的上链应用数量存疑，部分应用似未实际运行，请予以核实。",
            "dismissed",
            "经核查，上链应用均有运行日志和用户记录，申报数据属实，异议不成立。",
        ),
    )
    return Scenario(seed, year, version, entries, recusal, objections)


def _predict(book: PolicyBook, entries: list[Entry]) -> None:
    """What the policy engine decides for each, in order, with each applicant's grants so far: what
    eligibility will say (the year's tests hold the services to it)."""
    histories: dict[str, list[PriorGrant]] = {}
    for entry in entries:
        application = book.parse(entry.application)
        code = entry.organisation.credit_code
        decision = book.evaluate(application, History(tuple(histories.get(code, ()))))
        entry.expected, entry.expected_amount = decision.outcome, decision.amount
        entry.expected_reasons = tuple(r.code or r.fact for r in decision.reasons)
        if decision.outcome == "eligible":
            histories.setdefault(code, []).extend(
                PriorGrant(entry.clause, g.subject_key, g.amount, g.project_id) for g in decision.grants
            )
