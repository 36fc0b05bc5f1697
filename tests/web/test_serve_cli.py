"""`attain serve`: options, the missing-store error, and the app it hands to uvicorn."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from typer.testing import CliRunner

from attain.cli.main import app
from tests.support.web import Demo

runner = CliRunner()


def test_serve_is_a_command_with_host_and_port() -> None:
    result = runner.invoke(app, ["serve", "--help"])
    assert result.exit_code == 0
    for option in ("--host", "--port", "--db", "--app-db"):
        assert option in result.output


def test_serve_without_a_store_says_to_import_first(tmp_path: Path) -> None:
    result = runner.invoke(app, ["serve", "--db", str(tmp_path / "none.duckdb")])
    assert result.exit_code != 0
    assert "attain import" in str(result.exception)


def test_serve_runs_the_app_on_the_given_address(
    demo: Demo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, Any] = {}

    def fake_run(application: Any, host: str, port: int, **options: Any) -> None:
        seen.update(app=application, host=host, port=port, **options)

    monkeypatch.setattr(uvicorn, "run", fake_run)
    args = ["serve", "--db", str(demo.store), "--app-db", str(tmp_path / "app.db")]
    result = runner.invoke(app, [*args, "--host", "0.0.0.0", "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert isinstance(seen["app"], FastAPI)
    assert (seen["host"], seen["port"]) == ("0.0.0.0", 8123)
    assert seen["timeout_keep_alive"] == 30
