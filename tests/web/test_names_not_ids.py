"""People, not ids (#24): no page shows a rep's or a team's id where the store has a name for
it; ids stay in URLs (and in CSV downloads, which keep ids beside names).

Every page each role may open is fetched over the demo store, the text a reader sees is taken
out of it (no tags, attributes, scripts or `<code>`, where a command line names an id to type)
and searched for each rep and team id whose name differs from the id.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

from attain.metrics.attainment import scope_names
from attain.metrics.targets import rep_roster
from attain.store import connect
from tests.support.web import Demo, Users

AS_OF = "2026-11-13"

PAGES = (
    "/monday",
    "/monday?team={team}",
    "/team",
    "/team?team={team}",
    "/reps/{rep}",
    "/forecast",
    "/changes",
    "/pipeline/waterfall",
    "/pipeline/waterfall?team={team}",
    "/pipeline/waterfall?rep={rep}",
    "/pipeline/calls",
    "/pipeline/calls?rep={rep}",
    "/diagnosis",
    "/coaching",
    "/coaching?team={team}",
    "/digest",
    "/digest?team={team}",
    "/alignment",
    "/programs",
    "/programs?rep={rep}",
    "/skills",
    "/skills/{rep}",
    "/ramp",
    "/products",
    "/compensation",
    "/compensation?rep={rep}",
    "/leads",
)
"""Every page, and the team or rep versions of those that have one ({team}: the manager's team,
{rep}: the rep user's own rep, whom every role but marketing may see)."""


class _VisibleText(HTMLParser):
    """The text of a page as a reader sees it: no markup, scripts, styles or code."""

    HIDDEN = frozenset({"script", "style", "code", "title"})

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.HIDDEN:
            self._hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _VisibleText()
    parser.feed(html)
    return " ".join(parser.parts)


@pytest.fixture(scope="module")
def named_ids(demo: Demo) -> dict[str, str]:
    """Every rep and team id of the demo store whose name is not the id, with that name."""
    backend = connect(str(demo.store), read_only=True)
    try:
        names = scope_names(backend, rep_roster(backend))
    finally:
        backend.disconnect()
    found = {**names["rep"], **names["team"]}
    return {key: name for key, name in found.items() if name and name != key}


@pytest.mark.parametrize("role", ["admin", "manager", "rep", "marketing"])
def test_no_page_shows_a_rep_or_team_id_where_a_name_exists(
    client: TestClient, users: Users, demo: Demo, named_ids: dict[str, str], role: str
) -> None:
    assert demo.own_rep in named_ids and demo.team in named_ids
    opened = 0
    for template in PAGES:
        path = template.format(team=demo.team, rep=demo.own_rep)
        sep = "&" if "?" in path else "?"
        answer = client.get(f"{path}{sep}as_of={AS_OF}", headers=users.page(role))
        if answer.status_code in (403, 404):
            continue
        assert answer.status_code == 200, (path, answer.text[:300])
        opened += 1
        text = visible_text(answer.text)
        shown = [
            text[max(0, hit.start() - 50) : hit.end() + 30]
            for key in named_ids
            for hit in re.finditer(rf"(?<![\w-]){re.escape(key)}\b", text)
        ]
        assert not shown, f"{role} sees ids on {path}: {shown[:5]}"
    assert opened >= (1 if role == "marketing" else 10)


def test_the_rep_page_names_the_rep_and_their_team(
    client: TestClient, users: Users, demo: Demo, named_ids: dict[str, str]
) -> None:
    """Where the ids went, the names are: the rep's name and their team's name head the page."""
    answer = client.get(f"/reps/{demo.own_rep}?as_of={AS_OF}", headers=users.page("manager"))
    heading = visible_text(answer.text.split("<h1", 1)[1].split("</h1>", 1)[0].split(">", 1)[1])
    assert named_ids[demo.own_rep] in heading
    assert named_ids[demo.team] in heading
