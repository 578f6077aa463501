"""For administrators: each service's health, and the dead letters, read and replayed by the one
shared reader and replayer (`shared/messaging/dead_letters.py`, as `subsidy dead-letters` is): a
letter is named by its id, and claimed by that id in the console's database before it is sent, so
a letter goes back once only, however many console replicas are asked at once."""

import asyncio
import re
from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.exc import SQLAlchemyError

from services.console import health, labels
from services.console.replays import ReplayClaims
from services.console.upstream import Unavailable, UpstreamRefused
from services.console.web import paging
from services.console.web.deps import Admin, console, form
from services.console.web.render import BEIJING
from shared.messaging import dead_letters

router = APIRouter()
LETTER_ID = re.compile(r"[0-9a-f]{16}")


@router.get("/health")
async def show_health(request: Request, me: Admin) -> Response:
    c = console(request)
    services = await health.everything(c.upstream.client, c.settings)
    runtime = request.app.state.runtime
    myself = {
        "problem": runtime.unhealthy(),
        "unready": await runtime.unready(),
        "loops": [
            {
                "name": loop.name,
                "running": not loop.task.done(),
                "restarts": loop.restarts,
                "last_error": loop.last_error,
            }
            for loop in runtime.loops
        ],
    }
    return c.pages.render(request, "operations/health.html", services=services, myself=myself)


async def _letters(request: Request) -> tuple[list[dead_letters.Letter], set[str]]:
    """Every letter, newest first, each once (one published again from an outbox is the same letter)."""
    c = console(request)
    try:
        async with asyncio.timeout(c.settings.console_api_timeout_s):
            found, replayed = await dead_letters.letters(c.settings.brokers)
    except Exception:
        raise Unavailable("broker") from None
    unique = {letter.id: letter for letter in reversed(found)}
    newest = sorted(unique.values(), key=lambda d: (d.at, d.record.partition, d.record.offset), reverse=True)
    return newest, replayed


@router.get("/dead-letters")
async def list_dead_letters(request: Request, me: Admin) -> Response:
    q = request.query_params
    consumer, kind, state = q.get("consumer", ""), q.get("type", ""), q.get("state", "")
    found, replayed = await _letters(request)
    shown = [
        d
        for d in found
        if (not consumer or d.consumer == consumer)
        and (not kind or d.type == kind)
        and (state != "waiting" or d.id not in replayed)
        and (state != "replayed" or d.id in replayed)
    ]
    listed = paging.page(request, shown, "/dead-letters", {"consumer": consumer, "type": kind, "state": state})
    return console(request).pages.render(
        request,
        "operations/dead_letters.html",
        letters=listed.items,
        listed=listed,
        matching=len(shown),
        total=len(found),
        replayed=replayed,
        counts=dead_letters.summary(found),
        consumer=consumer,
        kind=kind,
        state=state,
    )


async def _letter_page(request: Request, letter_id: str, *, problem: UpstreamRefused | None = None) -> Response:
    found, replayed = await _letters(request) if LETTER_ID.fullmatch(letter_id) else ([], set())
    letter = next((d for d in found if d.id == letter_id), None)
    if letter is None:
        raise UpstreamRefused(404, "not_found", "没有这封死信。", "No such dead letter.")
    return console(request).pages.render(
        request,
        "operations/dead_letter.html",
        status=problem.status if problem else 200,
        letter=letter,
        replayed=letter.id in replayed,
        problem=problem,
        done=labels.DONE.get(request.query_params.get("done", "")),
    )


@router.get("/dead-letters/{letter_id}")
async def show_dead_letter(request: Request, me: Admin, letter_id: str) -> Response:
    return await _letter_page(request, letter_id)


def _not_sent(letter_id: str, held: dead_letters.Claim | None) -> UpstreamRefused:
    """Why a replay sent nothing: the letter went back before, or a replay claimed it and has not
    confirmed sending it (in progress, or stopped midway: then an operator sends it again)."""
    if held is None or held.state == "sent":
        return UpstreamRefused(
            409,
            "already_replayed",
            "这封死信已重放过，未再次发送。若事件再次失败，会作为一封新的死信出现。",
            "This dead letter was replayed before; nothing was sent again. Should the event fail again, it comes back "
            "as a new dead letter.",
        )
    at = held.at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")
    return UpstreamRefused(
        409,
        "replay_unconfirmed",
        f"这封死信已由 {held.by} 于 {at}（北京时间）认领重放，尚未确认发送。若长时间仍未确认，说明重放中途停止："
        f"请运行 subsidy dead-letters replay --id {letter_id} --resend-unconfirmed 再次发送。",
        f"This dead letter was claimed for replay by {held.by} at {at} (Beijing time) and its sending is not "
        f"confirmed yet. If it stays so, that replay stopped midway: send it again with "
        f"`subsidy dead-letters replay --id {letter_id} --resend-unconfirmed`.",
    )


def _too_old(days: float) -> UpstreamRefused:
    """The services' inboxes no longer remember the event: groups that had handled it would again."""
    return UpstreamRefused(
        409,
        "too_old_to_replay",
        f"这封死信的事件早于收件箱的保留期（INBOX_RETENTION_DAYS，{days:g} 天），未重放："
        "已处理过它的消费组会再处理一次。",
        f"This dead letter's event is older than the inboxes remember (INBOX_RETENTION_DAYS, {days:g} days); it was "
        "not replayed: the groups that had handled it would handle it again.",
    )


@router.post("/dead-letters/{letter_id}/replay")
async def replay_dead_letter(request: Request, me: Admin, letter_id: str) -> Response:
    """What `subsidy dead-letters replay --id ID` does: the event back to its topic, unless a replay
    (this replica's, another's, the command's) claimed it already."""
    await form(request, me)
    if not LETTER_ID.fullmatch(letter_id):  # never an empty filter, which would replay every letter
        raise UpstreamRefused(404, "not_found", "没有这封死信。", "No such dead letter.")
    c = console(request)
    try:
        # No timeout of ours: one cut short between claiming the letter and sending it would leave
        # it claimed and unsent, for an operator to send again on purpose.
        done = await dead_letters.replay(
            c.settings.brokers,
            ids=[letter_id],
            claims=ReplayClaims(c.db),
            by=f"console:{me.account}",
            inbox_retention=timedelta(days=c.settings.inbox_retention_days),
        )
    except SQLAlchemyError:  # where the claims are kept
        raise Unavailable("database") from None
    except Exception:
        raise Unavailable("broker") from None
    if done.sent:
        return RedirectResponse(f"/dead-letters/{letter_id}?done=replayed", status_code=303)
    if done.too_old:
        return await _letter_page(request, letter_id, problem=_too_old(c.settings.inbox_retention_days))
    return await _letter_page(request, letter_id, problem=_not_sent(letter_id, done.held.get(letter_id)))
