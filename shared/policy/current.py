"""The policy book a process works with, held in one place.

Every part of a process reads the book through the one `CurrentPolicy` its composition root made
(`shared/bootstrap.py`), so intake's parsing and catalogue, eligibility's decisions, quota's
selection terms and payout's budget lines always agree. A reader takes `.book` once per unit of
work and keeps it: one request or one batch is decided under one consistent set of versions.

The book changes at run time when a policy version is published or withdrawn
(`shared/policy_versions.py`): `replace` swaps in the new book whole, and what was built from the
old one (an OpenAPI document) is told through `on_replace`.
"""

from collections.abc import Callable

from .book import PolicyBook


class CurrentPolicy:
    def __init__(self, book: PolicyBook):
        self._book = book
        self._replaced: list[Callable[[PolicyBook], None]] = []

    @property
    def book(self) -> PolicyBook:
        return self._book

    def replace(self, book: PolicyBook) -> None:
        """From now on, readers get `book`; a unit of work under way keeps the book it took."""
        self._book = book
        for callback in self._replaced:
            callback(book)

    def on_replace(self, callback: Callable[[PolicyBook], None]) -> None:
        """`callback(new_book)` runs after each `replace`."""
        self._replaced.append(callback)
