"""docs/refund-rules.md tells the rules as the code applies them: its two tables are written
from the policy file and from the rules' own table test, and this test fails when they differ.

UPDATE_DOCS=1 rewrites the tables in place (then read the diff before committing it).
"""
from __future__ import annotations

import os
import re
from pathlib import Path

from bot.core.domain import Reason
from bot.core.policy import Policy
from bot.core.rules import decide
from bot.settings import CONFIG, load_policy
from tests.unit.test_rules_table import CASES

DOC = Path(__file__).resolve().parents[2] / "docs" / "refund-rules.md"
SETTING = re.compile(r"^(\w+):\s*(.+?)\s*(?:#\s*(.*))?$")


def policy_table() -> str:
    """Each parameter's value as the shipped policy file sets it, and the file's own words for it."""
    policy = load_policy(CONFIG / "policy.yml")
    rows = ["| parameter | value | what it does |", "| --- | --- | --- |"]
    for line in (CONFIG / "policy.yml").read_text().splitlines():
        found = SETTING.match(line)
        if found and found.group(1) in Policy.__dataclass_fields__:
            name, meaning = found.group(1), found.group(3) or ""
            value = getattr(policy, name)
            shown = policy.fee_percent_text if name == "refund_fee_percent" else value
            rows.append(f"| `{name}` | {shown} | {meaning} |")
    return "\n".join(rows)


def examples_table() -> str:
    """Every row of the rules' table test, decided again here with the default policy."""
    rows = ["| case | reason | rule | outcome | base | fee | refund | credit | currency | cancel first |",
            "| --- | --- | --- | --- | ---: | ---: | ---: | ---: | --- | --- |"]
    for name, account, reason, now, _expected in CASES:
        d = decide(account, Reason(reason), now, Policy())
        rows.append(f"| {name} | {reason} | {d.rule} | {d.outcome.value} | {d.base} | {d.fee} | {d.refund} | "
                    f"{d.credit} | {d.currency.upper()} | {'yes' if d.requires_cancellation else 'no'} |")
    return "\n".join(rows)


def written(doc: str, name: str, table: str) -> str:
    start, end = f"<!-- {name}: written by tests/unit/test_rules_doc.py -->", f"<!-- end {name} -->"
    before, rest = doc.split(start, 1)
    _, after = rest.split(end, 1)
    return f"{before}{start}\n{table}\n{end}{after}"


def test_the_rules_page_shows_the_code_s_own_tables():
    doc = DOC.read_text()
    expected = written(written(doc, "policy-table", policy_table()), "examples-table", examples_table())
    if os.environ.get("UPDATE_DOCS"):
        DOC.write_text(expected)
    assert doc == expected, "docs/refund-rules.md differs from the code: run with UPDATE_DOCS=1 and read the diff"


def test_every_rule_the_code_can_reach_has_an_example():
    rules = {decide(account, Reason(reason), now, Policy()).rule for _, account, reason, now, _ in CASES}
    assert rules == {f"R{n}" for n in range(9)} - {"R7"}  # R7 (plans) is a use case, not a refund decision
