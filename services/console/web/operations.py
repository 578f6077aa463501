"""For administrators: each service's health, and the dead letters (read, never consumed).

There is no replay button: replaying is `subsidy replay-dead-letters`, whose semantics are being
made safe for selective replays first; the page says so."""


from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.console import health
from services.console.upstream import Refused, Unavailable
from services.console.web.deps import Admin, Money, console
from shared.messaging import dead_letter_reader

router = APIRouter()


@router.get("/health")
async def show_health(request: Request, me: Admin) -> Response:
    c = console(request)
    services = await health.everything(c.upstream.client, c.settings)
    runtime = request.app.state.runtime
    myself = {"problem": runtime.unhealthy(), "unready": await runtime.unready(),
              "loops": [{"name": loop.name, "running": not loop.task.done(), "restarts": loop.restarts,
                         "last_error": loop.last_error} for loop in runtime.loops]}
    return c.pages.render(request, "operations/health.html", services=services, myself=myself)


@router.get("/dead-letters")
async def list_dead_letters(request: Request, me: Admin) -> Response:
    c = console(request)
    consumer, kind = request.query_params.get("consumer", ""), request.query_params.get("type", "")
    try:
        letters = await dead_letter_reader.recent(c.settings.kafka_bootstrap_servers)
    except Exception:
        raise Unavailable("broker") from None
    counts = dead_letter_reader.summary(letters)
    shown = [d for d in letters if (not consumer or d.consumer == consumer) and (not kind or d.type == kind)]
    return c.pages.render(request, "operations/dead_letters.html", letters=shown, total=len(letters),
                          counts=counts, consumer=consumer, kind=kind)


@router.get("/dead-letters/{partition}/{offset}")
async def show_dead_letter(request: Request, me: Admin, partition: int, offset: int) -> Response:
    c = console(request)
    try:
        found = await dead_letter_reader.one(c.settings.kafka_bootstrap_servers, partition, offset)
    except Exception:
        raise Unavailable("broker") from None
    if found is None:
        raise Refused(404, "not_found", "没有这封死信。", "No such dead letter.")
    return c.pages.render(request, "operations/dead_letter.html", letter=found)


@router.get("/payouts")
async def payouts(request: Request, me: Money) -> Response:
    """Reserved for payouts and budgets (reserved, paid, held, rejected, recovered, by year and
    clause), which come once the payout service's API is there."""
    return console(request).pages.render(request, "payouts.html")
