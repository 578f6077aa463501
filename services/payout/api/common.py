"""The roles payout's routes check."""

from typing import Annotated

from shared.auth import Caller, role

Admin = Annotated[Caller, role("admin")]
Finance = Annotated[Caller, role("finance", "admin")]
