"""The money loop with every service a process of its own and the finance stand-in answering:
budgets that make awards wait and let them go in order, bank details supplied late, a bank's
rejection corrected, a cancellation, clawbacks, reports, and the ledger verified at the end."""

import asyncio
import copy
import io
import itertools
import json
import os
import subprocess
import sys
import time
import uuid
from decimal import Decimal

import httpx
import pytest

from tests.books import EXAMPLES
from tests.builders import applicant_code
from tests.money_tools import fund, payee_for, this_year, verified
from tests.selection_tools import auth, key_works, until

pytestmark = pytest.mark.e2e
NAME = EXAMPLES["1.1-node"]["applicant"]["name"]
_numbers = itertools.count(int(time.time()) % 100_000 * 10)


@pytest.fixture(scope="module")
async def keys(services, stack):
    partner, finance, admin = await stack.key(), await stack.key(role="finance"), await stack.key(role="admin")
    async with httpx.AsyncClient(base_url=services["payout"].url) as payout:
        await key_works(payout, finance, "/v1/budgets")
        await key_works(payout, admin, "/v1/budgets")
    return {"partner": partner, "finance": finance, "admin": admin}


@pytest.fixture
async def intake(services, keys):
    async with httpx.AsyncClient(base_url=services["intake"].url, headers=auth(keys["partner"])) as client:
        yield client


@pytest.fixture
async def payout(services):
    async with httpx.AsyncClient(base_url=services["payout"].url) as client:
        yield client


def application(clause: str = "1.1-node", payee: dict | None = None) -> dict:
    n = next(_numbers)
    app = copy.deepcopy(EXAMPLES[clause])
    app["applicant"]["credit_code"] = applicant_code(n, prefix="91510100MD")
    subject = next(k for k in ("node_id", "project_id", "standard_id") if k in app["facts"])
    app["facts"][subject] = f"M-{n}"
    if payee is not None:
        app["payee"] = payee
    return app


async def submit(intake: httpx.AsyncClient, app: dict) -> str:
    response = await intake.post("/v1/applications", json=app, headers={"Idempotency-Key": str(uuid.uuid4())})
    assert response.status_code == 202, response.text
    return response.json()["id"]


async def steps_until(intake: httpx.AsyncClient, app_id: str, *wanted: str, timeout_s: float = 40) -> list[dict]:
    """The timeline once it holds `wanted` in that order (other steps may come between)."""

    async def reached():
        timeline = (await intake.get(f"/v1/applications/{app_id}")).json()["timeline"]
        statuses, i = [s["status"] for s in timeline], 0
        for status in statuses:
            if i < len(wanted) and status == wanted[i]:
                i += 1
        return i == len(wanted) and timeline

    return await until(reached, timeout_s)


def last(timeline: list[dict], status: str) -> dict:
    return [s for s in timeline if s["status"] == status][-1]["detail"]


async def test_an_application_with_its_account_is_paid_on_the_expected_schedule(stack, intake):
    await fund(stack.database_url)
    app_id = await submit(intake, application(payee=payee_for(NAME)))
    timeline = await steps_until(intake, app_id, "awarded", "payout_requested", "paid")
    requested, paid = last(timeline, "payout_requested"), last(timeline, "paid")
    assert requested["amount"] == paid["amount"] == "800000.00"
    assert requested["account"] == "****3445" and requested["expected_on"] > timeline[0]["at"][:10]
    assert paid["payout_id"] == requested["payout_id"] and paid["bank_reference"].startswith("CNAPS")
    assert (await intake.get(f"/v1/applications/{app_id}")).json()["status"] == "paid"


