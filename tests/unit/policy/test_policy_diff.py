"""Two policy versions compared clause by clause, worded in Chinese and in English."""

from shared.policy import load_policies
from shared.policy.book import parse_version
from shared.policy.diff import Change, diff, render
from tests.policy_files import DISTRICT_NODE, in_clause, successor, without_clause

BUNDLED = load_policies().latest


def version(text: str):
    return parse_version(text.encode(), "test")


def test_a_successor_changes_the_window_and_the_rate_of_1_1_node_only():
    result = diff(BUNDLED, version(successor()))

    assert (result.old, result.new) == ("chengdu-blockchain-2023", "chengdu-blockchain-2025")
    assert result.changes == (Change("window", None, "2023-02-10 – 2025-02-09", "2025-02-10 – 2027-02-09"),)
    assert [(c.clause, c.status, c.changes) for c in result.clauses] == [
        ("1.1-node", "changed", (Change("rate", None, "0.20", "0.30"),))
    ]
    assert len(result.unchanged) == 15


def test_the_successor_reads_in_both_languages():
    result = diff(BUNDLED, version(successor()))
    zh, en = render(result, "zh").splitlines(), render(result, "en").splitlines()

    assert zh[:4] == [
        "chengdu-blockchain-2023 → chengdu-blockchain-2025",
        "施行期：2023-02-10 – 2025-02-09 → 2025-02-10 – 2027-02-09",
        "条款 1.1-node（一（一），国家、省级区块链基础设施节点在蓉建设补贴）：有变更",
        "  比例：0.20 → 0.30",
    ]
    assert en[:4] == [
        "chengdu-blockchain-2023 → chengdu-blockchain-2025",
        "window: 2023-02-10 – 2025-02-09 → 2025-02-10 – 2027-02-09",
        "clause 1.1-node (一（一）, Building a national or provincial blockchain-infrastructure node in Chengdu): "
        "changed",
        "  rate: 0.20 → 0.30",
    ]
    assert zh[-1] == "其余 15 个条款无变更" and en[-1] == "15 clause(s) unchanged"


def test_caps_amounts_tiers_conditions_and_parameters_show_old_and_new_with_money_as_plain_decimals():
    text = in_clause(successor(), "1.2-gov-infra", 'cap = "500000"', 'cap = "750000.5"')
    text = in_clause(text, "3.5-external-revenue", 'amount = "300000"', 'amount = "350000"')
    text = in_clause(text, "2.3-alliance-chain", "value = 4\n", "value = 5\n")
    text = in_clause(text, "4.9-standard", 'group = "100000"', 'group = "120000"')
    text = in_clause(text, "2.3-alliance-chain", "quota = 10", "quota = 12")
    text = text.replace('tier_mode = "every_tier"', 'tier_mode = "highest_only"')
    result = diff(BUNDLED, version(text))
    changed = {c.clause: c.changes for c in result.clauses}

    assert Change("tier_mode", None, "every_tier", "highest_only") in result.changes
    assert changed["1.2-gov-infra"] == (Change("cap", None, "500000.00", "750000.50"),)
    assert changed["3.5-external-revenue"] == (Change("tier", "100000000.00", "300000.00", "350000.00"),)
    assert changed["4.9-standard"] == (Change("level_amount", "group", "100000.00", "120000.00"),)
    assert changed["2.3-alliance-chain"] == (
        Change("condition", "node_count", "≥ 4", "≥ 5"),
        Change("quota", None, "10", "12"),
    )
    en, zh = render(result, "en"), render(result, "zh")
    assert "  cap, yuan: 500000.00 → 750000.50" in en and "  上限（元）：500000.00 → 750000.50" in zh
    assert "  award for more than 100000000.00 yuan: 300000.00 → 350000.00" in en
    assert "  超过 100000000.00 元的奖励：300000.00 → 350000.00" in zh
    assert "  condition on node_count: ≥ 4 → ≥ 5" in en and "  关于 node_count 的条件：≥ 4 → ≥ 5" in zh
    assert "tier mode: every_tier → highest_only" in en and "跨档计奖方式：every_tier → highest_only" in zh


def test_new_and_removed_clauses_and_fact_declarations():
    text = without_clause(successor(extra=DISTRICT_NODE), "4.10-matchmaking")
    text = in_clause(text, "1.2-gov-infra", 'project_id = "id"\n', 'project_id = "id"\nlocated_in_chengdu = "bool"\n')
    result = diff(BUNDLED, version(text))
    by_id = {c.clause: c for c in result.clauses}

    assert by_id["4.10-matchmaking"].status == "removed" and by_id["4.10-matchmaking"].changes == ()
    added = by_id["9.1-district-node"]
    assert added.status == "added"
    assert (
        Change("rate", None, None, "0.25") in added.changes and Change("cap", None, None, "500000.00") in added.changes
    )
    assert Change("fact", "located_in_chengdu", None, "bool") in by_id["1.2-gov-infra"].changes
    en, zh = render(result, "en"), render(result, "zh")
    assert "clause 4.10-matchmaking (四（十）, Organising a resource-matching / collaboration event): removed" in en
    assert "条款 4.10-matchmaking（四（十），区块链资源对接、企业协作活动补贴）：删除" in zh
    assert "clause 9.1-district-node (九（一）, (Illustration) Building a district blockchain node): new" in en
    assert "条款 9.1-district-node（九（一），（示例）区级区块链节点建设补贴）：新增" in zh
    assert "  fact located_in_chengdu: bool" in en and "  事实 located_in_chengdu：bool" in zh


def test_a_version_against_itself_has_no_difference():
    result = diff(BUNDLED, BUNDLED)
    assert result.empty
    assert render(result, "en").splitlines()[1] == "no difference"
    assert render(result, "zh").splitlines()[1] == "无差异"


def test_a_rate_written_with_fewer_places_is_the_same_rate():
    text = in_clause(successor(), "1.2-gov-infra", 'rate = "0.20"', 'rate = "0.2"')
    assert [c.clause for c in diff(BUNDLED, version(text)).clauses] == ["1.1-node"]
