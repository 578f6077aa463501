"""Policy officials manage the policy's versions through eligibility's API: roles, four eyes, an
invalid text refused with its problems and nothing stored, an approved text never changed, a
withdrawal only before the first day; and every published version reaches intake's book (its
catalogue) without a restart, a forged text under a published id being dead-lettered, not taken."""

from datetime import UTC, date, datetime

import asyncpg
import httpx
import pytest

from shared import topics
from shared.events import PolicyVersionPublishedV1
from shared.messaging import dead_letters
from shared.messaging.envelope import Envelope
from shared.policy import load_policies
from shared.policy_versions import content_hash
from shared.stack import ServiceProcess, free_port
from tests.kafka_tools import publish
from tests.policy_files import illustration
from tests.selection_tools import auth, key_works, until
from tests.wiring import wired

pytestmark = pytest.mark.integration
SUCCESSOR = illustration("chengdu-blockchain-2025", "2025-02-10", "2027-02-09", ('rate = "0.20"', 'rate = "0.30"'))
LATER = illustration("chengdu-blockchain-2030", "2030-01-01", "2031-12-31")
BUNDLED_HASH = load_policies().versions[0].content_hash


@pytest.fixture(scope="module")
def eligibility(stack, tmp_path_factory):
    process = ServiceProcess(
        "eligibility", free_port(), stack.env(), tmp_path_factory.mktemp("logs") / "eligibility.log"
    )
    process.start().wait_ready()
    yield process
    process.stop()


@pytest.fixture(scope="module")
async def keys(stack, intake, eligibility) -> dict[str, str]:
    made = {
        "drafter": await stack.key(partner="official-a", role="policy_admin"),
        "approver": await stack.key(partner="official-b", role="policy_admin"),
        "admin": await stack.key(role="admin"),
        "partner": await stack.key(role="partner"),
    }
    async with httpx.AsyncClient(base_url=eligibility.url) as client:
        for name in ("drafter", "approver", "admin"):
            await key_works(client, made[name], "/v1/policy/versions")

        async def partner_known() -> bool:  # a partner may not read: 403 once its key is known, 401 before
            answer = await client.get("/v1/policy/versions", headers=auth(made["partner"]))
            return answer.status_code != 401

        await until(partner_known)
    return made


@pytest.fixture(scope="module")
async def db(stack):
    conn = await asyncpg.connect(stack.database_url.replace("+asyncpg", ""))
    yield conn
    await conn.close()


async def catalogue_version(intake: ServiceProcess) -> tuple[str, str]:
    async with httpx.AsyncClient(base_url=intake.url) as client:
        clause = next(c for c in (await client.get("/v1/clauses")).json() if c["id"] == "1.1-node")
    return clause["policy_version"], clause["policy_hash"]


