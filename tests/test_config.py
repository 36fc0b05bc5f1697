"""Settings come from ATTAIN_* variables first, then attain.toml, then defaults."""

from pathlib import Path

import pytest

from attain.config import load_settings
from attain.errors import ConfigError


def test_defaults_without_file_or_variables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ATTAIN_DB", raising=False)
    assert load_settings().db == "attain.duckdb"


def test_toml_file_then_environment_override(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ATTAIN_DB", raising=False)
    (tmp_path / "attain.toml").write_text('db = "team.duckdb"\n')
    assert load_settings().db == "team.duckdb"
    monkeypatch.setenv("ATTAIN_DB", "env.duckdb")
    assert load_settings().db == "env.duckdb"


def test_an_unknown_setting_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "attain.toml").write_text('dbb = "typo.duckdb"\n')
    with pytest.raises(ConfigError, match="setting 'dbb'"):
        load_settings()


def test_a_config_file_named_but_missing_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ATTAIN_CONFIG", str(tmp_path / "nope.toml"))
    with pytest.raises(ConfigError, match="not a file"):
        load_settings()
