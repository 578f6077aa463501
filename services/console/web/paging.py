"""A list an upstream API answers whole (rounds, policy versions, dead letters, a round's candidates:
short lists), shown `CONSOLE_PAGE_SIZE` at a time by `?page=N`, with links to the pages either side
that keep the list's filters (the `pager` macro in templates/_macros.html draws them)."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar
from urllib.parse import urlencode

from fastapi import Request

from services.console.web.deps import console

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: Sequence[T]
    number: int  # from 1
    pages: int  # at least 1, even for an empty list
    total: int
    prev_href: str | None
    next_href: str | None


def page(
    request: Request, items: Sequence[T], path: str, keep: Mapping[str, str] | None = None, anchor: str = ""
) -> Page[T]:
    """The page of `items` asked for (the first when the number is not one; the last when past it).
    `keep` holds the filters each link carries; `anchor` is where the links land (`#…`)."""
    size = console(request).settings.console_page_size
    pages = max(1, -(-len(items) // size))
    asked = request.query_params.get("page", "")
    number = min(int(asked), pages) if asked.isdigit() and len(asked) <= 6 and int(asked) >= 1 else 1
    kept = {k: v for k, v in (keep or {}).items() if v}

    def href(n: int) -> str:
        query = urlencode(kept | ({"page": str(n)} if n > 1 else {}))
        return f"{path}?{query}{anchor}" if query else f"{path}{anchor}"

    return Page(
        items=items[(number - 1) * size : number * size],
        number=number,
        pages=pages,
        total=len(items),
        prev_href=href(number - 1) if number > 1 else None,
        next_href=href(number + 1) if number < pages else None,
    )
