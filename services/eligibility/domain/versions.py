"""A policy version's lifecycle as rules, free of I/O.

A version is drafted (its text, under the id the text gives it), approved by an official other
than the one who drafted it (four eyes), and from then on never changes: its id stands for that
text for ever, in every service's book and in every decision taken under it. An approved version
may be withdrawn only before its first day and only while no decision was taken under it; a draft
may be withdrawn (abandoned) at any time. A withdrawn version's id is never used again.

The caller reads the version's record and what the rules need to know, and writes what they allow;
a move they refuse is `Refused` with a code naming the rule.
"""

import unicodedata
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from shared.refusal import Refused


class State(StrEnum):
    DRAFT = "draft"  # drafted, waiting for a second official's approval; in nobody's book
    APPROVED = "approved"  # published: in every service's book; its text never changes
    WITHDRAWN = "withdrawn"  # abandoned as a draft, or taken back before its first day; final


class Drafting(StrEnum):
    """What drafting a text under an id does."""

    NEW = "new"  # the id is new: a draft is recorded
    REDRAFTED = "redrafted"  # the id's draft gets this new text (and its drafter)
    UNCHANGED = "unchanged"  # the id's draft has this text already: nothing changes


@dataclass(frozen=True)
class Record:
    """What the rules need of a version as recorded."""

    version_id: str
    content_hash: str
    state: State
    first_day: date
    drafted_by: str


def same_official(a: str, b: str) -> bool:
    """Whether two names are one official's: compared as people type them (width, case, spaces)."""

    def key(name: str) -> str:
        return " ".join(unicodedata.normalize("NFKC", name).casefold().split())

    return key(a) == key(b)


def official(name: str) -> str:
    """The name of who acts, trimmed; refused if there is none."""
    name = name.strip()
    if not name:
        raise Refused("official_required", "say who acts (a name)", "请注明操作人", status=422)
    return name


def draft(existing: Record | None, version_id: str, content_hash: str) -> Drafting:
    """What drafting `content_hash` under `version_id` does, given the id's record if it has one."""
    if existing is None:
        return Drafting.NEW
    if existing.state is State.APPROVED:
        if existing.content_hash == content_hash:
            raise Refused(
                "version_approved",
                f"policy version {version_id} is approved already, with this very text",
                f"政策版本 {version_id} 已批准（内容相同）",
            )
        raise Refused(
            "version_approved",
            f"policy version {version_id} is approved: a version once approved never changes; "
            "draft the new text under a new id",
            f"政策版本 {version_id} 已批准，批准后不得修改；请以新的版本号起草",
        )
    if existing.state is State.WITHDRAWN:
        raise Refused(
            "version_withdrawn",
            f"policy version {version_id} was withdrawn: a withdrawn version's id is never used again; "
            "draft under a new id",
            f"政策版本 {version_id} 已撤回，其版本号不再使用；请以新的版本号起草",
        )
    return Drafting.UNCHANGED if existing.content_hash == content_hash else Drafting.REDRAFTED


def approve(record: Record, approver: str) -> None:
    """Refused unless `record` is a draft and `approver` is not its drafter."""
    if record.state is not State.DRAFT:
        raise Refused(
            f"version_{record.state}",
            f"policy version {record.version_id} is {record.state}: only a draft is approved",
            f"政策版本 {record.version_id} 状态为 {record.state}，只有草稿可以批准",
        )
    if same_official(approver, record.drafted_by):
        raise Refused(
            "four_eyes",
            f"policy version {record.version_id} was drafted by {record.drafted_by}: "
            "a version is approved by an official other than its drafter (four eyes)",
            f"政策版本 {record.version_id} 由 {record.drafted_by} 起草，须由起草人以外的人员批准（双人复核）",
            status=403,
        )


def withdraw(record: Record, today: date, decided_under_it: bool) -> None:
    """Refused unless `record` is a draft, or approved with its first day still ahead and no
    decision taken under it."""
    if record.state is State.WITHDRAWN:
        raise Refused(
            "version_withdrawn",
            f"policy version {record.version_id} is withdrawn already",
            f"政策版本 {record.version_id} 已撤回",
        )
    if record.state is State.DRAFT:
        return
    if today >= record.first_day:
        raise Refused(
            "version_in_force",
            f"policy version {record.version_id} took effect on {record.first_day}: "
            "an approved version is withdrawn only before its first day",
            f"政策版本 {record.version_id} 已于 {record.first_day} 施行，已批准的版本只能在施行日前撤回",
        )
    if decided_under_it:
        raise Refused(
            "version_used",
            f"decisions were taken under policy version {record.version_id}: it can no longer be withdrawn",
            f"已有决定依据政策版本 {record.version_id} 作出，不能撤回",
        )
