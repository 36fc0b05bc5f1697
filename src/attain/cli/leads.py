"""`attain leads`: train the predictive lead score and score leads with it."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from attain.cli.options import DB, command_group, opened_store, optional_option, read_overrides
from attain.cli.users import APP_DB
from attain.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

    from attain.leads.model import ModelCard, TrainedModel

app = command_group(
    "Predictive lead score: a calibrated conversion probability, A–D grade and reasons."
)

MODEL = typer.Option(
    Path("attain-leads.model"), "--model", "-m", help="Model file; its card is saved beside it."
)
CSV = optional_option("--csv", help="Read leads from this CSV file instead of the store.")
SEP = optional_option("--sep", help="CSV field separator, e.g. ';' (default: sniffed).")


@app.command("train")
def train_command(
    csv: Path | None = CSV,
    label: str | None = optional_option(
        "--label", help="Yes/no outcome column of the CSV (needed with --csv)."
    ),
    exclude: str = typer.Option(
        "", "--exclude", help="Comma-separated columns never to use as features."
    ),
    time_column: str | None = optional_option(
        "--time-column",
        help="CSV column to split train/validation by time (default: a stratified random split).",
    ),
    keep: str = typer.Option(
        "",
        "--keep",
        help="Comma-separated columns to use though flagged as giving the label away.",
    ),
    sep: str | None = SEP,
    db: str | None = DB,
    model_path: Path = MODEL,
) -> None:
    """Train on a CSV (--csv, --label) or on the store's canonical leads, then save the model
    and print its card: accuracy on held-out leads, calibration, lift and the features used.

    With --csv, columns that give the label away (a name saying the value is known after the
    outcome, such as status, tags or last activity, or a column predicting the label alone
    with ROC AUC above 0.95) are left out and named in the card; --keep uses them anyway."""
    from attain.leads.label_leaks import read_lead_csv
    from attain.leads.model import train
    from attain.leads.training_data import LABEL, TIME_COLUMN, training_frame
    from attain.reports.jsonable import dumps

    excluded = _names(exclude)
    if csv is not None:
        if label is None:
            raise InputError("--csv needs --label: the yes/no outcome column to predict")
        model = _train_csv(read_lead_csv(csv, sep), label, time_column, excluded, _names(keep))
    else:
        with opened_store(db, read_only=True) as backend:
            frame = training_frame(backend)
        if frame.empty:
            raise InputError("the store holds no leads old enough to train on; import leads first")
        model = train(frame, LABEL, time_column=TIME_COLUMN, exclude=excluded)
    model.save(model_path)
    card_path = card_file(model_path)
    card_path.write_text(dumps(model.card) + "\n")
    _print_card(Console(), model.card)
    typer.echo(f"saved {model_path} and {card_path}")


@app.command("score")
def score_command(
    model_path: Path = MODEL,
    csv: Path | None = CSV,
    sep: str | None = SEP,
    db: str | None = DB,
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write the CSV here instead of the terminal."
    ),
    app_db: str | None = APP_DB,
) -> None:
    """Score leads from a CSV (--csv) or the store's unconverted leads: probability, grade and
    top three reasons per lead, as CSV. Refuses data shaped unlike the model's training data.
    A manager's live grade override (`attain overrides set lead_grade LEAD GRADE`) is shown in
    `grade_override` beside the model's grade."""
    from attain.leads.label_leaks import read_lead_csv
    from attain.leads.model import TrainedModel
    from attain.leads.training_data import scoring_frame
    from attain.reports.csv_safe import safe_frame

    model = TrainedModel.load(model_path)
    if csv is not None:
        frame = read_lead_csv(csv, sep)
    else:
        with opened_store(db, read_only=True) as backend:
            frame = scoring_frame(backend)
    scores = with_grade_overrides(score_table(model, frame), read_overrides(app_db).lead_grade)
    if output is None:
        safe_frame(scores).to_csv(sys.stdout, index=False)
    else:
        safe_frame(scores).to_csv(output, index=False)


