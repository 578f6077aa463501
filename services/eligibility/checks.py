"""A version's text checked, compared and replayed, as `subsidy policy validate`, `diff` and `whatif`
do from the command line, for the policy officials' API (`api/checks.py`). Nothing is stored and
nobody is told.

A check says whether the text could be drafted now: the rules of the policy data, its fit with the
book of approved versions, and the lifecycle (an approved or withdrawn id is never drafted again).
Where the text is a version at all, it also says what it changes from a version of the book: the one
named, or the newest other than itself. A what-if replays eligibility's stored decisions under it.
"""

import asyncio
import datetime as dt
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.eligibility.domain import versions as rules
from services.eligibility.versions import NOT_A_VERSION, Lifecycle, check_source, invalid, record
from services.eligibility.whatif_read import stored
from shared.policy import PolicyBook, PolicyVersion
from shared.policy.diff import Change, VersionDiff, describe, diff, render
from shared.policy.validation import Problem, validate
from shared.policy.whatif import replay
from shared.policy_versions import version_of
from shared.refusal import Refused


async def check(session: AsyncSession, lifecycle: Lifecycle, source: str, against: str | None) -> dict[str, Any]:
    """Whether `source` could be drafted now, each problem if not, and what it changes from `against`
    (a version of the book; by default the newest other than itself)."""
    book = await lifecycle.published.book_in(session)
    base = in_book(book, against) if against is not None else None
    version = readable(source)
    problems = await _lifecycle_problems(session, version) if version else []
    problems = problems or check_source(source, book)
    old = base or (newest_other(book, version.id) if version else None)
    compared = diff(old, version) if version and old else None
    return {
        "valid": not problems,
        "version": version.id if version else None,
        "problems": [problem_json(p) for p in problems],
        "diff": diff_json(compared) if compared else None,
        "diff_text": {"zh": render(compared, "zh"), "en": render(compared, "en")} if compared else None,
    }


async def whatif(
    sessions: async_sessionmaker[AsyncSession], lifecycle: Lifecycle, source: str, first: dt.date, last: dt.date
) -> dict[str, Any]:
    """The report of `Report.to_json()`: every stored application dated first … last decided again as
    if `source` had been in force on its date. `invalid_policy_version` (422) if it is no version, or
    one that does not fit the book."""
    async with sessions.begin() as session:
        book = await lifecycle.published.book_in(session)
    draft, replay_book = fitted(source, book)
    async with sessions.begin() as session:  # a read-only transaction of its own (`stored`)
        entries = await stored(session, replay_book, first, last)
    # The replay is pure CPU: off the event loop, so the service keeps answering meanwhile.
    report = await asyncio.to_thread(replay, entries, draft)
    return report.to_json()


def readable(source: str) -> PolicyVersion | None:
    """The version `source` is, if the engine can read it at all."""
    try:
        return version_of(source, "the text")
    except NOT_A_VERSION:
        return None


def fitted(source: str, book: PolicyBook) -> tuple[PolicyVersion, PolicyBook]:
    """The version `source` is, and `book` with it in place of a version of the same id: the stored
    applications are read as that book reads them (as `subsidy policy whatif` does)."""
    try:
        draft = version_of(source, "the draft")
        return draft, PolicyBook([*(v for v in book.versions if v.id != draft.id), draft])
    except NOT_A_VERSION as error:
        problems = validate(source, book) or [
            Problem(
                "",
                None,
                "does_not_fit",
                f"the draft does not fit the policy book: {error}",
                f"草案与政策库不相容：{error}",
            )
        ]
        raise invalid(problems) from None


def in_book(book: PolicyBook, version_id: str) -> PolicyVersion:
    found = next((v for v in book.versions if v.id == version_id), None)
    if found is None:
        held = ", ".join(v.id for v in book.versions)
        raise Refused(
            "version_not_found",
            f"no version {version_id} in the policy book; it holds {held}",
            f"政策库中没有版本 {version_id}；现有 {held}",
            status=404,
            fields=[
                {
                    "field": "body.against",
                    "code": "version_not_found",
                    "message_en": f"no version {version_id} in the policy book",
                    "message_zh": f"政策库中没有版本 {version_id}",
                }
            ],
        )
    return found


def newest_other(book: PolicyBook, version_id: str) -> PolicyVersion | None:
    """The newest version of the book (by first day) other than `version_id`: what a draft renews."""
    return next((v for v in reversed(book.versions) if v.id != version_id), None)


async def _lifecycle_problems(session: AsyncSession, version: PolicyVersion) -> list[Problem]:
    try:
        rules.draft(await record(session, version.id, lock=False), version.id, version.content_hash)
    except Refused as refused:
        return [Problem("id", None, refused.code, refused.message_en, refused.message_zh)]
    return []


def problem_json(p: Problem) -> dict[str, Any]:
    return {"key": p.key, "clause": p.clause, "code": p.code, "en": p.en, "zh": p.zh, "line": p.line}


def diff_json(result: VersionDiff) -> dict[str, Any]:
    """The structured diff, each change also worded in both languages."""
    return {
        "old": result.old,
        "new": result.new,
        "changes": [_change_json(c) for c in result.changes],
        "clauses": [
            {
                "clause": c.clause,
                "status": c.status,
                "article": c.article,
                "title_zh": c.title_zh,
                "title_en": c.title_en,
                "changes": [_change_json(change) for change in c.changes],
            }
            for c in result.clauses
        ],
        "unchanged": list(result.unchanged),
    }


def _change_json(change: Change) -> dict[str, Any]:
    return {
        "what": change.what,
        "item": change.item,
        "old": change.old,
        "new": change.new,
        "zh": describe(change, "zh"),
        "en": describe(change, "en"),
    }
