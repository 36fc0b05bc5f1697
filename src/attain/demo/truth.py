"""truth.json: which reps carry which planted cause, and the ideal customer profile.

Diagnosis detectors are scored against this file; nothing in the CSVs names a cause.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from attain.leads.icp import IcpSettings


class PlantedCause(BaseModel):
    """One rep with one planted cause and how it shows in the data."""

    model_config = ConfigDict(frozen=True)

    rep_id: str
    cause: str
    detail: dict[str, Any]


class Truth(BaseModel):
    """The answers behind a demo organisation."""

    model_config = ConfigDict(frozen=True)

    seed: int
    as_of: date
    planted: list[PlantedCause]
    icp: dict[str, Any]
    window: dict[str, str]
    """First day of the first quarter and as_of (exclusive end of recorded events)."""
    parameters: dict[str, Any]
    stages: list[str]
    top_performers: list[str]
    under_performers: list[str]

    def reps_with(self, cause: str) -> list[str]:
        """Rep ids planted with `cause`."""
        return [plant.rep_id for plant in self.planted if plant.cause == cause]

    def icp_settings(self) -> IcpSettings:
        """The demo's ideal customer profile as Attain's ICP settings."""
        return IcpSettings(
            industries=tuple(self.icp["industries"]),
            min_employees=self.icp["employees"]["min"],
            max_employees=self.icp["employees"]["max"],
            countries=tuple(self.icp["countries"]),
        )

    def write_config(self, path: Path, comp_plan: Path) -> None:
        """Write an attain.toml whose [icp] table is the demo's profile and whose [workflow]
        table names the demo's compensation plan (for the web app's payouts)."""
        icp = self.icp_settings()
        lines = [
            "# Written by `attain demo generate`: the demo organisation's ideal customer profile.",
            "# Use it with ATTAIN_CONFIG=<this file>.",
            "[icp]",
            f"industries = {json.dumps(list(icp.industries))}",
            f"min_employees = {icp.min_employees}",
            f"max_employees = {icp.max_employees}",
            f"countries = {json.dumps(list(icp.countries))}",
            "[workflow]",
            f"comp_plan = {json.dumps(str(comp_plan.resolve()))}",
        ]
        path.write_text("\n".join(lines) + "\n")

    def write(self, path: Path) -> None:
        """Write as indented JSON."""
        path.write_text(self.model_dump_json(indent=2) + "\n")

    @classmethod
    def read(cls, path: Path) -> Truth:
        """Read a truth.json written by `write`."""
        return cls.model_validate_json(path.read_text())
