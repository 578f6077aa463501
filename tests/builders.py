"""Events as other services (or outside parties) would publish them, for tests to feed in."""

import copy
import uuid
from datetime import UTC, datetime
from decimal import Decimal

from shared.events import ApplicationSubmittedV1, AwardGrantedV1
from shared.messaging.envelope import Envelope
from shared.policy.applicant import check_character
from tests.books import EXAMPLES


def applicant_code(n: int, prefix: str = "91510100MA") -> str:
    """A valid credit code of its own per number, so that applicants' histories don't meet."""
    body = f"{prefix}{n:0{17 - len(prefix)}d}"
    return body + check_character(body)


def submitted(clause: str, credit_code: str, **facts) -> Envelope:
    """An application submitted through intake."""
    application = copy.deepcopy(EXAMPLES[clause])
    application["applicant"]["credit_code"] = credit_code
    application["facts"] |= facts
    p = ApplicationSubmittedV1(
        application_id=uuid.uuid4(), partner_id="p", submitted_at=datetime.now(UTC), application=application
    )
    return Envelope.of(p, source="/subsidy/intake", key=credit_code, subject=str(p.application_id))


def award(credit_code: str, amount: str = "800000.00", source: str = "/test") -> Envelope:
    p = AwardGrantedV1(
        award_id=uuid.uuid4(),
        application_id=uuid.uuid4(),
        credit_code=credit_code,
        clause="1.1-node",
        amount=Decimal(amount),
        grants=[],
        granted_at=datetime.now(UTC),
    )
    return Envelope.of(p, source=source, key=credit_code, subject=str(p.application_id))
