"""What an earlier applicant could claim and has not (免申即享, eligibility's `MatchFoundV1`): a
`match.found` webhook delivery owed to the partner of its latest application, and, when that
application gave a contact, an e-mail in the contact's language saying that nothing is awarded and
how to claim.

A match is about an applicant, not an application: it moves no application's status, so it is on no
timeline (`shared/statuses.py` leaves it out) and makes no notification record. Its webhook goes the
way every delivery goes (`worker.py`: signed, retried, in the delivery log), to the partner the event
names. Its e-mail is addressed and rendered as it is owed, from the event: the partner's own
`match_found` template merged over ours, as for a status.
"""

import logging
from typing import Any

import orjson
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.notify import due, samples, wording
from services.notify.deliveries import delivery_id
from services.notify.handlers import email_id
from services.notify.tables import email_deliveries, partner_templates, webhook_deliveries
from shared.events import MatchFoundV1
from shared.messaging.consumer import Handlers
from shared.messaging.envelope import Envelope

log = logging.getLogger(__name__)
MATCH_FOUND = "match.found"  # the webhook's `type`
NOTICE = "match_found"  # its messages' templates


def detail(p: MatchFoundV1) -> dict[str, Any]:
    """What the partner is told (the webhook's `detail`), in JSON types only."""
    return {
        "notice_id": str(p.notice_id),
        "applicant_name": p.applicant_name,
        "clause": p.clause,
        "article": p.article,
        "title_zh": p.title_zh,
        "title_en": p.title_en,
        "policy_version": p.policy_version,
        "amount": f"{p.amount:.2f}",
        "selection": p.selection,
        "latest_application_id": str(p.latest_application_id),
        "award": False,  # nothing is granted until an application under the clause is decided
        "claim": {
            "route": p.claim_route,
            "clause": p.clause,
            "occurred_on_from": p.first_day.isoformat(),
            "occurred_on_to": p.last_day.isoformat(),
        },
    }


def body(event: Envelope, p: MatchFoundV1) -> bytes:
    return orjson.dumps(
        {
            "id": str(delivery_id(event)),
            "type": MATCH_FOUND,
            "credit_code": p.credit_code,
            "occurred_at": event.time.isoformat(),
            "detail": detail(p),
        }
    )


def context(p: MatchFoundV1, notice_url: str) -> dict[str, Any]:
    """What the applicant's message is rendered from (every key of the `match_found` sample)."""
    told = {
        "applicant_name": p.applicant_name,
        "credit_code": p.credit_code,
        "clause": p.clause,
        "clause_title_zh": p.title_zh,
        "clause_title_en": p.title_en,
        "article": p.article,
        "policy_version": p.policy_version,
        "amount": f"{p.amount:.2f}",
        "selection": p.selection,
        "claim_route": p.claim_route,
        "first_day": p.first_day.isoformat(),
        "last_day": p.last_day.isoformat(),
        "notice_url": notice_url,
    }
    return samples.context(NOTICE, told, {})


async def _message(session: AsyncSession, p: MatchFoundV1, language: str, notice_url: str) -> wording.Rendered:
    override = (
        await session.execute(
            select(partner_templates.c.subject, partner_templates.c.text, partner_templates.c.html).where(
                partner_templates.c.partner_id == p.partner_id,
                partner_templates.c.status == NOTICE,
                partner_templates.c.language == language,
            )
        )
    ).first()
    told = context(p, notice_url)
    if override is not None:
        try:
            return wording.render(NOTICE, language, told, dict(override._mapping))
        except Exception as error:  # a partner's template that breaks on real data: ours instead
            log.warning("template of %s for %s failed (%r); sending ours", p.partner_id, NOTICE, error)
    return wording.render(NOTICE, language, told)


def handlers(notice_url: str) -> Handlers:
    async def match_found(session: AsyncSession, event: Envelope, p: MatchFoundV1) -> None:
        await session.execute(
            insert(webhook_deliveries).values(
                id=delivery_id(event),
                type=MATCH_FOUND,
                credit_code=p.credit_code,
                partner_id=p.partner_id,  # known: no submission to wait for
                body=body(event, p),
            )
        )
        await due.announce(session)  # the e-mail below, if any, is owed in the same transaction
        if p.contact is None:
            return  # only the partner is told
        message = await _message(session, p, p.contact.language, notice_url)
        await session.execute(
            insert(email_deliveries).values(
                id=email_id(event),
                credit_code=p.credit_code,
                application_status=NOTICE,
                context=context(p, notice_url),
                occurred_at=event.time,
                to_address=p.contact.email,
                language=p.contact.language,
                subject=message.subject,
                body_text=message.text,
                body_html=message.html,
            )
        )

    return {MatchFoundV1: match_found}
