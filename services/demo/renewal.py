"""An illustrative renewal of the bundled policy, for the demo's what-if: the same clauses from the
day after the newest version ends, for two years, with 1.1-node paying 30% of the investment
instead of 20%. Its titles say it is an illustration: it is never drafted, only replayed over the
year the demo played (`POST /v1/policy/whatif`), to show what such a renewal would have paid."""

import datetime as dt
import re

from shared.policy.book import VERSIONS_DIR

BUNDLED = VERSIONS_DIR / "chengdu-blockchain-2023.toml"
RENEWAL_ID = "demo-illustrative-renewal"
OLD_RATE, NEW_RATE = "0.20", "0.30"  # 1.1-node's share of the investment


def renewal(first_day: dt.date) -> str:
    """The renewal's text, in force from `first_day` for two years; ValueError if the bundled file no
    longer reads as this expects."""
    last_day = _two_years_on(first_day) - dt.timedelta(days=1)
    text = BUNDLED.read_text(encoding="utf-8")
    for pattern, new in (
        (r'^id = "chengdu-blockchain-2023"$', f'id = "{RENEWAL_ID}"'),
        (r"^title_zh = .*$", 'title_zh = "（示例，非现行政策）政策续期示例：节点建设补贴提高至 30%"'),
        (r"^title_en = .*$", 'title_en = "(An illustration, not law) a renewal paying 30% for nodes"'),
        (r"^first_day = .*$", f"first_day = {first_day}"),
        (r"^last_day = .*$", f"last_day = {last_day}"),
        (r"^window_wording_zh = .*$", f'window_wording_zh = "（示例）自 {first_day} 起施行，有效期 2 年。"'),
    ):
        literal = new.replace("\\", "\\\\")  # a replacement's backslashes are escapes
        text, found = re.subn(pattern, literal, text, count=1, flags=re.MULTILINE)
        if not found:
            raise ValueError(f"the bundled policy {BUNDLED.name} has no line {pattern!r} any more")
    node = text.index('\nid = "1.1-node"\n')
    rate = text.find(f'\nrate = "{OLD_RATE}"\n', node)
    following = text.find("\n[[clauses]]", node)
    if rate == -1 or (following != -1 and rate > following):
        raise ValueError(f"clause 1.1-node of {BUNDLED.name} no longer pays {OLD_RATE}")
    return text[:rate] + f'\nrate = "{NEW_RATE}"\n' + text[rate + len(f'\nrate = "{OLD_RATE}"\n') :]


def _two_years_on(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year + 2)
    except ValueError:  # 29 February
        return dt.date(day.year + 2, 3, 1)
