"""The roles intake's routes accept; the key check itself is shared (shared/auth.py)."""

from typing import Annotated

from shared.auth import ANY_ROLE, AnyCaller, Caller, authorize, role

Submitter = Annotated[Caller, role("partner")]
Reader = Annotated[Caller, role("partner", "reviewer", "admin")]
# Bank details: the partner's own applications, or any application when an admin corrects them.
PayeeGiver = Annotated[Caller, role("partner", "admin")]
# Withdrawing: the partner that submitted the application, for its applicant, or an official (admin).
Withdrawer = Annotated[Caller, role("partner", "admin")]

__all__ = ["ANY_ROLE", "AnyCaller", "Reader", "Submitter", "authorize"]
