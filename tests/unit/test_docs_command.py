"""``wiseevp docs [--check]``: writes docs/asyncapi.yaml, docs/configuration.md and the OSCP
OpenAPI documents in docs/openapi/, or fails when they are missing or stale."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from wiseevp_cli import docs
from wiseevp_cli.__main__ import main
from wiseevp_cli.configuration import discover_sections
from wiseevp_common.settings import ENV_PREFIX

ROOT = Path(__file__).resolve().parents[2]


def run_docs(docs_dir: Path, *args: str) -> int:
    return docs.run(["--root", str(ROOT), "--docs-dir", str(docs_dir), *args])


def test_docs_check_fails_when_files_are_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_docs(tmp_path, "--check") == 1
    err = capsys.readouterr().err
    assert "asyncapi.yaml: missing" in err
    assert "oscp-fp.json: missing" in err
    assert "wiseevp docs" in err
    assert not list(tmp_path.iterdir()), "--check must not write"


def test_docs_check_passes_on_fresh_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_docs(tmp_path) == 0
    asyncapi = tmp_path / "asyncapi.yaml"
    configuration = tmp_path / "configuration.md"
    assert asyncapi.is_file() and configuration.is_file()
    assert yaml.safe_load(asyncapi.read_text(encoding="utf-8"))["asyncapi"] == "2.6.0"
    for name in ("oscp-fp.json", "oscp-cp.json", "oscp-co.json"):
        document = json.loads((tmp_path / "openapi" / name).read_text(encoding="utf-8"))
        assert document["openapi"] == "3.1.0"
    capsys.readouterr()
    assert run_docs(tmp_path, "--check") == 0
    assert "up to date" in capsys.readouterr().out


def test_docs_check_fails_on_a_stale_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_docs(tmp_path) == 0
    asyncapi = tmp_path / "asyncapi.yaml"
    text = asyncapi.read_text(encoding="utf-8")
    asyncapi.write_text(text.replace("qos: 1", "qos: 0", 1), encoding="utf-8")
    capsys.readouterr()
    assert run_docs(tmp_path, "--check") == 1
    err = capsys.readouterr().err
    assert f"{asyncapi}: stale" in err
    assert "-          qos: 0" in err and "+          qos: 1" in err
    assert "run `uv run wiseevp docs`" in err
    assert run_docs(tmp_path) == 0
    assert run_docs(tmp_path, "--check") == 0


def test_docs_output_paths_are_options(tmp_path: Path) -> None:
    target = tmp_path / "out" / "contract.yaml"
    config = tmp_path / "conf.md"
    openapi = tmp_path / "oscp"
    args = [
        "--asyncapi",
        str(target),
        "--configuration",
        str(config),
        "--openapi-dir",
        str(openapi),
    ]
    assert docs.run(["--root", str(ROOT), *args]) == 0
    assert target.is_file() and config.is_file()
    assert sorted(p.name for p in openapi.iterdir()) == [
        "oscp-co.json",
        "oscp-cp.json",
        "oscp-fp.json",
    ]


def test_wiseevp_docs_command(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["docs", "--root", str(ROOT), "--docs-dir", str(tmp_path), "--check"])
    assert exit_.value.code == 1


def test_configuration_documents_every_setting(tmp_path: Path) -> None:
    assert run_docs(tmp_path) == 0
    text = (tmp_path / "configuration.md").read_text(encoding="utf-8")
    rows = {
        cells[0].strip("` "): cells
        for line in text.splitlines()
        if line.startswith("| `WISEEVP_")
        for cells in [[c.strip() for c in line.strip("|").split(" | ")]]
    }
    sections = discover_sections(ROOT)
    assert {s.service for s in sections} >= {None, "ev_wrapper", "rt_monitor"}
    for section in sections:
        for field in section.cls.model_fields:
            env = ENV_PREFIX + field.upper()
            assert env in rows, f"{env} is not in docs/configuration.md"
            assert rows[env][3], (
                f"{env} has no meaning: give {section.cls.__name__}.{field} a "
                "Field(description=...) or a docstring"
            )
