"""The example row of every ``nam template`` is valid on the demo's map of today."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from loaders.columns import TEMPLATES
from tests.conftest import Nam, runner, store_env

#: How each kind of input file is loaded (or planned) without writing anything.
LOADS = {
    "units": ["load", "units", "--dry-run"],
    "cadres": ["load", "cadres", "--dry-run"],
    "assignments": ["load", "assignments", "--dry-run"],
    "merges": ["load", "merges", "--dry-run"],
    "reshuffle": ["reshuffle", "plan"],  # keeps a plan; applies nothing
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, merged_dir: Path) -> Nam:
    """``nam`` over a private copy of the demo-like graph: Bến Tre of 2023 with its roster,
    the two-tier policy and the 2025 list from 1 July 2025, and the illustrative merges."""
    data = tmp_path_factory.mktemp("templates") / "nam"
    shutil.copytree(merged_dir, data)
    return runner(data, store_env("memory"))


def test_every_kind_of_input_file_has_a_template_and_a_way_to_load_it() -> None:
    assert set(LOADS) == set(TEMPLATES)


@pytest.mark.parametrize("kind", sorted(TEMPLATES))
@pytest.mark.parametrize("form", ["csv", "xlsx"])
def test_the_example_row_loads_on_todays_demo_map_without_a_problem(
    demo: Nam, kind: str, form: str, tmp_path: Path
) -> None:
    path = tmp_path / f"{kind}.{form}"
    if form == "csv":
        made = demo("template", kind)
        assert made.exit_code == 0, made.output
        path.write_text(made.stdout, encoding="utf-8")
    else:
        made = demo("template", kind, "--xlsx", str(path))
        assert made.exit_code == 0, made.output
    command, *options = LOADS[kind]
    args = [command, *options[:1], str(path), *options[1:], "--json"]
    result = demo(*args)
    answer = json.loads(result.stdout)
    assert answer["problems"] == [] and answer["warnings"] == [], answer
    assert result.exit_code == 0, result.output
    touched = answer["summary"]
    if kind != "reshuffle":  # a dry run of a load: the example changes or adds one record
        assert touched["create"] + touched["change"] == 1, touched
    else:  # the plan starts the example's assignment
        assert touched["start"] == 1, touched
