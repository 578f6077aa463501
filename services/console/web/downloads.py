"""A list downloaded as a file: every page the service answers for the list's filters, read through
its API with the official's key, then written out (services/console/exports.py)."""

from collections.abc import Sequence
from typing import Any

from fastapi.responses import Response

from services.console import exports
from services.console.upstream import Upstream, UpstreamRefused

MOST_ROWS = 20_000  # past this a file is refused, not cut: the official narrows the filters
INTAKE_PAGE = 100  # intake's most in one answer
PAYOUT_PAGE = 1000  # payout's most in one answer


def _too_many() -> UpstreamRefused:
    return UpstreamRefused(
        413,
        "export_too_large",
        f"符合条件的记录超过 {MOST_ROWS:,} 条，请缩小筛选范围后再导出。",
        f"Over {MOST_ROWS:,} records match: narrow the filters, then export again.",
    )


async def intake_pages(upstream: Upstream, key: str, params: dict[str, Any]) -> list[dict]:
    """Every application intake lists for `params`, newest first, page after page by its cursor."""
    rows: list[dict] = []
    cursor = None
    while True:
        page = await upstream.get("intake", "/v1/applications", key, **params, cursor=cursor, limit=INTAKE_PAGE)
        rows += page["items"]
        if len(rows) > MOST_ROWS:
            raise _too_many()
        cursor = page["next_cursor"]
        if not cursor:
            return rows


async def payout_pages(upstream: Upstream, key: str, params: dict[str, Any]) -> list[dict]:
    """Every payout payout lists for `params`, newest first, page after page by the last one's id."""
    rows: list[dict] = []
    while True:
        after = rows[-1]["id"] if rows else None
        page = await upstream.get("payout", "/v1/payouts", key, **params, after=after, limit=PAYOUT_PAGE)
        rows += page
        if len(rows) > MOST_ROWS:
            raise _too_many()
        if len(page) < PAYOUT_PAGE:
            return rows


def download(kind: str, columns: Sequence[exports.Column], rows: list[dict], name: str) -> Response:
    body, media, filename = exports.file(kind, columns, rows, name)
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{filename}"'})
