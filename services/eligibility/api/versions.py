"""Policy versions over HTTP: drafted, read, approved and withdrawn by the commission's policy
officials (role `policy_admin`; `admin` may read). The rules live in `domain/versions.py`, the
bookkeeping in `versions.py`; a route translates HTTP to a call and back."""

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from services.eligibility import versions
from shared.api_errors import concerns, responses
from shared.auth import Caller, role
from shared.routes import act, read

router = APIRouter(prefix="/v1/policy", tags=["policy versions"])
PolicyAdmin = Annotated[Caller, role("policy_admin")]
PolicyReader = Annotated[Caller, role("policy_admin", "admin")]
VersionId = Annotated[str, Path(min_length=1, max_length=100, description="the version's id, as its text gives it")]
Reason = Annotated[str, Field(max_length=2000, description="why, in the officials' words (kept with the step)")]
MAX_SOURCE = 512 * 1024  # characters; the bundled version is about 40 KiB


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DraftCreate(_In):
    source: str = Field(
        min_length=1,
        max_length=MAX_SOURCE,
        description="The version as TOML, in the format of the bundled versions (`shared/policy/versions/`). "
        "Its `id` names the version; drafting the same id again replaces its draft.",
    )
    reason: Reason = ""


class Step(_In):
    reason: Reason = ""


class StepTaken(BaseModel):
    step: Literal["drafted", "redrafted", "approved", "withdrawn"]
    content_hash: str
    by: str
    at: datetime
    reason: str


class VersionSummary(BaseModel):
    version_id: str
    content_hash: str = Field(description="sha256 of the text's UTF-8 bytes")
    state: Literal["draft", "approved", "withdrawn"]
    first_day: date
    last_day: date
    drafted_by: str
    drafted_at: datetime
    approved_by: str | None
    approved_at: datetime | None
    withdrawn_by: str | None
    withdrawn_at: datetime | None


class Version(VersionSummary):
    source: str
    steps: list[StepTaken]


@router.post(
    "/drafts",
    status_code=201,
    response_model=Version,
    responses=responses(401, 403, 409, 422, 429),
    openapi_extra=concerns("policy_draft"),
)
async def draft(request: Request, caller: PolicyAdmin, body: DraftCreate) -> Version:
    """Drafts a version from its text; the caller is its drafter. A text that is not a version the
    engine can apply, or that does not fit the policy book (an id or a first day another version has,
    a clause whose facts differ), is refused with each problem (422 `invalid_policy_version`), and
    nothing is stored. An approved or withdrawn id is refused (409)."""
    return Version(**await act(request, versions.draft, body.source, caller.partner_id, body.reason))


@router.get("/versions", response_model=list[VersionSummary], responses=responses(401, 403, 429))
async def list_versions(request: Request, _: PolicyReader) -> list[VersionSummary]:
    """Every version drafted here, in order of first day: drafts, approved and withdrawn. (The
    versions bundled with the release, or given in POLICY_EXTRA_FILES, are not managed here.)"""
    return [VersionSummary(**v) for v in await read(request, versions.listing)]


@router.get("/versions/{version_id}", response_model=Version, responses=responses(401, 403, 404, 429))
async def get_version(request: Request, _: PolicyReader, version_id: VersionId) -> Version:
    """A version, its text and every step taken on it: who, when and why."""
    return Version(**await read(request, versions.one, version_id))


@router.post(
    "/versions/{version_id}/approval",
    response_model=Version,
    responses=responses(401, 403, 404, 409, 422, 429),
    openapi_extra=concerns("approval"),
)
async def approve(request: Request, caller: PolicyAdmin, version_id: VersionId, body: Step | None = None) -> Version:
    """Approves a draft, which every service then adds to its policy book, with no restart: applications
    are decided under it from its first day. Its drafter may not approve it (403 `four_eyes`); a version
    that is not a draft is refused (409), and so is one that no longer fits the book (422)."""
    return Version(**await act(request, versions.approve, version_id, caller.partner_id, (body or Step()).reason))


@router.post(
    "/versions/{version_id}/withdrawal",
    response_model=Version,
    responses=responses(401, 403, 404, 409, 422, 429),
    openapi_extra=concerns("withdrawal"),
)
async def withdraw(request: Request, caller: PolicyAdmin, version_id: VersionId, body: Step | None = None) -> Version:
    """Withdraws a draft, or an approved version whose first day is still ahead and under which nothing
    was decided (409 `version_in_force`, `version_used` otherwise); every service takes it out of its book."""
    return Version(**await act(request, versions.withdraw, version_id, caller.partner_id, (body or Step()).reason))