def with_grade_overrides(table: pd.DataFrame, grades: Mapping[str, str]) -> pd.DataFrame:
    """The score table with `grade_override` (empty where none) when it has a lead_id column
    and any lead grade is overridden; the model's grade stays beside it."""
    if not grades or "lead_id" not in table.columns:
        return table
    overridden = table["lead_id"].astype(str).map(dict(grades))
    return table.assign(grade_override=overridden.fillna(""))


def score_table(model: TrainedModel, frame: pd.DataFrame) -> pd.DataFrame:
    """Id columns, probability, grade and reason_1..3 ("feature=value (+log-odds)") per row."""
    import pandas as pd

    probability = model.predict_proba(frame)
    reasons = model.explain(frame, top=3)
    ids = [name for name in model.plan.id_columns if name in frame.columns]
    table = frame[ids].reset_index(drop=True) if ids else pd.DataFrame({"row": range(len(frame))})
    table["probability"] = probability.round(4)
    table["grade"] = model.grade(probability)
    for rank in range(3):
        table[f"reason_{rank + 1}"] = [
            f"{row[rank][0]} ({row[rank][1]:+.2f})" if rank < len(row) else "" for row in reasons
        ]
    return table


def card_file(model_path: Path) -> Path:
    """Where the model card's JSON goes: beside the model, named after it."""
    return model_path.with_name(model_path.name + ".card.json")


def _names(option: str) -> list[str]:
    """The comma-separated column names of an option."""
    return [name.strip() for name in option.split(",") if name.strip()]


def _train_csv(
    frame: pd.DataFrame, label: str, time_column: str | None, exclude: list[str], keep: list[str]
) -> TrainedModel:
    """Train on a raw file with the columns that give the label away left out, unless kept;
    the card names each flagged column with its reason."""
    from attain.leads.label_leaks import kept_and_excluded, label_leaks
    from attain.leads.model import train

    if label not in frame.columns:
        raise InputError(f"label column {label!r} is not in the data")
    flagged = label_leaks(frame, label)
    excluded, reasons = kept_and_excluded(flagged, keep, exclude)
    model = train(frame, label, time_column=time_column, exclude=excluded)
    excluded_by_user = "excluded by the user"
    named = {  # a column the plan excludes for its own reason (a known leak) keeps that reason
        name: reasons[name]
        if name in reasons and why == excluded_by_user and name not in exclude
        else why
        for name, why in model.card.excluded.items()
    }
    model.card = replace(model.card, excluded=named)
    for name in keep:
        typer.echo(f"warning: {name} kept with --keep, though flagged: {flagged[name]}", err=True)
    return model


def _print_card(console: Console, card: ModelCard) -> None:
    console.print(
        f"[bold]Lead model[/] ({card.algorithm}) predicting {escape(card.label)}: "
        f"{card.rows_train} training rows, {card.rows_validation} validation rows "
        f"({card.split}), {card.positives_rate:.1%} positive, trained in {card.train_seconds:.1f}s"
    )
    console.print(
        f"ROC AUC {card.roc_auc:.3f}  PR AUC {card.pr_auc:.3f}  Brier {card.brier:.3f}  "
        f"lift top 10% {card.lift_top_10:.2f}×  top 20% {card.lift_top_20:.2f}×"
    )
    grades = ", ".join(f"{g} ≥ {p:.1%}" for g, p in card.grade_thresholds.items())
    console.print(f"Grades: {grades}, D below")
    calibration = Table(title="Calibration on validation rows")
    for header in ("predicted", "observed", "leads"):
        calibration.add_column(header, justify="right")
    for row in card.calibration:
        calibration.add_row(
            f"{row['predicted']:.1%}", f"{row['observed']:.1%}", f"{row['count']:.0f}"
        )
    console.print(calibration)
    console.print(f"Features ({len(card.features)}): {escape(', '.join(card.features))}")
    excluded = Table(title="Excluded columns")
    excluded.add_column("column")
    excluded.add_column("why")
    for name, reason in card.excluded.items():
        excluded.add_row(escape(name), escape(reason))
    console.print(excluded)