async def test_policy_officials_draft_approve_and_withdraw_versions_with_four_eyes(
    stack, eligibility, intake, keys, db
):
    async with httpx.AsyncClient(base_url=eligibility.url, timeout=15) as api:
        # Roles: policy officials write; admins read; partners neither.
        assert (await api.get("/v1/policy/versions", headers=auth(keys["partner"]))).status_code == 403
        assert (await api.get("/v1/policy/versions", headers=auth(keys["admin"]))).json() == []
        by_admin = await api.post("/v1/policy/drafts", headers=auth(keys["admin"]), json={"source": SUCCESSOR})
        assert by_admin.status_code == 403
        assert (await api.post("/v1/policy/drafts", json={"source": SUCCESSOR})).status_code == 401

        # A text that is no version: 422 with each problem, nothing stored.
        broken = SUCCESSOR.replace('window_article = "施行期"', "")
        refused = await api.post("/v1/policy/drafts", headers=auth(keys["drafter"]), json={"source": broken})
        assert refused.status_code == 422, refused.text
        error = refused.json()["error"]
        assert error["code"] == "invalid_policy_version" and "window_article" in error["fields"][0]["message_en"]
        assert await db.fetchval("SELECT count(*) FROM eligibility.policy_versions") == 0
        assert await db.fetchval("SELECT count(*) FROM eligibility.policy_version_steps") == 0

        # Drafted by one official…
        drafted = await api.post(
            "/v1/policy/drafts", headers=auth(keys["drafter"]), json={"source": SUCCESSOR, "reason": "renewal"}
        )
        assert drafted.status_code == 201, drafted.text
        version = drafted.json()
        assert (version["version_id"], version["state"], version["drafted_by"]) == (
            "chengdu-blockchain-2025",
            "draft",
            "official-a",
        )
        assert version["content_hash"] == content_hash(SUCCESSOR) and version["source"] == SUCCESSOR
        assert await catalogue_version(intake) == ("chengdu-blockchain-2023", BUNDLED_HASH)

        # …whom the rules do not let approve it…
        path = "/v1/policy/versions/chengdu-blockchain-2025"
        own = await api.post(f"{path}/approval", headers=auth(keys["drafter"]), json={})
        assert own.status_code == 403 and own.json()["error"]["code"] == "four_eyes", own.text
        assert "four eyes" in own.json()["error"]["message_en"]
        assert (await api.get(path, headers=auth(keys["admin"]))).json()["state"] == "draft"

        # …approved by another, and published: intake's book has it, with no restart.
        approved = await api.post(f"{path}/approval", headers=auth(keys["approver"]), json={"reason": "checked"})
        assert approved.status_code == 200, approved.text
        assert (approved.json()["state"], approved.json()["approved_by"]) == ("approved", "official-b")
        assert [(s["step"], s["by"], s["reason"]) for s in approved.json()["steps"]] == [
            ("drafted", "official-a", "renewal"),
            ("approved", "official-b", "checked"),
        ]
        await until(lambda: has_version(intake, ("chengdu-blockchain-2025", content_hash(SUCCESSOR))))

        # An approved version never changes, and one in force is not withdrawn.
        changed = SUCCESSOR.replace('rate = "0.30"', 'rate = "0.35"', 1)
        again = await api.post("/v1/policy/drafts", headers=auth(keys["drafter"]), json={"source": changed})
        assert again.status_code == 409 and again.json()["error"]["code"] == "version_approved"
        late = await api.post(f"{path}/withdrawal", headers=auth(keys["approver"]), json={"reason": "too late"})
        assert late.status_code == 409 and late.json()["error"]["code"] == "version_in_force"
        assert (await api.post(f"{path}/approval", headers=auth(keys["approver"]))).status_code == 409

        # A version whose first day is ahead, approved then withdrawn: it leaves intake's book again.
        later = (await api.post("/v1/policy/drafts", headers=auth(keys["approver"]), json={"source": LATER})).json()
        later_path = f"/v1/policy/versions/{later['version_id']}"
        assert (await api.post(f"{later_path}/approval", headers=auth(keys["drafter"]))).status_code == 200
        await until(lambda: has_version(intake, ("chengdu-blockchain-2030", content_hash(LATER))))
        withdrawn = await api.post(f"{later_path}/withdrawal", headers=auth(keys["drafter"]), json={"reason": "void"})
        assert withdrawn.status_code == 200 and withdrawn.json()["state"] == "withdrawn", withdrawn.text
        await until(lambda: has_version(intake, ("chengdu-blockchain-2025", content_hash(SUCCESSOR))))
        listed = (await api.get("/v1/policy/versions", headers=auth(keys["drafter"]))).json()
        assert [(v["version_id"], v["state"]) for v in listed] == [
            ("chengdu-blockchain-2025", "approved"),
            ("chengdu-blockchain-2030", "withdrawn"),
        ]

    # An operator command acting as a service works with the book that service has.
    async with wired(stack.database_url, "intake") as intake_command:
        assert [v.id for v in intake_command.policy.book.versions] == [
            "chengdu-blockchain-2023",
            "chengdu-blockchain-2025",
        ]

    # What was done stays as it was recorded.
    with pytest.raises(asyncpg.RaiseError, match="append-only"):
        await db.execute("UPDATE eligibility.policy_version_steps SET by = 'someone else'")


async def test_a_forged_text_under_a_published_id_is_dead_lettered_not_taken(stack, eligibility, intake, keys):
    await until(lambda: has_version(intake, ("chengdu-blockchain-2025", content_hash(SUCCESSOR))))
    forged = SUCCESSOR.replace('rate = "0.30"', 'rate = "0.90"', 1)
    payload = PolicyVersionPublishedV1(
        version_id="chengdu-blockchain-2025",
        content_hash=content_hash(forged),
        source=forged,
        first_day=date(2025, 2, 10),
        last_day=date(2027, 2, 9),
        drafted_by="mallory",
        approved_by="mallory",
        approved_at=datetime.now(UTC),
    )
    event = Envelope.of(payload, source="/forger", key=payload.version_id, subject=payload.version_id)
    await publish(stack.bootstrap_servers, topics.POLICY_VERSIONS, event)

    async def dead_lettered() -> bool:
        letters, _ = await dead_letters.letters(stack.bootstrap_servers)
        return any(letter.headers.get("ce_id") == event.id and letter.consumer == "intake-status" for letter in letters)

    await until(dead_lettered, timeout_s=60)
    assert await has_version(intake, ("chengdu-blockchain-2025", content_hash(SUCCESSOR)))


async def has_version(intake: ServiceProcess, wanted: tuple[str, str]) -> bool:
    return await catalogue_version(intake) == wanted
