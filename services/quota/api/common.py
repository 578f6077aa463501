"""The roles quota's routes check."""

from typing import Annotated

from shared.auth import Caller, role

Admin = Annotated[Caller, role("admin")]
Reviewer = Annotated[Caller, role("reviewer")]
Official = Annotated[Caller, role("admin", "reviewer")]
