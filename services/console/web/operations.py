"""For administrators: each service's health, and the dead letters, read and replayed by the one
shared reader and replayer (`shared/messaging/dead_letters.py`, as `subsidy dead-letters` is): a
letter is named by its id, and a replay is recorded by that id, so a letter goes back once only."""

import asyncio
import re

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from services.console import health, labels
from services.console.upstream import Unavailable, UpstreamRefused
from services.console.web.deps import Admin, console, form
from shared.messaging import dead_letters

router = APIRouter()
LETTER_ID = re.compile(r"[0-9a-f]{16}")
SHOWN = 200  # newest letters listed; the counts in the filters cover them all
# Two clicks in this console at once replay a letter once; the replays topic covers the rest.
_replaying = asyncio.Lock()


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
    return console(request).pages.render(
        request,
        "operations/dead_letters.html",
        letters=shown[:SHOWN],
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


@router.post("/dead-letters/{letter_id}/replay")
async def replay_dead_letter(request: Request, me: Admin, letter_id: str) -> Response:
    """What `subsidy dead-letters replay --id ID` does: the event back to its topic, unless the
    replays topic says it went back already."""
    await form(request, me)
    if not LETTER_ID.fullmatch(letter_id):  # never an empty filter, which would replay every letter
        raise UpstreamRefused(404, "not_found", "没有这封死信。", "No such dead letter.")
    try:
        # No timeout of ours: one cut short between sending the event and recording it would send it
        # again next time (harmless, inboxes skip it), but would do so at every click on a slow broker.
        async with _replaying:
            sent = await dead_letters.replay(console(request).settings.brokers, ids=[letter_id])
    except Exception:
        raise Unavailable("broker") from None
    if sent:
        return RedirectResponse(f"/dead-letters/{letter_id}?done=replayed", status_code=303)
    return await _letter_page(
        request,
        letter_id,
        problem=UpstreamRefused(
            409,
            "already_replayed",
            "这封死信已重放过，未再次发送。若事件再次失败，会作为一封新的死信出现。",
            "This dead letter was replayed before; nothing was sent again. Should the event fail again, it comes back "
            "as a new dead letter.",
        ),
    )
