"""Every status has a message worth reading in Chinese and English, rendered from a plain context;
each is compared with its snapshot in `snapshots/` (refresh with UPDATE_SNAPSHOTS=1 after a
deliberate change, and read the diff)."""

import os
from pathlib import Path

import pytest

from services.notify import samples, wording

SNAPSHOTS = Path(__file__).parent / "snapshots"
STATUSES = wording.statuses()
# The statuses intake knows today, and those payout is adding: each must have its message.
REQUIRED = {
    "eligible",
    "ineligible",
    "candidate",
    "in_review",
    "in_notice",
    "waitlisted",
    "not_proposed",
    "objected",
    "removed",
    "selected",
    "not_selected",
    "recognized",
    "awarded",
    "payout_requested",
    "paid",
    "payout_failed",
    "awaiting_budget",
    "payout_held",
    "payout_cancelled",
    "clawback_recorded",
    "withdrawn",
    # Not an application's status: a clause an earlier applicant could claim (免申即享).
    "match_found",
}


def shown(r: wording.Rendered) -> str:
    return f"Subject: {r.subject}\n\n{r.text}"


def test_every_status_has_a_template_in_both_languages_and_a_sample_context():
    assert set(STATUSES) == REQUIRED
    assert set(samples.SAMPLES) == REQUIRED


@pytest.mark.parametrize("language", wording.LANGUAGES)
@pytest.mark.parametrize("status", STATUSES)
def test_the_message_matches_its_snapshot(status, language):
    rendered = shown(wording.render(status, language, samples.sample(status)))
    snapshot = SNAPSHOTS / f"{status}.{language}.txt"
    if os.environ.get("UPDATE_SNAPSHOTS") or not snapshot.exists():
        snapshot.write_text(rendered, encoding="utf-8")
    assert rendered == snapshot.read_text(encoding="utf-8")


@pytest.mark.parametrize("language", wording.LANGUAGES)
@pytest.mark.parametrize("status", STATUSES)
def test_the_subject_alone_is_the_subject_of_the_whole_message(status, language):
    sample = samples.sample(status)
    assert wording.subject_line(status, language, sample) == wording.render(status, language, sample).subject


@pytest.mark.parametrize("language", wording.LANGUAGES)
@pytest.mark.parametrize("status", STATUSES)
def test_a_message_renders_before_the_application_itself_is_known(status, language):
    # Status events may be read before the submission that names the applicant and the clause.
    known = {k: samples.COMMON[k] for k in ("application_id", "notice_url")}
    unknown_application = samples.context(status, samples.SAMPLES[status], known)
    rendered = wording.render(status, language, unknown_application)
    assert rendered.subject and "None" not in rendered.subject + rendered.text


def test_an_eligible_message_explains_the_amount_with_the_rate_the_cost_the_cap_and_the_article():
    zh = wording.render("eligible", "zh", samples.sample("eligible")).text
    en = wording.render("eligible", "en", samples.sample("eligible")).text
    assert "投入成本 4,000,000.00 元 × 20% = 800,000.00 元；未超过补贴上限 1,000,000.00 元" in zh
    assert "政策第一（一）条" in zh
    assert "20% × 4,000,000.00 (investment cost) = 800,000.00; cap 1,000,000.00 not reached" in en
    assert "article 一（一）" in en


def test_an_ineligible_message_names_the_missing_condition_and_its_threshold():
    zh = wording.render("ineligible", "zh", samples.sample("ineligible")).text
    en = wording.render("ineligible", "en", samples.sample("ineligible")).text
    assert "要求 attendees ≥ 500，实际为 300" in zh
    assert "needs attendees ≥ 500, has 300" in en


def test_a_notice_message_gives_the_end_date_and_where_to_object():
    context = samples.sample("in_notice")
    zh = wording.render("in_notice", "zh", context)
    assert "2024年10月9日" in zh.subject and context["notice_url"] in zh.text
    en = wording.render("in_notice", "en", context)
    assert "9 October 2024" in en.subject and "rank 3" in en.subject and context["notice_url"] in en.text


def test_a_match_says_it_is_no_award_and_how_to_claim_in_both_languages():
    context = samples.sample("match_found") | {"selection": True}
    zh = wording.render("match_found", "zh", context)
    en = wording.render("match_found", "en", context)
    assert "须提出申请" in zh.subject and "1.2-industry-node" in zh.subject
    assert "本通知不是补贴决定" in zh.text and "提交条款 1.2-industry-node 的申请" in zh.text
    assert "POST /v1/applications" in zh.text and "2023年2月10日 至 2025年2月9日" in zh.text
    assert "500,000.00 元（须在年度遴选中入选）" in zh.text
    assert "an application is needed" in en.subject
    assert "This is not an award" in en.text and "submit an application under clause 1.2-industry-node" in en.text
    assert "POST /v1/applications" in en.text and "between 10 February 2023 and 9 February 2025" in en.text
    assert "500,000.00 yuan if you are selected" in en.text


def test_a_held_payout_says_what_to_do_for_each_reason():
    for reason, says in (
        ("payee_missing", "登记贵单位的对公收款账户"),
        ("payee_invalid", "核对并更正收款账户信息"),
        ("payout_rejected", "核对并更正收款账户信息"),
    ):
        context = samples.sample("payout_held") | {"reason": reason, "reason_code": None, "what_to_do": None}
        assert says in wording.render("payout_held", "zh", context).text


def test_the_html_part_is_the_text_with_every_value_escaped():
    context = samples.sample("awarded") | {"applicant_name": "<script>alert(1)</script> & Co"}
    rendered = wording.render("awarded", "en", context)
    assert "<script>" not in rendered.html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in rendered.html
    assert "<script>alert(1)</script> & Co" in rendered.text  # plain text stays plain


def test_a_partner_template_replaces_only_the_parts_it_gives():
    override = {"subject": "【链网门户】{{ applicant_name }}：获批 {{ amount | money }} 元", "text": None, "html": None}
    mine = wording.render("awarded", "zh", samples.sample("awarded"), override)
    ours = wording.render("awarded", "zh", samples.sample("awarded"))
    assert mine.subject == "【链网门户】成都链网科技有限公司：获批 800,000.00 元"
    assert mine.text == ours.text


def test_a_partner_html_template_is_autoescaped():
    html = "<h1>{{ subject }}</h1><p>{{ applicant_name }}</p>"
    rendered = wording.check(
        "awarded", "en", {"html": html}, samples.sample("awarded") | {"applicant_name": "A <b>&</b> B"}
    )
    assert rendered.html.endswith("<p>A &lt;b&gt;&amp;&lt;/b&gt; B</p>")


@pytest.mark.parametrize(
    "part, source, says",
    [
        ("text", "{% if amount %}unclosed", "line 1"),
        ("subject", "{{ amount | nosuchfilter }}", "nosuchfilter"),
        ("text", "{{ bank_account_number }}", "bank_account_number"),
        ("html", "{{ ''.__class__.__mro__[1].__subclasses__() }}", "not allowed"),
        ("text", "{{ reasons.append(1) }}", "not allowed"),
    ],
)
def test_a_template_that_does_not_render_against_the_sample_is_refused_naming_its_part(part, source, says):
    with pytest.raises(wording.TemplateRefused) as refused:
        wording.check("ineligible", "en", {part: source}, samples.sample("ineligible"))
    assert refused.value.part == part and says in refused.value.message


def test_a_subject_is_one_line_however_the_template_is_written():
    rendered = wording.render("paid", "en", samples.sample("paid"), {"subject": "Paid\n\n{{ amount }}\n"})
    assert rendered.subject == "Paid 800000.00"
