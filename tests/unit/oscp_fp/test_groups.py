"""The OSCP groups (regulation areas) file: defaults, limits, and errors naming file and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from oscp_fp.groups import EvseConfig, GroupConfig, GroupsConfigError, load_groups, parse_groups

GOOD = """\
groups:
  - id: terni-north
    nominal_voltage_v: 230
    evses:
      - id: TERNI.EVO.01
        max_current_a: 32
        phases: 3
        v2g: false
      - id: TERNI.EVO.02
        max_current_a: 16
        phases: 1
  - id: ghent
    evses:
      - {id: GHENT.01, max_current_a: 7.5, v2g: true}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "groups.yaml"
    path.write_text(text)
    return path


def test_a_good_file_with_defaults(tmp_path: Path) -> None:
    groups = load_groups(write(tmp_path, GOOD))
    assert list(groups) == ["terni-north", "ghent"]
    north, ghent = groups["terni-north"], groups["ghent"]
    assert north.evse_ids == ["TERNI.EVO.01", "TERNI.EVO.02"]
    assert ghent.nominal_voltage_v == 230.0
    assert ghent.evses[0] == EvseConfig(id="GHENT.01", max_current_a=7.5, phases=3, v2g=True)
    assert north.evses[0].max_power_w(230) == 32 * 230 * 3
    assert north.evses[1].max_power_w(230) == 16 * 230
    with pytest.raises(ValueError, match="frozen"):
        north.evses[0].max_current_a = 1  # type: ignore[misc]


def test_a_group_may_have_no_evses_yet() -> None:
    assert parse_groups({"groups": [{"id": "g", "evses": []}]})["g"] == GroupConfig(
        id="g", evses=()
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            GOOD.replace("max_current_a: 16", "max_current_a: 0"),
            "groups[0] (terni-north).evses[1] (TERNI.EVO.02).max_current_a: "
            "Input should be greater than 0",
        ),
        (
            GOOD.replace("phases: 1", "phases: 2"),
            "groups[0] (terni-north).evses[1] (TERNI.EVO.02).phases: Input should be 1 or 3",
        ),
        (GOOD.replace("phases: 1", "phases: true"), "must be 1 or 3, not a boolean"),
        (
            GOOD.replace("max_current_a: 16", "max_current_a: '16'"),
            "Input should be a valid number",
        ),
        (GOOD.replace("v2g: false", "v2g: 'no'"), "v2g: Input should be a valid boolean"),
        (
            GOOD.replace("nominal_voltage_v: 230", "voltage: 230"),
            "groups[0] (terni-north).voltage: Extra inputs are not permitted",
        ),
        (GOOD.replace("id: ghent", "id: terni-north"), "'terni-north' is used by more than one"),
        (
            GOOD.replace("GHENT.01", "TERNI.EVO.01"),
            "EVSE 'TERNI.EVO.01' is in groups 'terni-north' and 'ghent'",
        ),
        (GOOD.replace("TERNI.EVO.02", "TERNI.EVO.01"), "'TERNI.EVO.01' is listed twice"),
        ("groups:\n  - id: x\n", "groups[0] (x).evses: Field required"),
        ("groups:\n  - id: ''\n    evses: []\n", "String should have at least 1 character"),
        ("[1, 2]", "groups: Input should be a valid dictionary"),
        ("", "the groups file is empty"),
        ("groups: [\n", "not valid YAML"),
    ],
)
def test_errors_name_the_file_and_the_field(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(GroupsConfigError) as caught:
        load_groups(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value)


def test_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(GroupsConfigError, match=r"nope\.yaml: cannot read the groups file"):
        load_groups(tmp_path / "nope.yaml")
