"""What notify must know about partners and applications to reach them: partners' webhooks (and
their previous secret while they rotate), each application's partner, contact and facts, selection
rounds' timetables, and the API keys its own API checks."""

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.notify import due
from services.notify.tables import (
    api_keys,
    application_partners,
    email_deliveries,
    rounds,
    webhook_deliveries,
    webhooks,
)
from shared.auth import replica_handlers
from shared.bulk import among
from shared.events import ApplicationSubmittedV1, RoundStateChangedV1, WebhookRegisteredV1, WebhookRegisteredV2
from shared.messaging.consumer import Batched
from shared.messaging.envelope import Envelope
from shared.secretbox import SecretBox, SecretUnreadable, reseal_rows


async def record_webhook(
    session: AsyncSession,
    box: SecretBox,
    partner_id: str,
    url: str,
    secret_ciphertext: str,
    registered_at: datetime,
    rotation_overlap: timedelta,
) -> None:
    """An empty url unregisters; the row stays with it so that `registered_at` still orders what
    comes next. An older registration read late never replaces a newer one. A new secret for the
    same partner keeps the one it replaces signing too, for `rotation_overlap`; registering again
    re-enables an endpoint disabled by a 410."""
    current = (
        await session.execute(select(webhooks).where(webhooks.c.partner_id == partner_id).with_for_update())
    ).first()
    if current is not None and current.registered_at > registered_at:
        return
    previous, until = "", None
    if current is not None and url and current.url and current.secret_ciphertext:
        if _opened(box, current.secret_ciphertext) != _opened(box, secret_ciphertext):
            previous, until = current.secret_ciphertext, registered_at + rotation_overlap
        else:
            previous, until = current.previous_secret_ciphertext, current.previous_secret_until
    values = {
        "url": url,
        "secret_ciphertext": secret_ciphertext,
        "registered_at": registered_at,
        "previous_secret_ciphertext": previous,
        "previous_secret_until": until,
        "disabled_at": None,
        "disabled_reason": None,
    }
    new = insert(webhooks).values(partner_id=partner_id, **values)
    await session.execute(new.on_conflict_do_update(index_elements=[webhooks.c.partner_id], set_=values))
    if url:
        # Status changes that waited for this registration go out now, not when their grace ends.
        await session.execute(
            update(webhook_deliveries)
            .where(
                webhook_deliveries.c.partner_id == partner_id,
                webhook_deliveries.c.status == "pending",
                webhook_deliveries.c.attempts == 0,
            )
            .values(next_attempt_at=func.now())
        )
        await due.announce(session)


def _opened(box: SecretBox, sealed: str) -> str | None:
    try:
        return box.open(sealed) if sealed else None
    except SecretUnreadable:
        return None


def application_row(p: ApplicationSubmittedV1) -> dict[str, Any]:
    """What notify keeps of a submitted application (the wire application, validated by intake)."""
    a = p.application
    applicant, contact = a.get("applicant") or {}, a.get("contact") or {}
    occurred_on = a.get("occurred_on")
    return {
        "application_id": p.application_id,
        "partner_id": p.partner_id,
        "clause": a.get("clause"),
        "credit_code": applicant.get("credit_code"),
        "applicant_name": applicant.get("name"),
        "occurred_on": date.fromisoformat(occurred_on) if occurred_on else None,
        "email": contact.get("email"),
        "phone": contact.get("phone"),
        "language": contact.get("language", "zh") if contact.get("email") else None,
    }


async def applications_submitted(session: AsyncSession, batch: list[tuple[Envelope, ApplicationSubmittedV1]]) -> None:
    # One application id, one content (intake never changes a submitted application): a row already
    # there is this one, read again.
    await session.execute(insert(application_partners).on_conflict_do_nothing(), [application_row(p) for _, p in batch])
    # E-mails owed before the submission was read wait for it: they can go (or be dropped) now.
    waited = await session.execute(
        update(email_deliveries)
        .where(
            among(email_deliveries.c.application_id, [p.application_id for _, p in batch]),
            email_deliveries.c.status == "pending",
            email_deliveries.c.attempts == 0,
        )
        .values(next_attempt_at=func.now())
        .returning(email_deliveries.c.id)
    )
    if waited.first():
        await due.announce(session)


async def round_changed(session: AsyncSession, event: Envelope, p: RoundStateChangedV1) -> None:
    values = {
        "state": p.state,
        "deadline": p.deadline,
        "notice_ends_on": p.notice_ends_on,
        "quota": p.quota,
        "at": p.at,
    }
    new = insert(rounds).values(clause=p.clause, year=p.year, **values)
    await session.execute(
        new.on_conflict_do_update(
            index_elements=[rounds.c.clause, rounds.c.year], set_=values, where=rounds.c.at <= new.excluded.at
        )
    )


def handlers(box: SecretBox, rotation_overlap: timedelta) -> dict:
    async def webhook_registered(session: AsyncSession, event: Envelope, p: WebhookRegisteredV2) -> None:
        await record_webhook(session, box, p.partner_id, p.url, p.secret_ciphertext, p.registered_at, rotation_overlap)

    async def webhook_registered_in_clear(session: AsyncSession, event: Envelope, p: WebhookRegisteredV1) -> None:
        # Published before secrets were sealed: the secret is sealed here, and only that is kept.
        await record_webhook(
            session, box, p.partner_id, p.url, box.seal(p.secret) if p.secret else "", p.registered_at, rotation_overlap
        )

    return {
        WebhookRegisteredV2: webhook_registered,
        WebhookRegisteredV1: webhook_registered_in_clear,
        ApplicationSubmittedV1: Batched(applications_submitted),
        RoundStateChangedV1: round_changed,
        **replica_handlers(api_keys),
    }


async def reseal(session: AsyncSession, box: SecretBox) -> int:
    """Partners' signing secrets (current and previous) resealed with the first SECRETS_KEY, after a rotation."""
    return await reseal_rows(
        session, webhooks, "partner_id", "secret_ciphertext", "previous_secret_ciphertext", box=box
    )
