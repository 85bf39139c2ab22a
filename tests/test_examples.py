"""The example files of the README's tour ship in examples/ and do what the README shows."""

from __future__ import annotations

import json

from tests.conftest import ROOT, Nam

EXAMPLES = ROOT / "examples"


def example(name: str) -> str:
    path = EXAMPLES / name
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"examples/{name}" in readme, f"the README's tour uses examples/{name}"
    return str(path)


def test_the_tours_files_load_and_plan_as_the_readme_shows(nam_memory: Nam) -> None:
    dry = nam_memory("load", "assignments", example("end.csv"), "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "end 1, unchanged 0" in dry.output and "0 errors" in dry.output
    # each record it changes, before and after, in words and in --json
    assert "  end assignment 83-0024>28801>support>2022-08-26: until: - -> 2024-03-01" in dry.output
    dry_json = nam_memory("load", "assignments", example("end.csv"), "--dry-run", "--json")
    (record,) = json.loads(dry_json.output)["records"]
    assert record["action"] == "end"
    assert record["fields"] == {"until": {"before": None, "after": "2024-03-01"}}
    bad = nam_memory("load", "assignments", example("bad.csv"))
    assert bad.exit_code == 2
    assert (
        "row 2, column 'Mã đơn vị'" in bad.output and "hold 'support' over a commune" in bad.output
    )
    assert "row 3, column 'Từ ngày': '31/02/2024' is not a date" in bad.output
    june = json.loads(
        nam_memory("reshuffle", "plan", example("reshuffle-2023-06.csv"), "--json").output
    )
    assert (june["problems"], june["summary"]["end"], june["summary"]["start"]) == ([], 5, 3)
    july = json.loads(
        nam_memory("reshuffle", "plan", example("reshuffle-2023-07.csv"), "--json").output
    )
    assert (july["problems"], july["summary"]["start"]) == ([], 1)
