"""An applicant, through the partner that submitted its application, or an official withdraws it."""

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, StringConstraints

from services.intake import withdrawals
from services.intake.api.auth import Withdrawer
from shared.api_errors import concerns, not_found, responses
from shared.routes import WiringDep

router = APIRouter(prefix="/v1/applications", tags=["applications"])

# Taken as sent; it must show something (one character that is neither a control nor a space), and
# may run over lines.
_VISIBLE = r"[^\x00-\x20\x7f\u00a0\u3000]"
_PROSE = r"[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
Reason = Annotated[str, StringConstraints(min_length=1, max_length=500, pattern=rf"^{_PROSE}*{_VISIBLE}{_PROSE}*$")]


class WithdrawalCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Reason


class WithdrawalRead(BaseModel):
    application_id: UUID
    reason: str
    by: str
    withdrawn_at: datetime


@router.post(
    "/{application_id}/withdrawal",
    response_model=WithdrawalRead,
    responses=responses(400, 401, 403, 404, 409, 422, 429),
    openapi_extra=concerns("application_withdrawal"),
)
async def withdraw(
    wiring: WiringDep, caller: Withdrawer, application_id: UUID, body: WithdrawalCreate, response: Response
) -> WithdrawalRead:
    """Withdraw an application: a partner its own, an admin any (the console's form). Nothing more is
    decided or paid on it: an award not yet paid is cancelled (`payout_cancelled`, reason
    `withdrawn: …`). Refused (409 `application_final`) once it is over (ineligible, not selected,
    paid, cancelled…). A payout already with the finance system goes ahead: the money's fate wins.
    Asking again with the same reason answers with the withdrawal recorded (`Idempotent-Replayed:
    true`); another reason is refused (409 `already_withdrawn`). The status becomes `withdrawn`."""
    try:
        done = await withdrawals.withdraw(wiring, caller, application_id, body.reason)
    except withdrawals.NotFound:
        raise not_found("application") from None
    if done.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return WithdrawalRead(
        application_id=done.application_id, reason=done.reason, by=done.by, withdrawn_at=done.withdrawn_at
    )
