"""Policy versions for tests, made from the bundled file. Never law: each says in its titles that it
is an illustration (the product bundles only the 2023 policy)."""

from pathlib import Path

from shared.policy.book import VERSIONS_DIR

BUNDLED = VERSIONS_DIR / "chengdu-blockchain-2023.toml"
TITLE_ZH = 'title_zh = "成都市建设国家区块链创新应用综合性试点专项政策"'
TITLE_EN = 'title_en = "Chengdu special policy for building the national blockchain innovation-application comprehensive pilot"'

# A district's supplementary clause (illustrative): 25% of a district node's investment, at most 500,000.
DISTRICT_NODE = """
[[clauses]]
id = "9.1-district-node"
article = "九（一）"
title_zh = "（示例）区级区块链节点建设补贴"
title_en = "(Illustration) Building a district blockchain node"
summary_zh = "（示例条款，非现行政策）建设区级区块链节点：按投入成本的 25% 给予最高 50 万元一次性补贴，每个节点一次。"
summary_en = "(An illustration, not law.) Builds a district blockchain node: 25% of the investment cost, at most 500,000 yuan, once per node."
wording_zh = "（示例条款）对在本区建设区块链节点的，按投入成本的 25% 给予最高 50 万元一次性补贴。"
formula = "rate_with_cap"
applicant_kinds = ["enterprise", "institution"]
subject = "node_id"
one_time = true
base = "investment_cost"
rate = "0.25"
cap = "500000"
[clauses.facts]
node_id = "id"
investment_cost = "money"
[[clauses.conditions]]
fact = "investment_cost"
op = ">"
value = "0"
wording_zh = "按投入成本"
[clauses.example]
occurred_on = 2026-03-01
facts = { node_id = "DN-001", investment_cost = "1000000.00" }
"""


def illustration(version_id: str, first_day: str, last_day: str, *edits: tuple[str, str], extra: str = "") -> str:
    """The bundled policy under another id and window, with `edits` applied and `extra` clauses appended."""
    text = BUNDLED.read_text(encoding="utf-8")
    for old, new in (
        ('id = "chengdu-blockchain-2023"', f'id = "{version_id}"'),
        ("first_day = 2023-02-10", f"first_day = {first_day}"),
        ("last_day = 2025-02-09", f"last_day = {last_day}"),
        (TITLE_ZH, f'title_zh = "（示例，非现行政策）{version_id}"'),
        (TITLE_EN, f'title_en = "(An illustration, not law) {version_id}"'),
        *edits,
    ):
        if old not in text:
            raise ValueError(f"the bundled policy no longer has {old!r}")
        text = text.replace(old, new, 1)
    return text + extra


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def district(directory: Path) -> Path:
    """A district's supplementary policy: the bundled clauses in a later window, and one of its own."""
    return write(
        directory,
        "bars-district-2025",
        illustration("bars-district-2025", "2025-02-10", "2027-02-09", extra=DISTRICT_NODE),
    )


SUCCESSOR_ID = "chengdu-blockchain-2025"


def in_clause(text: str, clause_id: str, old: str, new: str) -> str:
    """`text` with `old` replaced by `new` once, inside clause `clause_id`'s tables only."""
    start = text.index(f'\nid = "{clause_id}"\n')
    end = text.find("\n[[clauses]]", start)
    end = len(text) if end == -1 else end
    block = text[start:end]
    if old not in block:
        raise ValueError(f"clause {clause_id} has no {old!r}")
    return text[:start] + block.replace(old, new, 1) + text[end:]


def without_clause(text: str, clause_id: str) -> str:
    """`text` without clause `clause_id`'s tables."""
    start = text.index(f'[[clauses]]\nid = "{clause_id}"\n')
    end = text.find("\n[[clauses]]", start + 1)
    return text[:start] + ("" if end == -1 else text[end + 1 :])


def successor(
    *edits: tuple[str, str], version_id: str = SUCCESSOR_ID, first_day: str = "2025-02-10", extra: str = ""
) -> str:
    """An illustrative renewal of the bundled policy, 2025-02-10 … 2027-02-09, paying 30% for 1.1-node
    (titles say it is an illustration), with `edits` applied and `extra` clauses appended."""
    text = illustration(version_id, first_day, "2027-02-09", *edits, extra=extra)
    return in_clause(text, "1.1-node", 'rate = "0.20"', 'rate = "0.30"')
