"""A dead letter replayed from two console replicas at once (or by two `subsidy dead-letters replay`
at once) goes back to its topic once: each replay claims the letter by its id in the console's
database before sending it."""

import asyncio
import os
import sys
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from typer.testing import CliRunner

from services.cli import app
from services.console import accounts
from services.intake.cli import PartnerKeys
from shared import topics
from shared.events import ApplicationSubmittedV1
from shared.messaging import dead_letters
from shared.messaging.envelope import Envelope
from shared.secretbox import SecretBox
from shared.stack import ServiceProcess, free_port
from tests.browser import sign_in
from tests.conftest import SECRETS_KEY
from tests.kafka_tools import send_raw
from tests.selection_tools import until
from tests.wiring import wired

pytestmark = [pytest.mark.integration, pytest.mark.browser]
PASSWORD = "correct horse battery staple"
CODE = "91510100MA61R8XN39"


@pytest.fixture(scope="module")
def consoles(stack, tmp_path_factory):
    log_dir = tmp_path_factory.mktemp("logs")
    procs = [
        ServiceProcess("console", free_port(), stack.env(), log_dir / f"console-{n}.log").start() for n in range(2)
    ]
    for p in procs:
        p.wait_ready()
    yield procs
    for p in procs:
        p.stop()


@pytest.fixture(scope="module")
async def admin(stack) -> str:
    async with wired(stack.database_url, "console") as console:
        await accounts.create(
            console.sessions, PartnerKeys(stack.database_url), SecretBox(SECRETS_KEY), "ada", "admin", PASSWORD
        )
    return "ada"


@pytest.fixture(scope="module")
async def db(stack):
    conn = await asyncpg.connect(stack.database_url.replace("+asyncpg", ""))
    yield conn
    await conn.close()


async def a_letter(stack) -> tuple[str, bytes]:
    """A new dead letter (an event notify gave up on); its id and its payload."""
    payload = f"{{not json {uuid.uuid4().hex}".encode()
    event = Envelope.of(
        ApplicationSubmittedV1(
            application_id=uuid.uuid4(), partner_id="p", submitted_at=datetime.now(UTC), application={}
        ),
        source="/test",
        key=CODE,
        subject="x",
    )
    dlt = {
        "dlt_consumer": "notify-partners",
        "dlt_topic": topics.APPLICATIONS,
        "dlt_partition": "0",
        "dlt_offset": "3",
        "dlt_error": "not JSON",
        "dlt_error_type": "MalformedEvent",
        "dlt_attempts": "1",
        "dlt_at": datetime.now(UTC).isoformat(),
    }
    await send_raw(
        stack.bootstrap_servers,
        topics.DEAD_LETTERS,
        (CODE.encode(), payload, event.headers() + [(k, v.encode()) for k, v in dlt.items()]),
    )

    async def letter_id():
        found, _ = await dead_letters.letters(stack.bootstrap_servers)
        return next((d.id for d in found if d.headers.get("ce_id") == event.id), None)

    return await until(letter_id), payload


async def times_sent_back(stack, payload: bytes) -> int:
    return sum(r.value == payload for r in await dead_letters.read_to_end(stack.bootstrap_servers, topics.APPLICATIONS))


async def test_two_console_replicas_asked_at_once_send_a_dead_letter_back_once(stack, consoles, admin, browser, db):
    letter_id, payload = await a_letter(stack)
    officials = []
    for console in consoles:  # one official's tab on each replica
        context = await browser.new_context(locale="zh-CN")
        page = await context.new_page()
        await sign_in(page, console.url, admin, PASSWORD)
        await page.goto(f"{console.url}/dead-letters/{letter_id}")
        token = await page.locator("form[action$='/replay'] input[name=csrf_token]").get_attribute("value")
        officials.append((f"{console.url}/dead-letters/{letter_id}/replay", page, token))

    answers = await asyncio.gather(
        *[page.request.post(url, form={"csrf_token": token}, max_redirects=0) for url, page, token in officials * 2]
    )

    assert sorted(a.status for a in answers) == [303, 409, 409, 409]
    for refused in (a for a in answers if a.status == 409):
        text = await refused.text()
        assert "已重放过，未再次发送" in text or "尚未确认发送" in text  # replayed, or being replayed
    assert await times_sent_back(stack, payload) == 1  # every request has answered: none sends later
    claim = await db.fetchrow("SELECT state, claimed_by FROM console.replays WHERE letter_id = $1", letter_id)
    assert claim["state"] == "sent" and claim["claimed_by"] == f"console:{admin}"
    for _, page, _ in officials:
        await page.context.close()


async def test_two_replay_commands_at_once_send_a_dead_letter_back_once(stack, db):
    letter_id, payload = await a_letter(stack)
    env = os.environ | {"KAFKA_BOOTSTRAP_SERVERS": stack.bootstrap_servers, "DATABASE_URL": stack.database_url}
    commands = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "services.cli",
            "dead-letters",
            "replay",
            "--id",
            letter_id,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        for _ in range(2)
    ]
    outputs = [(await c.communicate())[0].decode() for c in commands]

    assert [c.returncode for c in commands] == [0, 0], outputs
    assert sorted("replayed 1 event(s)" in out for out in outputs) == [False, True], outputs
    assert await times_sent_back(stack, payload) == 1
    assert await db.fetchval("SELECT state FROM console.replays WHERE letter_id = $1", letter_id) == "sent"


async def test_a_replay_cut_short_after_its_claim_is_sent_again_only_on_purpose(stack, consoles, admin, browser, db):
    letter_id, payload = await a_letter(stack)
    # A replayer that stopped between claiming the letter and sending it, a while ago.
    await db.execute(
        "INSERT INTO console.replays (letter_id, state, claimed_by, claimed_at) VALUES ($1, 'sending', 'x', $2)",
        letter_id,
        datetime.now(UTC) - timedelta(minutes=10),
    )
    context = await browser.new_context(locale="zh-CN")
    page = await context.new_page()
    await sign_in(page, consoles[0].url, admin, PASSWORD)
    url = f"{consoles[0].url}/dead-letters/{letter_id}"
    await page.goto(url)
    async with page.expect_navigation() as clicked:
        await page.click("form[action$='/replay'] button")
    assert (await clicked.value).status == 409
    told = await page.locator("[role=alert]").inner_text()
    assert f"subsidy dead-letters replay --id {letter_id} --resend-unconfirmed" in told
    await context.close()
    env = {"KAFKA_BOOTSTRAP_SERVERS": stack.bootstrap_servers, "DATABASE_URL": stack.database_url}
    plain = await asyncio.to_thread(CliRunner().invoke, app, ["dead-letters", "replay", "--id", letter_id], env=env)
    assert "replayed 0 event(s)" in plain.output and "not confirmed sent" in plain.output
    assert await times_sent_back(stack, payload) == 0

    resent = await asyncio.to_thread(
        CliRunner().invoke, app, ["dead-letters", "replay", "--id", letter_id, "--resend-unconfirmed"], env=env
    )

    assert resent.exit_code == 0 and "replayed 1 event(s)" in resent.output, resent.output
    assert await times_sent_back(stack, payload) == 1
    assert await db.fetchval("SELECT state FROM console.replays WHERE letter_id = $1", letter_id) == "sent"
