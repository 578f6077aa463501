"""Eligibility's API does what `subsidy policy validate`, `diff` and `whatif` do, for the console and
any client: a text checked (each problem by its TOML key, or valid with what it changes), and the
stored decisions replayed under a text or a stored draft. Nothing is stored by either."""

import asyncpg
import httpx
import pytest

from services.eligibility.handlers import handlers
from services.eligibility.versions import Lifecycle
from shared.events import ApplicationSubmittedV1
from shared.stack import ServiceProcess, free_port
from tests.builders import applicant_code, submitted
from tests.money_tools import this_year
from tests.policy_files import SUCCESSOR_ID, successor
from tests.selection_tools import auth, key_works, until
from tests.wiring import wired

pytestmark = pytest.mark.integration
SUCCESSOR = successor()
YEAR_2024 = {"from": "2024-01-01", "to": "2024-12-31"}


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

        async def partner_known() -> bool:  # 403 once its key is known, 401 before
            return (await client.get("/v1/policy/versions", headers=auth(made["partner"]))).status_code != 401

        await until(partner_known)
    return made


@pytest.fixture(scope="module")
async def stored(stack):
    """Three 2024 node claims of 1,000,000 each, decided by eligibility's own handler: 200,000 each."""
    claims = [
        submitted("1.1-node", applicant_code(800 + n), node_id=f"SN-C{n}", investment_cost="1000000") for n in range(3)
    ]
    async with wired(stack.database_url, "eligibility") as eligibility:
        batch = handlers(eligibility, Lifecycle.of(eligibility).published)[0][ApplicationSubmittedV1]
        async with eligibility.sessions.begin() as session:
            await batch.fn(session, [(e, e.payload()) for e in claims])
    return claims


@pytest.fixture(scope="module")
async def db(stack):
    conn = await asyncpg.connect(stack.database_url.replace("+asyncpg", ""))
    yield conn
    await conn.close()


async def test_a_valid_text_is_said_valid_with_what_it_changes_and_nothing_is_stored(eligibility, keys, db):
    async with httpx.AsyncClient(base_url=eligibility.url, timeout=30) as api:
        assert (await api.post("/v1/policy/checks", json={"source": SUCCESSOR})).status_code == 401
        refused = await api.post("/v1/policy/checks", headers=auth(keys["partner"]), json={"source": SUCCESSOR})
        assert refused.status_code == 403

        r = await api.post("/v1/policy/checks", headers=auth(keys["admin"]), json={"source": SUCCESSOR})
        assert r.status_code == 200, r.text
        result = r.json()
        assert (result["valid"], result["version"], result["problems"]) == (True, SUCCESSOR_ID, [])
        assert (result["diff"]["old"], result["diff"]["new"]) == ("chengdu-blockchain-2023", SUCCESSOR_ID)
        [node] = [c for c in result["diff"]["clauses"] if c["clause"] == "1.1-node"]
        assert node["status"] == "changed"
        assert [(c["what"], c["old"], c["new"], c["zh"], c["en"]) for c in node["changes"]] == [
            ("rate", "0.20", "0.30", "比例：0.20 → 0.30", "rate: 0.20 → 0.30")
        ]
        assert "window" in [c["what"] for c in result["diff"]["changes"]]
        assert "条款 1.1-node" in result["diff_text"]["zh"] and "rate: 0.20 → 0.30" in result["diff_text"]["en"]

        against = await api.post(
            "/v1/policy/checks",
            headers=auth(keys["drafter"]),
            json={"source": SUCCESSOR, "against": "chengdu-blockchain-2023"},
        )
        assert against.json()["diff"] == result["diff"]
    assert await db.fetchval("SELECT count(*) FROM eligibility.policy_versions") == 0


