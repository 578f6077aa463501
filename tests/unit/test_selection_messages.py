"""Applicants and partner portals are told of every selection step, in both languages."""

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

from services.notify.handlers import summary
from services.notify.statuses import notice
from shared.events import GrantLine, RecognitionGrantedV1, SelectionProgressedV1
from shared.statuses import status_change

BASE = {
    "application_id": uuid.uuid4(),
    "credit_code": "91510100MA61R8XN39",
    "clause": "2.3-alliance-chain",
    "year": 2024,
}
NOTICES = "https://subsidy.example.cn/notices"


def test_every_selection_step_has_a_message_and_a_status():
    for step in ("in_review", "in_notice", "waitlisted", "not_proposed", "objected", "removed"):
        p = SelectionProgressedV1(**BASE, step=step, rank=3, score=Decimal("88.50"), notice_ends_on=date(2024, 10, 9))
        zh, en = summary(notice(p), p.application_id, NOTICES)
        assert zh and en and "{" not in zh + en and "None" not in zh + en
        assert status_change(p).status == step
    p = SelectionProgressedV1(**BASE, step="in_notice", rank=3, notice_ends_on=date(2024, 10, 9))
    zh, en = summary(notice(p), p.application_id, NOTICES)
    assert "2024年10月9日" in zh and "rank 3" in en


def test_a_recognition_lists_the_benefits_the_policy_names():
    p = RecognitionGrantedV1(
        **BASE | {"clause": "3.6-demo-base"},
        recognition_id=uuid.uuid4(),
        rank=1,
        benefits_zh="授牌",
        benefits_en="plaque (授牌)",
        granted_at=datetime.now(UTC),
        grants=[GrantLine(subject_key="project_id=BASE-01", amount=Decimal(0))],
    )
    assert summary(notice(p), p.application_id, NOTICES) == ("已获认定：授牌", "Recognised: plaque (授牌)")
    assert (status_change(p).status, status_change(p).detail) == (
        "recognized",
        {"year": 2024, "rank": 1, "benefits_zh": "授牌", "benefits_en": "plaque (授牌)"},
    )
