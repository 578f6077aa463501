"""One award's payouts and the corrections an admin makes to them, through the same API routes as any
other caller, with the official's own key — so the same rules apply and the service records the
official's account as the one who acted (`by`): cancel an award whose money has not left
(`POST /v1/awards/{id}/cancel`), record a clawback (`POST /v1/awards/{id}/clawbacks`), and correct
the applicant's bank details (intake's `PUT /v1/applications/{id}/payee`, which payout follows).
Cancelling and clawing back cannot be undone: each form must be confirmed."""

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from services.console import budgets, labels
from services.console.upstream import UpstreamRefused
from services.console.web.deps import Admin, Money, confirmed, console, form, key

router = APIRouter(prefix="/payouts/awards")
ATTEMPTS = 100  # an award's payouts: one per attempt, a handful at most


async def _attempts(request: Request, me, award_id: uuid.UUID) -> list[dict]:
    """The award's payouts, newest first; an award payout has never paid towards is not found."""
    found = await console(request).upstream.get(
        "payout", "/v1/payouts", key(request, me), award_id=str(award_id), limit=ATTEMPTS
    )
    if not found:
        raise UpstreamRefused(404, "not_found", "没有这项奖励的拨付。", "No payout of this award.")
    return found


async def _page(
    request: Request,
    me,
    award_id: uuid.UUID,
    *,
    problem: UpstreamRefused | None = None,
    entered: dict | None = None,
    form_name: str = "",
) -> Response:
    attempts = await _attempts(request, me, award_id)
    recorded = await console(request).upstream.get("payout", f"/v1/awards/{award_id}/clawbacks", key(request, me))
    return console(request).pages.render(
        request,
        "payouts/award.html",
        status=problem.status if problem else 200,
        award_id=award_id,
        latest=attempts[0],
        attempts=attempts,
        clawbacks=recorded,
        problem=problem,
        failed=form_name if problem else "",
        entered=entered or {},
        clawback_key=str(uuid.uuid4()),  # a double submit of one form is one clawback
        done=labels.DONE.get(request.query_params.get("done", "")),
    )


@router.get("/{award_id}")
async def show_award(request: Request, me: Money, award_id: uuid.UUID) -> Response:
    return await _page(request, me, award_id)


@router.post("/{award_id}/cancel")
async def cancel_award(request: Request, me: Admin, award_id: uuid.UUID) -> Response:
    fields = await form(request, me)
    try:
        confirmed(fields)
        await console(request).upstream.call(
            "payout",
            "POST",
            f"/v1/awards/{award_id}/cancel",
            key(request, me),
            json={"reason": fields.get("reason", "").strip()},
        )
    except UpstreamRefused as refused:
        return await _page(request, me, award_id, problem=refused, entered=fields, form_name="cancel")
    return RedirectResponse(f"/payouts/awards/{award_id}?done=award_cancelled", status_code=303)


@router.post("/{award_id}/clawbacks")
async def record_clawback(request: Request, me: Admin, award_id: uuid.UUID) -> Response:
    fields = await form(request, me)
    try:
        confirmed(fields)
        made = await console(request).upstream.call(
            "payout",
            "POST",
            f"/v1/awards/{award_id}/clawbacks",
            key(request, me),
            json={
                "key": fields.get("key", ""),
                "amount": budgets.typed_amount(fields.get("amount", "")),
                "reason": fields.get("reason", "").strip(),
            },
        )
    except UpstreamRefused as refused:
        return await _page(request, me, award_id, problem=refused, entered=fields, form_name="clawback")
    return RedirectResponse(f"/payouts/awards/{made['award_id']}?done=clawback_recorded", status_code=303)


@router.post("/{award_id}/payee")
async def correct_payee(request: Request, me: Admin, award_id: uuid.UUID) -> Response:
    fields = await form(request, me)
    payee = {name: fields.get(name, "").strip() for name in ("account_name", "account_number", "bank")}
    try:
        # The application is the award's, as payout knows it: never one named by the form.
        application_id = (await _attempts(request, me, award_id))[0]["application_id"]
        await console(request).upstream.call(
            "intake", "PUT", f"/v1/applications/{application_id}/payee", key(request, me), json=payee
        )
    except UpstreamRefused as refused:
        return await _page(request, me, award_id, problem=refused, entered=fields, form_name="payee")
    return RedirectResponse(f"/payouts/awards/{award_id}?done=payee_corrected", status_code=303)