async def test_awards_beyond_the_budget_wait_in_order_and_go_ahead_when_it_is_raised(stack, intake, payout, keys):
    year, clause = this_year(), "3.5-ministry-demo"
    finance = auth(keys["finance"])
    put = await payout.put(f"/v1/budgets/{year}/{clause}", json={"amount": "500000.00"}, headers=finance)
    assert put.status_code == 200, put.text
    await steps_until(intake, await submit(intake, application(clause, payee_for(NAME))), "paid")
    second = await submit(intake, application(clause, payee_for(NAME)))  # 300,000 more do not fit
    assert last(await steps_until(intake, second, "awaiting_budget"), "awaiting_budget")["amount"] == "300000.00"
    third = await submit(intake, application(clause, payee_for(NAME)))
    await steps_until(intake, third, "awaiting_budget")
    lines = (await payout.get("/v1/budgets", params={"year": year}, headers=finance)).json()
    line = next(x for x in lines if x["clause"] == clause)
    assert (line["paid"], line["available"], line["awaiting_budget"]) == ("300000.00", "200000.00", 2)

    cut = await payout.put(f"/v1/budgets/{year}/{clause}", json={"amount": "299999.99"}, headers=finance)
    assert cut.status_code == 409 and cut.json()["error"]["code"] == "budget_below_committed"
    raised = await payout.put(f"/v1/budgets/{year}/{clause}", json={"amount": "800000.00"}, headers=finance)
    assert raised.json()["released"] == 1  # 500,000 left: the second goes, the third still does not fit
    await steps_until(intake, second, "awaiting_budget", "payout_requested", "paid")
    raised = await payout.put(f"/v1/budgets/{year}/{clause}", json={"amount": "900000.00"}, headers=finance)
    assert raised.json()["released"] == 1
    await steps_until(intake, third, "awaiting_budget", "payout_requested", "paid")
    refused = await payout.put(f"/v1/budgets/{year}/{clause}", json={"amount": "1.00"}, headers=auth(keys["partner"]))
    assert refused.status_code == 403


async def test_a_payout_without_an_account_is_held_until_the_partner_supplies_one(stack, intake):
    await fund(stack.database_url)
    app_id = await submit(intake, application())
    held = last(await steps_until(intake, app_id, "payout_held"), "payout_held")
    assert held["reason"] == "payee_missing" and "/payee" in held["what_to_do"]
    wrong = await intake.put(f"/v1/applications/{app_id}/payee", json=payee_for("别人家的公司"))
    assert wrong.status_code == 422 and wrong.json()["error"]["fields"][0]["code"] == "payee_name_mismatch"
    supplied = await intake.put(f"/v1/applications/{app_id}/payee", json=payee_for(NAME))
    assert supplied.status_code == 202 and supplied.json()["account"] == "****3445"
    timeline = await steps_until(intake, app_id, "payout_held", "payout_requested", "paid")
    assert last(timeline, "paid")["payout_id"] == held["payout_id"]  # never sent: the same payout goes


async def test_a_rejected_payout_is_held_and_corrected_details_make_a_new_payout(stack, intake):
    await fund(stack.database_url)
    app_id = await submit(intake, application(payee=payee_for(NAME, "6222020200110004")))  # a closed account
    timeline = await steps_until(intake, app_id, "payout_requested", "payout_failed", "payout_held")
    failed, held = last(timeline, "payout_failed"), last(timeline, "payout_held")
    assert failed["reason_code"] == held["reason_code"] == "AC04" and held["reason"] == "payout_rejected"
    await intake.put(f"/v1/applications/{app_id}/payee", json=payee_for(NAME))
    timeline = await steps_until(intake, app_id, "payout_failed", "payout_requested", "paid")
    assert last(timeline, "paid")["payout_id"] != failed["payout_id"]
    assert (await intake.get(f"/v1/applications/{app_id}")).json()["status"] == "paid"


async def test_an_admin_cancels_a_held_award_and_its_reservation_is_released(stack, intake, payout, keys):
    year, clause = this_year(), "4.9-standard"
    finance, admin = auth(keys["finance"]), auth(keys["admin"])
    await payout.put(f"/v1/budgets/{year}/{clause}", json={"amount": "500000.00"}, headers=finance)
    app_id = await submit(intake, application(clause))
    held = last(await steps_until(intake, app_id, "payout_held"), "payout_held")
    payouts = (await payout.get("/v1/payouts", params={"application_id": app_id}, headers=finance)).json()
    award_id = payouts[0]["award_id"]
    assert payouts[0]["id"] == held["payout_id"] and payouts[0]["status"] == "held"
    line = lambda: payout.get("/v1/budgets", params={"year": year}, headers=finance)  # noqa: E731
    assert next(x for x in (await line()).json() if x["clause"] == clause)["reserved"] == "500000.00"
    assert (
        await payout.post(f"/v1/awards/{award_id}/cancel", json={"reason": "x"}, headers=finance)
    ).status_code == 403
    cancelled = await payout.post(f"/v1/awards/{award_id}/cancel", json={"reason": "申请撤回"}, headers=admin)
    assert cancelled.status_code == 200, cancelled.text
    assert last(await steps_until(intake, app_id, "payout_cancelled"), "payout_cancelled")["reason"] == "申请撤回"
    assert next(x for x in (await line()).json() if x["clause"] == clause)["available"] == "500000.00"


