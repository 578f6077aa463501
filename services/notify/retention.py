"""What notify keeps only for a while: its delivery log, the webhooks and e-mails it sent or gave
up on, `DELIVERY_LOG_RETENTION_DAYS` after they were owed (or last replayed). A delivery still
pending stays however old it is. A delivery pruned cannot be replayed; a status event delivered
again after that is still absorbed by the inbox, which keeps events longer than the outbox."""

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, or_

from services.notify.settings import NotifySettings
from services.notify.tables import email_deliveries as e
from services.notify.tables import webhook_deliveries as d
from shared.retention import Rule, older_than


def rules(settings: NotifySettings) -> list[Rule]:
    keep = timedelta(days=settings.delivery_log_retention_days)

    def webhooks_done(now: datetime) -> ColumnElement[bool]:
        return and_(
            d.c.created_at < now - keep,
            d.c.status != "pending",
            or_(d.c.replayed_at.is_(None), d.c.replayed_at < now - keep),
        )

    return [
        Rule(d, d.c.created_at, webhooks_done),
        Rule(e, e.c.created_at, older_than(e.c.created_at, keep, e.c.status != "pending")),
    ]
