"""Chengdu blockchain-pilot subsidy policy: policy versions as data, application parsing, decisions.

No book is built here: a process gets its one book from its composition root (`shared/bootstrap.py`).
"""

from .applicant import Applicant, CreditCode
from .application import ApplicationBase
from .book import PolicyBook, PolicyVersion, load_policies
from .catalogue import catalogue
from .clause import PolicyDataError
from .current import CurrentPolicy
from .decision import Decision, Grant, History, HistoryScope, PriorGrant, Reason, Step
from .errors import FieldError, InvalidApplication
from .money import Money

__all__ = [
    "Applicant",
    "ApplicationBase",
    "CreditCode",
    "CurrentPolicy",
    "Decision",
    "FieldError",
    "Grant",
    "History",
    "HistoryScope",
    "InvalidApplication",
    "Money",
    "PolicyBook",
    "PolicyDataError",
    "PolicyVersion",
    "PriorGrant",
    "Reason",
    "Step",
    "catalogue",
    "load_policies",
]
