"""The public notice page, rendered on the server: Chinese first, English beside it."""

from html import escape

STYLE = """
body{font-family:"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif;margin:0 auto;max-width:70rem;
padding:1rem 1.5rem;color:#1b1b1b;line-height:1.6}
h1{border-bottom:3px solid #b71c1c;padding-bottom:.4rem}
.en{color:#555;font-size:.9em;margin-left:.5em}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}
th,td{border:1px solid #bbb;padding:.35rem .6rem;text-align:left}
th{background:#f3f3f3}
.held{color:#b71c1c}
.notice-box{background:#fff8e1;border-left:4px solid #f9a825;padding:.5rem 1rem}
.problem{background:#ffebee;border-left:4px solid #b71c1c;padding:.5rem 1rem}
.done{background:#e8f5e9;border-left:4px solid #2e7d32;padding:.5rem 1rem}
label{display:block;margin-top:.6rem}
input,select,textarea{width:100%;max-width:40rem;padding:.3rem;font:inherit}
button{display:block;margin-top:.8rem;padding:.4rem 1.2rem;font:inherit}
"""


def _e(value) -> str:
    return escape("" if value is None else str(value))


def _both(zh: str, en: str) -> str:
    return f'{zh}<span class="en" lang="en">{en}</span>'


def _notice_table(r: dict) -> str:
    rows = "".join(
        f"<tr><td>{p['rank']}</td><td>{_e(p['applicant_name'])}</td><td>{_e(p['project'] or '—')}</td>"
        f'<td>{_e(p["score"])}</td><td><time datetime="{_e(p["notice_ends_on"])}">{_e(p["notice_ends_on"])}</time></td>'
        + (
            '<td class="held">异议核查中 <span lang="en">under objection</span></td>'
            if p["under_objection"]
            else '<td>公示中 <span lang="en">in notice</span></td>'
        )
        + "</tr>"
        for p in r["proposed"]
    )
    return (
        f"<table><caption>{_both('拟入选名单', 'Proposed selections')}</caption><thead><tr>"
        f'<th scope="col">{_both("排名", "Rank")}</th><th scope="col">{_both("申报单位", "Applicant")}</th>'
        f'<th scope="col">{_both("项目", "Project")}</th><th scope="col">{_both("得分", "Score")}</th>'
        f'<th scope="col">{_both("公示截止", "Notice ends")}</th><th scope="col">{_both("状态", "Status")}</th>'
        f"</tr></thead><tbody>{rows}</tbody></table>"
    )


def _result_table(r: dict) -> str:
    rows = "".join(
        f"<tr><td>{p['rank']}</td><td>{_e(p['applicant_name'])}</td><td>{_e(p['project'] or '—')}</td></tr>"
        for p in r["selected"]
    ) or ('<tr><td colspan="3">本轮无入选对象 <span lang="en">nobody was selected</span></td></tr>')
    return (
        f"<table><caption>{_both('入选名单', 'Selected')}</caption><thead><tr>"
        f'<th scope="col">{_both("排名", "Rank")}</th><th scope="col">{_both("申报单位", "Applicant")}</th>'
        f'<th scope="col">{_both("项目", "Project")}</th></tr></thead><tbody>{rows}</tbody></table>'
    )


def _heading(r: dict) -> str:
    return (
        f'<h3>{r["year"]} 年度{_e(r["title_zh"])}<span class="en" lang="en">{r["year"]} — '
        f"{_e(r['title_en'])} (quota {r['quota']})</span></h3>"
    )


