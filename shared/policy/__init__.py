"""Chengdu blockchain-pilot subsidy policy: policy versions as data, application parsing, decisions."""

from .applicant import Applicant, CreditCode
from .book import PolicyBook, PolicyVersion, load_policies
from .catalogue import catalogue
from .clause import PolicyDataError
from .decision import Decision, Grant, History, HistoryScope, PriorGrant, Reason, Step
from .default import EXAMPLES, Application, ApplicationAdapter, parse_application
from .errors import FieldError, InvalidApplication
from .money import Money

__all__ = [
    "EXAMPLES",
    "Applicant",
    "Application",
    "ApplicationAdapter",
    "CreditCode",
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
    "parse_application",
]
