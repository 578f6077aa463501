"""Registering a partner's webhook: it must point somewhere public, its secret is sealed before it
leaves intake, and notify, which delivers to it, is told in the same transaction."""

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import update

from services.intake.tables import partners
from shared.bootstrap import Wiring
from shared.events import WebhookRegisteredV2
from shared.secretbox import SecretBox
from shared.webhook_targets import WebhookTargets


@dataclass(frozen=True)
class WebhookRegistry:
    wiring: Wiring
    box: SecretBox
    targets: WebhookTargets

    async def register(self, partner_id: str, url: str, secret: str) -> datetime:
        """Records the webhook; TargetRefused if the URL may not be called (see `webhook_targets`)."""
        await self.targets.check(url)
        return await self._record(partner_id, url, self.box.seal(secret))

    async def remove(self, partner_id: str) -> datetime:
        return await self._record(partner_id, "", "")

    async def _record(self, partner_id: str, url: str, secret_ciphertext: str) -> datetime:
        now = datetime.now(UTC)
        publisher = self.wiring.publisher
        async with self.wiring.sessions.begin() as session:
            await session.execute(update(partners).where(partners.c.id == partner_id).values(webhook_url=url or None))
            await publisher.publish(
                session,
                publisher.event(
                    WebhookRegisteredV2(
                        partner_id=partner_id, url=url, secret_ciphertext=secret_ciphertext, registered_at=now
                    ),
                    key=partner_id,
                    subject=partner_id,
                ),
            )
        return now