async def test_a_broken_text_is_said_invalid_with_each_problem_by_key_and_clause(eligibility, keys):
    broken = SUCCESSOR.replace('window_article = "施行期"\n', "").replace('rate = "0.30"', 'rate = "3"', 1)
    async with httpx.AsyncClient(base_url=eligibility.url, timeout=30) as api:
        r = await api.post("/v1/policy/checks", headers=auth(keys["drafter"]), json={"source": broken})
        assert r.status_code == 200, r.text
        result = r.json()
        assert result["valid"] is False and result["diff"] is None and result["diff_text"] is None
        found = {(p["key"], p["clause"]) for p in result["problems"]}
        assert ("window_article", None) in found
        assert any(clause == "1.1-node" and key.endswith(".rate") for key, clause in found), found
        assert all(p["zh"] and p["en"] and p["code"] for p in result["problems"])

        syntax = await api.post("/v1/policy/checks", headers=auth(keys["drafter"]), json={"source": "id = \n"})
        [problem] = syntax.json()["problems"]
        assert (problem["code"], problem["line"]) == ("toml_syntax", 1)

        unknown = await api.post(
            "/v1/policy/checks", headers=auth(keys["drafter"]), json={"source": SUCCESSOR, "against": "no-such"}
        )
        assert unknown.status_code == 404
        assert unknown.json()["error"]["fields"][0]["field"] == "body.against"


async def test_the_stored_decisions_are_replayed_under_a_text_and_under_a_stored_draft(eligibility, keys, stored):
    async with httpx.AsyncClient(base_url=eligibility.url, timeout=60) as api:
        r = await api.post("/v1/policy/whatif", headers=auth(keys["admin"]), json={"source": SUCCESSOR, **YEAR_2024})
        assert r.status_code == 200, r.text
        report = r.json()
        node = report["clauses"]["1.1-node"]
        assert (node["applications"], node["changed"], node["gained"]) == (3, 3, 3)
        assert node["total"] == {"baseline": "600000.00", "draft": "900000.00", "delta": "300000.00"}
        assert report["total"]["delta"] == "300000.00" and report["years"].keys() == {str(this_year())}
        assert len(report["applicants"]) == 3

        outside = await api.post(
            "/v1/policy/whatif",
            headers=auth(keys["admin"]),
            json={"source": SUCCESSOR, "from": "2022-01-01", "to": "2022-12-31"},
        )
        assert outside.json()["applications"] == 0

        backwards = await api.post(
            "/v1/policy/whatif",
            headers=auth(keys["admin"]),
            json={"source": SUCCESSOR, "from": "2024-12-31", "to": "2024-01-01"},
        )
        assert backwards.status_code == 422 and backwards.json()["error"]["code"] == "invalid_period"
        broken = await api.post(
            "/v1/policy/whatif", headers=auth(keys["admin"]), json={"source": "id = 1\n", **YEAR_2024}
        )
        assert broken.status_code == 422 and broken.json()["error"]["code"] == "invalid_policy_version"
        both = await api.post(
            "/v1/policy/whatif",
            headers=auth(keys["admin"]),
            json={"source": SUCCESSOR, "version": SUCCESSOR_ID, **YEAR_2024},
        )
        assert both.status_code == 422

        # Drafted, the same replay by its id, in the body or the path.
        drafted = await api.post("/v1/policy/drafts", headers=auth(keys["drafter"]), json={"source": SUCCESSOR})
        assert drafted.status_code == 201, drafted.text
        by_id = await api.post(
            "/v1/policy/whatif", headers=auth(keys["approver"]), json={"version": SUCCESSOR_ID, **YEAR_2024}
        )
        assert by_id.json() == report
        path = f"/v1/policy/versions/{SUCCESSOR_ID}/whatif"
        assert (await api.get(path, headers=auth(keys["drafter"]), params=YEAR_2024)).json() == report
        reversed_query = await api.get(
            path, headers=auth(keys["drafter"]), params={"from": "2024-12-31", "to": "2024-01-01"}
        )
        assert reversed_query.json()["error"]["fields"][0]["field"] == "query.to"
        missing = await api.get("/v1/policy/versions/no-such/whatif", headers=auth(keys["drafter"]), params=YEAR_2024)
        assert missing.status_code == 404

        # The draft's own text is still valid to draft; once approved, its id is not drafted again,
        # and the check says so while still showing what it changes.
        again = await api.post("/v1/policy/checks", headers=auth(keys["drafter"]), json={"source": SUCCESSOR})
        assert again.json()["valid"] is True
        approved = await api.post(f"/v1/policy/versions/{SUCCESSOR_ID}/approval", headers=auth(keys["approver"]))
        assert approved.status_code == 200, approved.text
        after = (await api.post("/v1/policy/checks", headers=auth(keys["drafter"]), json={"source": SUCCESSOR})).json()
        assert after["valid"] is False and [p["code"] for p in after["problems"]] == ["version_approved"]
        assert after["diff"]["old"] == "chengdu-blockchain-2023"
