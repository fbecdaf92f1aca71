"""The channel report counts every status the settlement fact can emit.

The fact's status comes from a multiIf in its SQL and is documented by the accepted_values test in its
YAML; the report has one `<status>_count` column per status, from a list in its own SQL. A status added
to the fact but not to the report would drop those rows from every count without an error (the data
test "counts add up to the rows" only fails once such a row occurs, which for a rare status can be
months later), so the three lists are compared here, from the project files alone.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

MARTS = Path(__file__).resolve().parents[2] / "dbt_project" / "models" / "marts"
FACT = "fct_settlement_reconciliation"
REPORT = "rpt_channel_reconciliation_daily"


def model_yaml(name: str) -> dict:
    document = yaml.safe_load((MARTS / f"{name}.yml").read_text())
    return next(m for m in document["models"] if m["name"] == name)


def accepted_statuses() -> set[str]:
    """The values of the fact's accepted_values test on `status`."""
    column = next(c for c in model_yaml(FACT)["columns"] if c["name"] == "status")
    test = next(t["accepted_values"] for t in column["data_tests"] if isinstance(t, dict) and "accepted_values" in t)
    return set(test["arguments"]["values"])


def emitted_statuses() -> set[str]:
    """The results of the multiIf the fact computes `status` with: the string literal closing each of its
    lines (conditions come first on a line, the result last)."""
    sql = (MARTS / f"{FACT}.sql").read_text()
    block = re.search(r"multiIf\((.*?)\)\s+as status\b", sql, re.S)
    assert block, f"{FACT}.sql: no `multiIf(...) as status`"
    return set(re.findall(r"'(\w+)',?\s*$", block.group(1), re.M))


def test_the_fact_documents_every_status_it_emits() -> None:
    emitted, accepted = emitted_statuses(), accepted_statuses()
    assert len(emitted) >= 9, emitted  # the parse found the multiIf's results, not a fragment
    assert emitted == accepted, {"emitted, not accepted": emitted - accepted, "accepted, never emitted": accepted - emitted}


def test_the_report_has_a_count_for_every_status() -> None:
    columns = {c["name"] for c in model_yaml(REPORT)["columns"]}
    counts = {name.removesuffix("_count") for name in columns if name.endswith("_count")}
    missing = accepted_statuses() - counts
    assert not missing, f"{REPORT} has no <status>_count column for {sorted(missing)}"
    # and its "counts add up to the rows" data test names every one of them
    tests = [t["expression_is_true"]["arguments"]["expression"] for t in model_yaml(REPORT)["data_tests"]
             if isinstance(t, dict) and "expression_is_true" in t]
    sums = [e for e in tests if e.startswith("sales + refunds =")]
    assert len(sums) == 1, tests
    assert {f"{s}_count" for s in accepted_statuses()} == set(re.findall(r"\w+_count", sums[0]))
