"""The demo's people get their keys from the issuer it is handed: a partner an earlier run made gets a
new key (its earlier ones revoked), the others are made with their role and the demo's rate."""

import itertools
from decimal import Decimal

from services.demo.play import ADMIN, DEMO_RATE, FINANCE, POLICY, PORTAL, ROLES, issue_keys
from services.demo.scenario import REVIEWERS
from shared.auth import KeyIssuer, PartnerExists, UnknownPartner


class Issuer:
    """Intake's partners as `shared.auth.KeyIssuer` describes them, kept in memory."""

    def __init__(self, partners: dict[str, str]):
        self.partners = {name: (role, Decimal(50)) for name, role in partners.items()}
        self.keys: dict[str, list[str]] = {name: ["sk_old"] for name in partners}
        self.numbers = itertools.count()

    def _key(self, name: str) -> str:
        self.keys.setdefault(name, []).append(key := f"sk_{next(self.numbers)}")
        return key

    async def issue(self, name: str, role: str, requests_per_second: Decimal | None = None) -> str:
        if name in self.partners:
            raise PartnerExists(name)
        self.partners[name] = (role, requests_per_second or Decimal(50))
        return self._key(name)

    async def rotate(self, name: str) -> str:
        if name not in self.partners:
            raise UnknownPartner(name)
        await self.revoke(name)
        return self._key(name)

    async def revoke(self, name: str) -> None:
        self.keys[name] = []


async def test_an_earlier_runs_partner_gets_a_new_key_and_the_others_are_made():
    issuer = Issuer({FINANCE: "finance"})
    given: KeyIssuer = issuer
    keys = await issue_keys(given)
    assert set(keys) == set(ROLES) == {PORTAL, ADMIN, FINANCE, POLICY, *REVIEWERS}
    assert ROLES[POLICY] == "policy_admin"
    assert issuer.keys[FINANCE] == [keys[FINANCE]]  # the earlier key revoked
    assert issuer.partners[FINANCE] == ("finance", Decimal(50))  # kept as it was
    for name in set(ROLES) - {FINANCE}:
        assert issuer.partners[name] == (ROLES[name], DEMO_RATE) and issuer.keys[name] == [keys[name]]
    assert len(set(keys.values())) == len(keys)
