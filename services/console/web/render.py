"""Pages rendered on the server with Jinja2 (autoescaped), Chinese first with English beside it."""

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from services.console import labels

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
BEIJING = timezone(timedelta(hours=8), "CST")


def _when(value: Any) -> str:
    """An ISO 8601 time from an API, shown in Beijing time."""
    if not value:
        return "—"
    try:
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if moment.tzinfo is None:
        return moment.isoformat(sep=" ", timespec="minutes")
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


def _money(value: Any, sign: str = "") -> str:
    """An amount in yuan, 1,234.50; text that is no number (a dash for none) is shown as it is."""
    try:
        return f"{Decimal(str(value)):{sign},.2f}"
    except InvalidOperation:
        return str(value)


def _signed(value: Any) -> str:
    """A difference, its sign always shown: +200,000.00, -1.00, +0.00."""
    return _money(value, "+")


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = _when
    env.filters["money"] = _money
    env.filters["signed"] = _signed
    env.globals["labels"] = labels
    return env


@dataclass
class Pages:
    env: Environment

    def render(
        self, request: Request, template: str, status: int = 200, headers: dict | None = None, **context: Any
    ) -> HTMLResponse:
        me = getattr(request.state, "me", None)
        html = self.env.get_template(template).render(
            me=me, csrf=me.csrf_token if me else "", path=request.url.path, **context
        )
        return HTMLResponse(html, status_code=status, headers=headers)
