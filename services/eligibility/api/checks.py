"""A version's text checked, compared and replayed over HTTP, as `subsidy policy validate`, `diff` and
`whatif` do: for the policy officials (`policy_admin`) and administrators, before a draft is saved
or approved. Nothing is stored and nobody is told; the work is in `checks.py`."""

import datetime as dt
import re
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query, Request
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from services.eligibility import checks, versions
from services.eligibility.api.versions import MAX_SOURCE, PolicyReader, VersionId
from shared.api_errors import concerns, responses
from shared.refusal import Refused
from shared.routes import read, wiring

router = APIRouter(prefix="/v1/policy", tags=["policy checks"])
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso_date(value: object) -> object:
    # Only YYYY-MM-DD: pydantic would otherwise read a number as a Unix time, and Python "20240101".
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str) or not _DAY.fullmatch(value):
        raise ValueError("expected a date YYYY-MM-DD")
    return dt.date.fromisoformat(value)


Day = Annotated[dt.date, BeforeValidator(_iso_date)]
Money = Annotated[str, Field(pattern=r"^-?[0-9]+\.[0-9]{2}$", description="yuan, a decimal string")]
BodyVersionId = Annotated[str, Field(min_length=1, max_length=100)]
Source = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_SOURCE,
        description="A version as TOML, in the format of the bundled versions (`shared/policy/versions/`).",
    ),
]

# An illustrative renewal, one clause long, that fits the bundled policy: the documented examples run it.
EXAMPLE_SOURCE = """\
id = "example-renewal-2027"
title_zh = "（示例，非现行政策）续期示例"
title_en = "(An illustration, not law) a renewal"
first_day = 2027-02-10
last_day = 2029-02-09
window_article = "施行期"
window_wording_zh = "（示例）本政策自 2027 年 2 月 10 日起施行，有效期 2 年。"
tier_mode = "every_tier"
double_claim = "allowed"
notice_working_days = 5

[enums]
node_level = ["national_super", "national_backbone", "provincial", "municipal", "other"]

[[clauses]]
id = "1.1-node"
article = "一（一）"
title_zh = "国家、省级区块链基础设施节点在蓉建设补贴"
title_en = "Building a national or provincial blockchain-infrastructure node in Chengdu"
summary_zh = "（示例）按投入成本的 30% 给予最高 100 万元一次性补贴，每个节点一次。"
summary_en = "(An illustration) 30% of the investment cost, at most 1,000,000 yuan, once per node."
wording_zh = "（示例）按企业或机构投入成本的 30% 给予最高 100 万元一次性补贴。"
formula = "rate_with_cap"
applicant_kinds = ["enterprise", "institution"]
subject = "node_id"
one_time = true
base = "investment_cost"
rate = "0.30"
cap = "1000000"
[clauses.facts]
node_id = "id"
node_level = "enum:node_level"
investment_cost = "money"
[[clauses.conditions]]
fact = "node_level"
op = "∈"
value = ["national_super", "national_backbone", "provincial"]
wording_zh = "超级节点、骨干节点及省级区块链基础设施节点"
[[clauses.conditions]]
fact = "investment_cost"
op = ">"
value = "0"
wording_zh = "按企业或机构投入成本"
"""


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class CheckRequest(_In):
    source: Source
    against: BodyVersionId | None = Field(
        None,
        description="A version of the policy book to compare with (404 if the book has none of that id); "
        "null: the newest version other than the text's own.",
    )


class PolicyProblem(BaseModel):
    key: str = Field(description='The TOML key path, e.g. "clauses[0].rate"; "" for the text as a whole.')
    clause: str | None = Field(description="The clause's id, when the problem is in one.")
    code: str = Field(description='A short stable name for the rule broken, e.g. "rate_out_of_range".')
    en: str
    zh: str
    line: int | None = Field(description="The line, where it is known (syntax errors).")


class PolicyChange(BaseModel):
    what: str = Field(description='What changed: "window", "rate", "cap", "tier", "condition", "fact", …')
    item: str | None = Field(description="Which one, where there are several: the fact, the tier's threshold, …")
    old: str | None = Field(description="null: added")
    new: str | None = Field(description="null: removed")
    zh: str = Field(description="The change in Chinese words")
    en: str = Field(description="The change in English words")


class ClauseDiff(BaseModel):
    clause: str
    status: Literal["added", "removed", "changed"]
    article: str
    title_zh: str
    title_en: str
    changes: list[PolicyChange] = Field(description="An added clause: all its terms; a removed one: none.")


class VersionDiff(BaseModel):
    old: str = Field(description="The version compared with")
    new: str = Field(description="The text's version")
    changes: list[PolicyChange] = Field(description="The version's own terms: window, interpretive parameters, enums")
    clauses: list[ClauseDiff] = Field(description="Only the clauses that differ, in the new version's order")
    unchanged: list[str] = Field(description="The ids of the clauses both hold, the same")


class DiffText(BaseModel):
    zh: str
    en: str


class CheckResult(BaseModel):
    valid: bool = Field(description="Whether the text could be drafted now")
    version: str | None = Field(description="The version's id, where the text is a version at all")
    problems: list[PolicyProblem] = Field(description="Each problem, by TOML key; empty when valid")
    diff: VersionDiff | None = Field(description="What the text changes, where it is a version at all")
    diff_text: DiffText | None = Field(description="The diff in words, as `subsidy policy diff` prints it")


