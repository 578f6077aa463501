"""The policy book a process works with, held in one place.

Every part of a process reads the book through the one `CurrentPolicy` its composition root made
(`shared/bootstrap.py`), so intake's parsing and catalogue, eligibility's decisions, quota's
selection terms and payout's budget lines always agree. A reader takes `.book` once per unit of
work and keeps it: one request or one batch is decided under one consistent set of versions.
"""

from .book import PolicyBook


class CurrentPolicy:
    def __init__(self, book: PolicyBook):
        self._book = book

    @property
    def book(self) -> PolicyBook:
        return self._book