def _form(in_notice: list[dict], form: dict) -> str:
    options = "".join(
        f'<option value="{_e(r["clause"])}|{r["year"]}|{p["application_id"]}"'
        + (" selected" if form.get("candidate") == f"{r['clause']}|{r['year']}|{p['application_id']}" else "")
        + f">{r['year']} {_e(r['title_zh'])} · 第 {p['rank']} 名 · {_e(p['applicant_name'])}</option>"
        for r in in_notice
        for p in r["proposed"]
    )
    return f"""
<form method="post" action="/notices/objections">
  <label for="candidate">{_both("异议对象", "Objection against")}</label>
  <select id="candidate" name="candidate" required><option value="">—</option>{options}</select>
  <label for="name">{_both("真实姓名", "Your real name")}</label>
  <input id="name" name="name" required minlength="2" maxlength="50" autocomplete="name" value="{_e(form.get("name"))}">
  <label for="contact">{_both("联系方式（电话或邮箱）", "Contact (phone or e-mail)")}</label>
  <input id="contact" name="contact" required minlength="5" maxlength="100" value="{_e(form.get("contact"))}">
  <label for="reason">{_both("异议理由及证据", "Reason and evidence")}</label>
  <textarea id="reason" name="reason" required minlength="10" maxlength="2000" rows="5">{_e(form.get("reason"))}</textarea>
  <button type="submit">{_both("提交异议", "File the objection")}</button>
</form>"""


def render(
    rounds: list[dict], *, problem: dict | None = None, filed: str | None = None, form: dict | None = None
) -> str:
    in_notice = [r for r in rounds if r["state"] == "in_notice"]
    concluded = [r for r in rounds if r["state"] == "concluded"]
    notices = "".join(_heading(r) + _notice_table(r) for r in in_notice) or (
        '<p>目前没有公示中的遴选。<span class="en" lang="en">No selection is in public notice now.</span></p>'
    )
    results = "".join(_heading(r) + _result_table(r) for r in concluded) or (
        '<p>暂无已公布的结果。<span class="en" lang="en">No results published yet.</span></p>'
    )
    status = ""
    if filed:
        status = (
            f'<div class="done" role="status"><p>异议已受理，编号 {_e(filed)}。我们将核查并书面答复。'
            f'<span class="en" lang="en">Your objection was received (number {_e(filed)}); it will be '
            "examined and answered in writing.</span></p></div>"
        )
    if problem:
        items = "".join(
            f'<li>{_e(f["message_zh"])} <span lang="en">{_e(f["message_en"])}</span></li>'
            for f in problem.get("fields", [])
        )
        status = (
            f'<div class="problem" role="alert"><p>{_e(problem["message_zh"])} '
            f'<span class="en" lang="en">{_e(problem["message_en"])}</span></p>'
            + (f"<ul>{items}</ul>" if items else "")
            + "</div>"
        )
    how = (
        _form(in_notice, form or {})
        if in_notice
        else '<p>目前没有可提出异议的公示。<span class="en" lang="en">Nothing is open to objection now.</span></p>'
    )
    return f"""<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>区块链试点专项政策遴选公示 · Public notices of selections</title>
<style>{STYLE}</style>
</head>
<body>
<header>
<h1>成都市区块链创新应用综合性试点专项政策 遴选公示<span class="en" lang="en">Chengdu blockchain pilot policy — public notices of selections</span></h1>
<p>拟入选名单公示期以工作日计（法定节假日不计，调休上班日计入），自发布当日起算，截止日期见下表。公示期内，任何单位和个人均可实名提出异议。
<span class="en" lang="en">Proposed selections are published for a number of working days (public holidays do not
count, make-up working days do), counted from the day of publication; each end date is in the table. Until the end date anyone may object under their real name.</span></p>
</header>
<main>
{status}
<section aria-labelledby="in-notice"><h2 id="in-notice">{_both("公示中", "In public notice")}</h2>{notices}</section>
<section aria-labelledby="object"><h2 id="object">{_both("如何提出异议", "How to object")}</h2>
<div class="notice-box"><p>请在公示截止日（含当日）前，以真实姓名、联系方式及理由提交异议；逾期不予受理。也可调用
<code>POST /v1/notices/{{clause}}/{{year}}/objections</code>（无需密钥）。
<span class="en" lang="en">File by the end date (inclusive) with your real name, a contact and the reason; later
objections are refused. The same is open to programs at <code>POST /v1/notices/{{clause}}/{{year}}/objections</code>
(no key).</span></p></div>
{how}
</section>
<section aria-labelledby="results"><h2 id="results">{_both("遴选结果", "Results")}</h2>{results}</section>
</main>
</body>
</html>"""
