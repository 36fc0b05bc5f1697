"""The command line applies the web app's access rules to the user named by `--by` (#22
part 7): a manager logs coaching, starts programs and logs their check-ins, scores skills and
marks actions done only for their own teams' reps, as on the web; a rep marks only their own
actions done and sets no product priorities. A
consistency check for operators, not a security boundary (docs/web.md, Security)."""

from __future__ import annotations

from pathlib import Path

from click.testing import Result
from typer.testing import CliRunner
from workflow_support import Demo

from attain.access import AccessError
from attain.cli.main import app
from attain.errors import InputError
from attain.metrics.targets import roster_entries
from attain.store import connect

runner = CliRunner()
PASSWORD = "long enough to pass\n"


def refused(result: Result, words: str) -> bool:
    error = result.exception
    return isinstance(error, InputError | AccessError) and words in str(error)


def test_a_manager_writes_only_about_their_own_teams_reps(demo: Demo, tmp_path: Path) -> None:
    backend = connect(str(demo.store), read_only=True)
    try:
        roster = [entry for entry in roster_entries(backend) if entry.team_id]
    finally:
        backend.disconnect()
    own, other = roster[0], next(e for e in roster if e.team_id != roster[0].team_id)
    stores = ["--db", str(demo.store), "--app-db", str(tmp_path / "app.db")]

    def attain(*args: str, stdin: str | None = None) -> Result:
        return runner.invoke(app, [*args, *stores], input=stdin)

    for email, role, extra in (
        ("boss@x.com", "manager", ["--team", str(own.team_id)]),
        ("rae@x.com", "rep", ["--rep-id", other.rep_id]),
        ("far@x.com", "manager", ["--team", str(other.team_id)]),
    ):
        added = runner.invoke(
            app,
            ["users", "add", email, "--name", "X", "--role", role, *extra, "--password-stdin",
             "--app-db", str(tmp_path / "app.db")],
            input=PASSWORD,
        )  # fmt: skip
        assert added.exit_code == 0, added.output
    by = ("--by", "boss@x.com")
    log = ("coaching", "log", "--at", "2026-11-02", "--minutes", "30", *by)
    action = ("--action", "Call back|rep|2026-11-09")
    assert attain(*log, "--rep", own.rep_id, *action).exit_code == 0
    assert refused(attain(*log, "--rep", other.rep_id, *action), f"rep {other.rep_id}")
    program = ("program", "start", "--start", "2026-10-05", "--weeks", "4", "--goal", "More", *by)
    assert attain(*program, "--rep", own.rep_id).exit_code == 0
    assert refused(attain(*program, "--rep", other.rep_id), other.rep_id)
    skills = ("skills", "set", "--skill", "closing", "--score", "2", *by)
    assert attain(*skills, "--rep", own.rep_id).exit_code == 0
    assert refused(attain(*skills, "--rep", other.rep_id), other.rep_id)
    # Action 1 is about the manager's own rep: the rep of another team may not mark it done.
    assert refused(attain("actions", "done", "1", "--by", "rae@x.com"), "no action 1")
    assert attain("actions", "done", "1", *by).exit_code == 0
    not_a_coach = attain(*log, "--rep", other.rep_id, "--by", "rae@x.com")
    assert refused(not_a_coach, "the role cannot change coaching")
    # Program 1 is the own rep's: its check-ins are for the rep's managers only.
    checkin = ("program", "checkin", "1", "--at", "2026-10-14")
    assert refused(attain(*checkin, "--by", "far@x.com"), "program 1")
    assert attain(*checkin, *by).exit_code == 0
    priority = ("products", "priority")
    product = _a_product(demo)
    assert refused(attain(*priority, product, "priority", "--by", "rae@x.com"), "cannot change")
    assert attain(*priority, product, "priority", "--by", "far@x.com").exit_code == 0


def _a_product(demo: Demo) -> str:
    backend = connect(str(demo.store), read_only=True)
    try:
        return str(backend.execute(backend.table("products").product_id).iloc[0])
    finally:
        backend.disconnect()
