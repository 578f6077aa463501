"""The public side: the notice (JSON and an HTML page) and objections. No key is needed; filing an
objection is limited per client address."""

from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from services.quota import objections
from services.quota import read as reading
from services.quota.api import page
from services.quota.api.schemas import ObjectionFiled, ObjectionIn, PublicRound
from services.quota.domain.lifecycle import RuleBroken
from shared.api_errors import ApiError, concerns, invalid, responses
from shared.policy.catalogue import clause_titles
from shared.policy.errors import field_errors
from shared.routes import act, policy_book, read

router = APIRouter(tags=["public notice"])


def _titles(request: Request) -> dict[str, tuple[str, str]]:
    return clause_titles(policy_book(request))


async def _limit(request: Request) -> None:
    host = request.client.host if request.client else "unknown"
    if wait := await request.app.state.limiter.retry_after(f"public:{host}", request.app.state.public_rate):
        raise ApiError(
            429,
            "rate_limited",
            f"too many objections from this address; retry after {wait} s",
            f"该地址提交过于频繁，请 {wait} 秒后重试",
            headers={"Retry-After": str(wait)},
        )


@router.get("/v1/notices", response_model=list[PublicRound])
async def notices(request: Request) -> list[dict]:
    """Rounds in public notice (公示) with their proposed selections and end dates, and the results of
    concluded rounds. Public: no key."""
    return await read(request, reading.public_rounds, _titles(request))


@router.post(
    "/v1/notices/{clause}/{year}/objections",
    status_code=201,
    response_model=ObjectionFiled,
    responses=responses(400, 404, 409, 422, 429),
    openapi_extra=concerns("objection"),
)
async def file_objection(request: Request, clause: str, year: int, body: ObjectionIn) -> dict:
    """Objects to a proposed selection during its notice, under your real name, with a contact and the
    reason. Public: no key. Refused after the candidate's notice end date."""
    await _limit(request)
    row = await act(
        request,
        objections.file,
        clause,
        year,
        body.application_id,
        name=body.name,
        contact=body.contact,
        reason=body.reason,
    )
    return {"id": row.id, "status": row.status, "filed_at": row.filed_at}


@router.get("/notices", response_class=HTMLResponse, include_in_schema=False)
async def notice_page(request: Request) -> HTMLResponse:
    rounds = await read(request, reading.public_rounds, _titles(request))
    return HTMLResponse(page.render(rounds))


@router.post("/notices/objections", response_class=HTMLResponse, include_in_schema=False)
async def notice_form(request: Request) -> HTMLResponse:
    """The page's objection form (application/x-www-form-urlencoded), answered with a page."""
    form = {
        k: v[0] for k, v in parse_qs((await request.body()).decode("utf-8", "replace"), keep_blank_values=True).items()
    }
    try:
        await _limit(request)
        clause, year, application_id = (form.get("candidate", "") + "||").split("|")[:3]
        try:
            body = ObjectionIn.model_validate(
                {
                    "application_id": application_id,
                    "name": form.get("name", ""),
                    "contact": form.get("contact", ""),
                    "reason": form.get("reason", ""),
                }
            )
        except ValidationError as e:
            raise invalid([f.to_json() for f in field_errors(e.errors(include_url=False))], "objection") from None
        if not year.isdigit():
            raise invalid(
                [
                    {
                        "field": "candidate",
                        "code": "missing",
                        "message_en": "candidate: choose one",
                        "message_zh": "candidate：请选择异议对象",
                    }
                ],
                "objection",
            )
        row = await act(
            request,
            objections.file,
            clause,
            int(year),
            body.application_id,
            name=body.name,
            contact=body.contact,
            reason=body.reason,
        )
    except (ApiError, RuleBroken) as e:
        err = (
            e.body["error"]
            if isinstance(e, ApiError)
            else {"message_zh": e.message_zh, "message_en": e.message_en, "fields": e.fields}
        )
        rounds = await read(request, reading.public_rounds, _titles(request))
        return HTMLResponse(page.render(rounds, problem=err, form=form), status_code=getattr(e, "status", 422))
    rounds = await read(request, reading.public_rounds, _titles(request))
    return HTMLResponse(page.render(rounds, filed=str(row.id)), status_code=201)
