"""A partner supplies or corrects the bank account an application's subsidy is paid into; an admin
may correct it too."""

from datetime import UTC, datetime
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel

from services.intake import reading
from services.intake.api.auth import PayeeGiver
from services.intake.submissions import payee_provided
from shared.api_errors import concerns, invalid, not_found, responses
from shared.payee import Payee, mask, same_name
from shared.policy.application import payee_name_mismatch
from shared.routes import Book, WiringDep

router = APIRouter(prefix="/v1/applications", tags=["applications"])


class PayeeAccepted(BaseModel):
    application_id: UUID
    account_name: str
    account: str  # masked
    bank: str
    provided_at: datetime


@router.put(
    "/{application_id}/payee",
    status_code=202,
    response_model=PayeeAccepted,
    responses=responses(400, 401, 403, 404, 422, 429),
    openapi_extra=concerns("payee"),
)
async def put_payee(
    wiring: WiringDep, book: Book, caller: PayeeGiver, application_id: UUID, payee: Payee
) -> PayeeAccepted:
    """Give, or correct, the applicant's own bank account (account name = the applicant's name): a partner
    for its own applications, an admin for any (the console's correction form). A payout
    held for want of it (`payout_held`, reason `payee_missing`, `payee_invalid` or `payout_rejected`) is
    requested again at once; one already paid is not affected."""
    found = await reading.one(wiring.sessions, caller, application_id)
    if found is None:
        raise not_found("application")
    application = book.parse(found[0].body)
    if not same_name(payee.account_name, application.applicant.name):
        raise invalid([payee_name_mismatch("body.account_name").to_json()])
    now = datetime.now(UTC)
    publisher = wiring.publisher
    event = publisher.event(
        payee_provided(application_id, application, payee, now, caller.partner_id, caller.role),
        key=application.applicant.credit_code,
        subject=str(application_id),
    )
    async with wiring.sessions.begin() as session:
        await publisher.publish(session, event)
    return PayeeAccepted(
        application_id=application_id,
        account_name=payee.account_name,
        account=mask(payee.account_number),
        bank=payee.bank,
        provided_at=now,
    )