class WhatIfSums(BaseModel):
    baseline: Money = Field(description="paid as decided")
    draft: Money = Field(description="what the text would have paid")
    delta: Money = Field(description="draft − baseline")


class WhatIfTally(BaseModel):
    applications: int = Field(ge=0, description="replayed and compared")
    skipped: int = Field(ge=0, description="stored without their application: not replayed")
    changed: int = Field(ge=0, description="outcome or amount paid differs")
    gained: int = Field(ge=0, description="would be paid more")
    lost: int = Field(ge=0, description="would be paid less")
    newly_eligible: int = Field(ge=0)
    no_longer_eligible: int = Field(ge=0)
    total: WhatIfSums


class ApplicantChange(BaseModel):
    credit_code: str
    name: str
    baseline: Money
    draft: Money
    delta: Money


class WhatIfReport(WhatIfTally):
    clauses: dict[str, WhatIfTally] = Field(description="By clause id")
    years: dict[str, WhatIfTally] = Field(description="By budget year (the year an award is charged to)")
    applicants: list[ApplicantChange] = Field(description="The largest changes first (at most 20)")


class _Period(_In):
    first: Day = Field(alias="from", description="The first application date (occurred_on) replayed")
    last: Day = Field(alias="to", description="The last application date replayed (inclusive; not before `from`)")


class WhatIfOfText(_Period):
    source: Source


class WhatIfOfVersion(_Period):
    version: BodyVersionId = Field(description="A version stored here (a draft, or one approved or withdrawn)")


WHATIF_EXAMPLES: dict[str, Any] = {
    "a text": {
        "summary": "An illustrative renewal, over 2024",
        "value": {"source": EXAMPLE_SOURCE, "from": "2024-01-01", "to": "2024-12-31"},
    }
}
CHECK_EXAMPLES: dict[str, Any] = {
    "a renewal": {"summary": "An illustrative renewal", "value": {"source": EXAMPLE_SOURCE, "against": None}},
    "a broken text": {"summary": "A text that is no version", "value": {"source": 'id = "broken"\n'}},
}


def _period(first: dt.date, last: dt.date, where: str) -> None:
    if first > last:
        raise Refused(
            "invalid_period",
            f"the period ends ({last}) before it starts ({first})",
            f"期间的结束日（{last}）早于开始日（{first}）",
            status=422,
            fields=[
                {
                    "field": f"{where}.to",
                    "code": "invalid_period",
                    "message_en": "not before `from`",
                    "message_zh": "不得早于开始日",
                }
            ],
        )


@router.post(
    "/checks",
    response_model=CheckResult,
    responses=responses(401, 403, 404, 422, 429),
    openapi_extra=concerns("policy_check"),
)
async def check(
    request: Request, _: PolicyReader, body: Annotated[CheckRequest, Body(openapi_examples=CHECK_EXAMPLES)]
) -> CheckResult:
    """Checks a version's text as a draft of it would be checked, storing nothing: `valid`, or each
    problem by its TOML key and clause, in English and Chinese (a text that is not TOML, or not a
    version, or does not fit the policy book, or reuses an approved or withdrawn id). Where the text is
    a version at all, also what it changes from `against`, clause by clause. An invalid text is a
    result (200), not an error."""
    return CheckResult(**await read(request, checks.check, request.app.state.ctx, body.source, body.against))


@router.post(
    "/whatif",
    response_model=WhatIfReport,
    responses=responses(401, 403, 404, 422, 429),
    openapi_extra=concerns("whatif"),
)
async def whatif(
    request: Request,
    _: PolicyReader,
    body: Annotated[WhatIfOfText | WhatIfOfVersion, Body(openapi_examples=WHATIF_EXAMPLES)],
) -> WhatIfReport:
    """What a version would have changed, as `subsidy policy whatif` reports it: every stored
    application dated `from` … `to` decided again as if the version (its `source`, or the stored
    `version`) had been in force on its date, in the order the decisions were taken, and compared with
    its decision: in total, per clause, per budget year, and for whom most. Nothing is stored and
    nobody is told. A text that is no version, or does not fit the book: 422 `invalid_policy_version`
    with each problem; a period that ends before it starts: 422 `invalid_period`."""
    _period(body.first, body.last, "body")
    if isinstance(body, WhatIfOfText):
        source = body.source
    else:
        source = (await read(request, versions.one, body.version))["source"]
    return await _whatif(request, source, body.first, body.last)


@router.get("/versions/{version_id}/whatif", response_model=WhatIfReport, responses=responses(401, 403, 404, 422, 429))
async def stored_whatif(
    request: Request,
    _: PolicyReader,
    version_id: VersionId,
    first: Annotated[Day, Query(alias="from", description="The first application date replayed, YYYY-MM-DD")],
    last: Annotated[Day, Query(alias="to", description="The last application date replayed, YYYY-MM-DD")],
) -> WhatIfReport:
    """What a stored version (a draft, or one approved or withdrawn) would have changed on the
    applications dated `from` … `to`: the report of `POST /v1/policy/whatif`."""
    _period(first, last, "query")
    source = (await read(request, versions.one, version_id))["source"]
    return await _whatif(request, source, first, last)


async def _whatif(request: Request, source: str, first: dt.date, last: dt.date) -> WhatIfReport:
    report = await checks.whatif(wiring(request).sessions, request.app.state.ctx, source, first, last)
    return WhatIfReport(**report)
