"""The policy's versions, through eligibility's API with the official's own key: policy officials
(`policy_admin`) check a new text (uploaded or pasted: its problems by TOML key, or what it changes
and what it would have paid), save it as a draft, and approve another official's draft or withdraw
one; administrators read. Eligibility decides every step (four eyes included), and a refusal is
shown on the page with its reason.

A text travels from form to form in the page itself (a hidden field), never kept by the console.
Browsers send a form's line ends as CRLF, so every text is read with LF line ends (an uploaded file's
too), and the text checked is the text saved."""

import datetime as dt
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from services.console import labels, whatif
from services.console.upstream import UpstreamRefused
from services.console.web import paging
from services.console.web.deps import PolicyAdmin, PolicyReader, Upload, console, form, key, upload_form
from services.console.web.render import BEIJING

router = APIRouter(prefix="/policy")


def _path(version_id: str) -> str:
    return f"/v1/policy/versions/{quote(version_id, safe='')}"


def _today() -> dt.date:
    return dt.datetime.now(BEIJING).date()


def _text(upload: Upload) -> str:
    """The text the official gave: the file chosen, or else what was pasted (or carried over)."""
    raw = upload.files.get("file") or b""
    if raw:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise UpstreamRefused(
                422, "encoding", "所选文件不是 UTF-8 编码的文本。", "The file chosen is not UTF-8 text."
            ) from None
    else:
        text = upload.fields.get("source", "")
    text = text.replace("\r\n", "\n")
    if not text.strip():
        raise UpstreamRefused(
            422, "missing", "请选择 TOML 文件，或粘贴其内容。", "Choose a TOML file, or paste its text."
        )
    return text


def _default_period(request: Request, checked: dict[str, Any] | None) -> dict[str, str]:
    """Everything decided under the version compared with, up to today; else the past year."""
    today = _today()
    old = (checked or {}).get("diff") or {}
    found = next((v for v in console(request).policy.book.versions if v.id == old.get("old")), None)
    first = found.first_day if found and found.first_day <= today else today - dt.timedelta(days=365)
    return {"from": first.isoformat(), "to": today.isoformat()}


async def _check(request: Request, api_key: str, source: str) -> dict[str, Any]:
    return await console(request).upstream.call(
        "eligibility", "POST", "/v1/policy/checks", api_key, json={"source": source, "against": None}
    )


# ---- every version ----


@router.get("")
async def list_versions(request: Request, me: PolicyReader) -> Response:
    c = console(request)
    listed = await c.upstream.get("eligibility", "/v1/policy/versions", key(request, me))
    managed = {v["version_id"] for v in listed}
    shown = paging.page(request, listed, "/policy")
    return c.pages.render(
        request,
        "policy/list.html",
        versions=shown.items,
        listed=shown,
        book=[v for v in c.policy.book.versions if v.id not in managed],
        today=_today(),
    )


# ---- a new text: checked, replayed, saved as a draft ----


@router.get("/new")
async def new_draft(request: Request, me: PolicyAdmin) -> Response:
    return console(request).pages.render(request, "policy/new.html", problem=None, pasted="")


async def _check_page(
    request: Request,
    me,
    source: str,
    *,
    period: dict[str, str] | None = None,
    problem: UpstreamRefused | None = None,
    reason: str = "",
) -> Response:
    c, api_key = console(request), key(request, me)
    checked = await _check(request, api_key, source)
    report = None
    if period is not None and checked["valid"] and problem is None:
        try:
            answer = await c.upstream.call(
                "eligibility", "POST", "/v1/policy/whatif", api_key, json={"source": source, **period}
            )
            report = whatif.read(answer)
        except UpstreamRefused as refused:
            problem = refused
    return c.pages.render(
        request,
        "policy/check.html",
        status=problem.status if problem else 200,
        source=source,
        checked=checked,
        report=report,
        period=period or _default_period(request, checked),
        problem=problem,
        reason=reason,
    )


@router.post("/check")
async def check_text(request: Request, me: PolicyAdmin) -> Response:
    upload = await upload_form(request, me)
    try:
        source = _text(upload)
    except UpstreamRefused as refused:
        pasted = upload.fields.get("source", "")
        return console(request).pages.render(
            request, "policy/new.html", status=refused.status, problem=refused, pasted=pasted
        )
    return await _check_page(request, me, source)


@router.post("/whatif")
async def whatif_of_text(request: Request, me: PolicyAdmin) -> Response:
    upload = await upload_form(request, me)
    period = {"from": upload.fields.get("from", ""), "to": upload.fields.get("to", "")}
    return await _check_page(request, me, _text(upload), period=period, reason=upload.fields.get("reason", ""))


@router.post("/drafts")
async def save_draft(request: Request, me: PolicyAdmin) -> Response:
    upload = await upload_form(request, me)
    source, reason = _text(upload), upload.fields.get("reason", "").strip()
    try:
        saved = await console(request).upstream.call(
            "eligibility", "POST", "/v1/policy/drafts", key(request, me), json={"source": source, "reason": reason}
        )
    except UpstreamRefused as refused:
        return await _check_page(request, me, source, problem=refused, reason=reason)
    return RedirectResponse(f"/policy/versions/{quote(saved['version_id'], safe='')}?done=policy_drafted", 303)


# ---- one version: its changes, a what-if, approval and withdrawal ----


async def _version_page(request: Request, me, version_id: str, *, problem: UpstreamRefused | None = None) -> Response:
    c, api_key, q = console(request), key(request, me), request.query_params
    version = await c.upstream.get("eligibility", _path(version_id), api_key)
    checked = await _check(request, api_key, version["source"])
    period = {"from": q.get("from", ""), "to": q.get("to", "")}
    report = None
    if period["from"] or period["to"]:
        try:
            report = whatif.read(await c.upstream.get("eligibility", _path(version_id) + "/whatif", api_key, **period))
        except UpstreamRefused as refused:
            problem = problem or refused
    else:
        period = _default_period(request, checked)
    first_day = dt.date.fromisoformat(version["first_day"])
    return c.pages.render(
        request,
        "policy/version.html",
        status=problem.status if problem else 200,
        version=version,
        checked=checked,
        report=report,
        period=period,
        problem=problem,
        done=labels.DONE.get(q.get("done", "")),
        may_withdraw=version["state"] == "draft" or (version["state"] == "approved" and first_day > _today()),
    )


@router.get("/versions/{version_id}")
async def show_version(request: Request, me: PolicyReader, version_id: str) -> Response:
    return await _version_page(request, me, version_id)


async def _step(request: Request, me, version_id: str, step: str) -> Response:
    fields = await form(request, me)
    try:
        await console(request).upstream.call(
            "eligibility",
            "POST",
            f"{_path(version_id)}/{step}",
            key(request, me),
            json={"reason": fields.get("reason", "").strip()},
        )
    except UpstreamRefused as refused:
        return await _version_page(request, me, version_id, problem=refused)
    done = "policy_approved" if step == "approval" else "policy_withdrawn"
    return RedirectResponse(f"/policy/versions/{quote(version_id, safe='')}?done={done}", status_code=303)


@router.post("/versions/{version_id}/approval")
async def approve(request: Request, me: PolicyAdmin, version_id: str) -> Response:
    return await _step(request, me, version_id, "approval")


@router.post("/versions/{version_id}/withdrawal")
async def withdraw(request: Request, me: PolicyAdmin, version_id: str) -> Response:
    return await _step(request, me, version_id, "withdrawal")