async def test_clawbacks_are_bounded_by_what_was_paid_and_idempotent_by_key(stack, intake, payout, keys):
    await fund(stack.database_url)
    app_id = await submit(intake, application(payee=payee_for(NAME)))
    paid = last(await steps_until(intake, app_id, "paid"), "paid")
    admin = auth(keys["admin"])
    award_id = (await payout.get("/v1/payouts", params={"application_id": app_id}, headers=admin)).json()[0]["award_id"]
    path = f"/v1/awards/{award_id}/clawbacks"
    body = {"key": "review-2025", "amount": "300000.00", "reason": "绩效评价不合格"}
    first = await payout.post(path, json=body, headers=admin)
    assert first.status_code == 201, first.text
    again = await payout.post(path, json=body, headers=admin)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    other = await payout.post(path, json=body | {"amount": "1.00"}, headers=admin)
    assert other.status_code == 409 and other.json()["error"]["code"] == "exists_with_different_amount"
    too_much = await payout.post(path, json=body | {"key": "fraud", "amount": "500000.01"}, headers=admin)
    assert too_much.status_code == 409 and too_much.json()["error"]["code"] == "exceeds_paid"
    rest = await payout.post(path, json=body | {"key": "fraud", "amount": "500000.00", "reason": "骗补"}, headers=admin)
    assert rest.status_code == 201
    timeline = await steps_until(intake, app_id, "paid", "clawback_recorded", "clawback_recorded")
    assert [s["detail"]["amount"] for s in timeline if s["status"] == "clawback_recorded"] == ["300000.00", "500000.00"]
    assert paid["amount"] == last(timeline, "clawback_recorded")["total_clawed_back"]


async def test_finance_reads_the_report_as_csv_and_xlsx_and_the_ledger_verifies(stack, payout, keys, tmp_path):
    from openpyxl import load_workbook

    finance = auth(keys["finance"])
    report = await payout.get("/v1/reports/budget", params={"year": this_year()}, headers=finance)
    assert report.status_code == 200 and report.headers["content-type"].startswith("text/csv")
    header, *rows = report.content.decode("utf-8-sig").splitlines()
    assert (
        header == "year,clause,budget,awarded,cancelled,awaiting_budget,reserved,paid,outstanding,recovered,available"
    )
    standard = next(r.split(",") for r in rows if ",4.9-standard," in r)
    assert standard[4] == "500000.00" and standard[-1] == "500000.00"  # the cancelled award freed its line
    # The report carries the ledger's head as of it, signed, for finance to keep.
    head = json.loads(report.headers["ledger-head"])
    assert head["seq"] > 0 and len(head["hash"]) == len(head["mac"]) == 64
    xlsx = await payout.get("/v1/reports/budget", params={"year": this_year(), "format": "xlsx"}, headers=finance)
    kept = dict(load_workbook(io.BytesIO(xlsx.content))["ledger head"].values)
    assert kept["seq"] >= head["seq"] and kept["key_id"] == head["key_id"]
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert [c.value for c in sheet[1]][:3] == ["year", "clause", "budget"] and sheet.max_row == len(rows) + 1
    node = next(r for r in sheet.iter_rows(min_row=2, values_only=True) if r[1] == "1.1-node")
    assert Decimal(str(node[9])) >= Decimal("800000.00")  # recovered
    assert (await payout.get("/v1/reports/budget", headers=auth(keys["partner"]))).status_code == 403

    assert (await verified(stack.database_url)).problem is None
    env = {**os.environ, **stack.env()}
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "services.cli", "ledger", "verify"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0 and "ledger verified" in done.stdout, done.stderr
    (kept_head := tmp_path / "head.json").write_text(json.dumps(head))
    held = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "services.cli", "ledger", "verify", "--head", str(kept_head)],
        env=env,
        capture_output=True,
        text=True,
    )
    assert held.returncode == 0 and f"holding published head #{head['seq']}" in held.stdout, held.stderr
