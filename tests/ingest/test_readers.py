"""Files load as CRMs and spreadsheets write them: any common encoding, repeated headers, and
dates that are refused, with their reason, rather than guessed into the wrong year."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import duckdb
import pytest

from attain.errors import InputError
from attain.ingest import encodings
from attain.ingest.importer import ImportResult, import_files
from attain.ingest.readers import ReadOptions, stage_file

TEAMS_HEADER = "team_id,name,manager_rep_id,region\n"


def write(path: Path, text: str, encoding: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


def team_names(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return dict(con.execute("SELECT team_id, name FROM teams").fetchall())


def rejects_of(path: Path) -> list[tuple[str, str, str, str, str]]:
    with path.open(encoding="utf-8") as handle:
        return [
            (Path(r["file"]).name, r["row"], r["column_name"], r["value"], r["reason"])
            for r in csv.DictReader(handle)
        ]


def only_file(result: ImportResult) -> tuple[str, str | None, int, tuple[int, ...]]:
    (file,) = result.files
    return Path(file.path).name, file.encoding, file.rows, file.header_repeats


# Encodings -------------------------------------------------------------------------------


def test_latin1_file_loads_its_accents(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = write(
        tmp_path / "teams.csv",
        TEAMS_HEADER + "T1,Équipe Montréal,,Île-de-France\nT2,Köln Süd,,\n",
        "latin-1",
    )
    result = import_files(con, [path])
    assert team_names(con) == {"T1": "Équipe Montréal", "T2": "Köln Süd"}
    # Latin-1 text reads the same in Windows-1252, which is chosen when the bytes fit it.
    assert only_file(result) == ("teams.csv", "cp1252", 2, ())


def test_spanish_latin1_is_not_taken_for_central_european(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    # charset-normalizer scores Windows-1250 (ñ as ń) as high as Windows-1252 on this text.
    path = write(
        tmp_path / "teams.csv",
        TEAMS_HEADER + "T1,José Núñez,,España\nT2,María Peña,,\nT3,François Dupré,,\n",
        "latin-1",
    )
    result = import_files(con, [path])
    assert team_names(con) == {"T1": "José Núñez", "T2": "María Peña", "T3": "François Dupré"}
    assert only_file(result)[1] == "cp1252"


def test_central_european_and_cyrillic_files_are_detected(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    czech = "T1,Jiří Dvořák,,Plzeň\nT2,Petr Šťastný,,Brno\nT3,Tomáš Růžička,,Ostrava\n"
    write(tmp_path / "in" / "teams.csv", TEAMS_HEADER + czech, "cp1250")
    russian = "A1,Иван Петров,Москва\nA2,Мария Смирнова,Санкт-Петербург\n"
    write(tmp_path / "in" / "accounts.csv", "account_id,name,country\n" + russian, "cp1251")
    result = import_files(con, [tmp_path / "in"])
    assert team_names(con)["T3"] == "Tomáš Růžička"
    assert con.execute("SELECT country FROM accounts WHERE account_id = 'A2'").fetchall() == [
        ("Санкт-Петербург",)
    ]
    assert {Path(f.path).name: f.encoding for f in result.files} == {
        "teams.csv": "cp1250",
        "accounts.csv": "cp1251",
    }


def test_windows_1252_euro_and_quotes(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = write(tmp_path / "teams.csv", TEAMS_HEADER + "T1,Team € “Nord” – 2024,,\n", "cp1252")
    result = import_files(con, [path])
    assert team_names(con) == {"T1": "Team € “Nord” – 2024"}
    assert only_file(result)[1] == "cp1252"


def test_latin1_bytes_windows_1252_lacks_fall_back_to_latin1(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    # The first MiB reads as Windows-1252; 0x81, past it, is undefined there and a control
    # character in Latin-1, so the whole file is read again as Latin-1.
    filler = "".join(f"T{i},Café {i},,\n" for i in range(70_000)).encode("latin-1")
    assert len(filler) > encodings.SAMPLE_BYTES
    path = tmp_path / "teams.csv"
    path.write_bytes(TEAMS_HEADER.encode() + filler + b"X1,Caf\xe9 \x81,,\n")
    result = import_files(con, [path])
    names = team_names(con)
    assert (names["T5"], names["X1"]) == ("Café 5", "Café \x81")
    assert only_file(result)[1:3] == ("iso8859-1", 70_001)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_files_with_a_byte_order_mark(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, encoding: str
) -> None:
    text = TEAMS_HEADER + "T1,Zoë’s team,,\n"
    data = codec_bom(encoding) + text.encode(encoding)
    path = tmp_path / "teams.csv"
    path.write_bytes(data)
    result = import_files(con, [path])
    assert team_names(con) == {"T1": "Zoë’s team"}
    assert only_file(result)[1] == ("utf-32" if encoding == "utf-32" else "utf-16")


def codec_bom(encoding: str) -> bytes:
    """Python writes the mark itself for utf-16 and utf-32, not for the explicit big-endian."""
    return b"\xfe\xff" if encoding == "utf-16-be" else b""


def test_utf8_bom_stays_out_of_the_first_column_name(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = write(tmp_path / "teams.csv", TEAMS_HEADER + "T1,Ósló,,\n", "utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    raw = stage_file(con, path)
    assert raw.columns[0] == "team_id"
    assert raw.encoding == "utf-8-sig"
    result = import_files(con, [path])
    assert team_names(con) == {"T1": "Ósló"}
    assert only_file(result)[1] == "utf-8-sig"


def test_declared_encoding_overrides_detection(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    # Detection would read these bytes as Windows-1252 (Ïâàí); the user says Cyrillic.
    path = write(tmp_path / "teams.csv", TEAMS_HEADER + "T1,Иван,,\n", "cp1251")
    result = import_files(con, [path], options=ReadOptions(encoding="windows-1251"))
    assert team_names(con) == {"T1": "Иван"}
    assert only_file(result)[1] == "cp1251"


def test_a_file_that_does_not_decode_fails_naming_file_line_and_encoding(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = write(tmp_path / "teams.csv", TEAMS_HEADER + "T1,East,,\nT2,Montréal,,\n", "latin-1")
    with pytest.raises(InputError) as caught:
        import_files(con, [path], options=ReadOptions(encoding="utf-8"))
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: line 3 cannot be read as utf-8")
    assert "--encoding" in message
    assert con.execute("SELECT count(*) FROM teams").fetchone() == (0,)


def test_an_unknown_encoding_name_is_an_error(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = write(tmp_path / "teams.csv", TEAMS_HEADER + "T1,East,,\n", "utf-8")
    with pytest.raises(InputError, match="unknown encoding 'klingon'"):
        import_files(con, [path], options=ReadOptions(encoding="klingon"))


def test_the_bad_line_is_exact_past_the_first_chunk(tmp_path: Path) -> None:
    # Two-byte characters straddle the 1 MiB chunk boundaries; the bad byte is on line 60,001.
    line = "T,ééééééééééééééééééééé\n"
    good = (TEAMS_HEADER + line * 60_000).encode("utf-8")
    assert len(good) > 2 * encodings.CHUNK_BYTES
    path = tmp_path / "teams.csv"
    path.write_bytes(good + b"T,caf\xe9\n")
    with (
        pytest.raises(InputError, match=r": line 60002 cannot be read as utf-8 "),
        encodings.as_utf8(path, "utf-8"),
    ):
        pass


@pytest.mark.parametrize("declared", ["utf-8", "ascii"])
def test_the_bad_line_is_exact_after_plain_ascii_chunks(tmp_path: Path, declared: str) -> None:
    # ASCII chunks are only checked, not decoded: their lines still count where a later
    # byte does not decode, after a chunk of two-byte characters between them (for UTF-8).
    ascii_lines = "T,plain ascii team name\n" * 50_000
    accented = "T,ééééééééééééééééééééé\n" * 30_000 if declared == "utf-8" else ""
    text = TEAMS_HEADER + ascii_lines + accented + ascii_lines
    assert len(text.encode("utf-8")) > 2 * encodings.CHUNK_BYTES
    path = tmp_path / "teams.csv"
    path.write_bytes(text.encode("utf-8") + b"T,caf\xe9\n")
    line = text.count("\n") + 1
    with (
        pytest.raises(InputError, match=rf": line {line} cannot be read as {declared} "),
        encodings.as_utf8(path, declared),
    ):
        pass


def test_non_utf8_after_a_plain_ascii_start_is_still_detected(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    filler = "".join(f"T{i},Team number {i},,\n" for i in range(60_000))
    assert len(filler) > encodings.SAMPLE_BYTES
    path = write(
        tmp_path / "teams.csv", TEAMS_HEADER + filler + "X1,Société Générale,,\n", "cp1252"
    )
    result = import_files(con, [path])
    assert team_names(con)["X1"] == "Société Générale"
    assert only_file(result)[1:3] == ("cp1252", 60_001)


def test_the_utf8_copy_is_removed(tmp_path: Path) -> None:
    path = write(tmp_path / "teams.csv", TEAMS_HEADER + "T1,Été,,\n", "latin-1")
    with encodings.as_utf8(path) as (readable, encoding):
        assert readable != path
        assert readable.read_text(encoding="utf-8") == TEAMS_HEADER + "T1,Été,,\n"
        assert encoding == "cp1252"
    assert not readable.exists()


# Repeated header rows ----------------------------------------------------------------------


def test_repeated_header_rows_are_dropped_and_rows_keep_their_numbers(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = write(
        tmp_path / "teams.csv",
        TEAMS_HEADER
        + "T1,East,,East\n"  # row 2
        + "team_id,name,manager_rep_id,region\n"  # row 3: page 2 starts
        + "T2,West,,\n"  # row 4
        + "Group B, NAME ,,Region\n"  # row 5: a monday.com group header
        + "T3,,,\n"  # row 6: rejected, no name
        + "T4,Name,,North\n",  # row 7: one cell equals its header, a real value
        "utf-8",
    )
    rejects = tmp_path / "rejects.csv"
    result = import_files(con, [path], rejects_path=rejects)
    assert only_file(result) == ("teams.csv", "utf-8", 4, (3, 5))
    assert any("dropped 2 row(s) repeating the header (row 3, 5)" in n for n in result.notes)
    assert rejects_of(rejects) == [
        ("teams.csv", "6", "name", "", "empty value in a required column")
    ]
    assert team_names(con) == {"T1": "East", "T2": "West", "T4": "Name"}


# Dates -------------------------------------------------------------------------------------

TWO_DIGIT = (
    "two-digit year: declare a date format with --date-format or the map's date_format "
    "(%y reads two-digit years)"
)

REFUSED = [
    ("02/03/24", TWO_DIGIT),
    ("02/23/26", TWO_DIGIT),
    ("0002-03-24", "year before 1900"),
    ("1899-12-31", "year before 1900"),
    ("2224-01-05", "year after 2200"),
    ("03/04/2024", "day and month order cannot be told (03/04/2024): declare --date-format"),
]


def test_unreadable_dates_are_rejected_with_their_reason(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    leads = "lead_id,created_at\n" + "".join(
        f"L{i},{value}\n" for i, (value, _) in enumerate(REFUSED)
    )
    reps = "rep_id,name,role,hire_date\n" + "".join(
        f"R{i},Rep {i},rep,{value}\n" for i, (value, _) in enumerate(REFUSED)
    )
    write(tmp_path / "in" / "leads.csv", leads + "L9,15/01/2024 08:30\nL10,2024-01-15\n", "utf-8")
    write(tmp_path / "in" / "reps.csv", reps + "R9,Rep 9,rep,01/15/2024\n", "utf-8")
    rejects = tmp_path / "rejects.csv"
    result = import_files(con, [tmp_path / "in"], rejects_path=rejects)
    expected = [
        (file, str(row), column, value, reason)
        for file, column in (("leads.csv", "created_at"), ("reps.csv", "hire_date"))
        for row, (value, reason) in enumerate(REFUSED, start=2)
    ]
    assert sorted(rejects_of(rejects)) == sorted(expected)
    assert result.rejects == 2 * len(REFUSED)
    # A slash date only one day/month order makes a date loads; ISO loads as ever.
    assert con.execute("SELECT lead_id, created_at FROM leads ORDER BY lead_id").fetchall() == [
        ("L10", dt.datetime(2024, 1, 15)),
        ("L9", dt.datetime(2024, 1, 15, 8, 30)),
    ]
    assert con.execute("SELECT hire_date FROM reps").fetchall() == [(dt.date(2024, 1, 15),)]


@pytest.mark.parametrize(
    ("value", "date_format", "created_at"),
    [
        ("02/03/24", "%d/%m/%y", dt.datetime(2024, 3, 2)),
        ("02/23/26", "%m/%d/%y", dt.datetime(2026, 2, 23)),
        ("03/04/2024", "%d/%m/%Y", dt.datetime(2024, 4, 3)),
        ("03/04/2024 14:05", "%d/%m/%Y", dt.datetime(2024, 4, 3, 14, 5)),
        ("03/04/2024", "%m/%d/%Y", dt.datetime(2024, 3, 4)),
        ("24.12.70", "%d.%m.%y", dt.datetime(1970, 12, 24)),
    ],
)
def test_a_declared_date_format_reads_the_same_values(
    con: duckdb.DuckDBPyConnection,
    tmp_path: Path,
    value: str,
    date_format: str,
    created_at: dt.datetime,
) -> None:
    write(
        tmp_path / "in" / "leads.csv", f"lead_id,created_at\nL1,{value}\nL2,2024-01-15\n", "utf-8"
    )
    write(
        tmp_path / "in" / "reps.csv", f"rep_id,name,role,hire_date\nR1,Rep,rep,{value}\n", "utf-8"
    )
    result = import_files(con, [tmp_path / "in"], options=ReadOptions(date_format=date_format))
    assert result.rejects == 0
    assert con.execute("SELECT lead_id, created_at FROM leads ORDER BY lead_id").fetchall() == [
        ("L1", created_at),
        ("L2", dt.datetime(2024, 1, 15)),
    ]
    assert con.execute("SELECT hire_date FROM reps").fetchall() == [(created_at.date(),)]


def test_years_out_of_range_are_refused_even_with_a_declared_format(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    # DuckDB's %Y takes two digits: 24 would be the year 24.
    write(tmp_path / "in" / "leads.csv", "lead_id,created_at\nL1,15/01/24\n", "utf-8")
    rejects = tmp_path / "rejects.csv"
    result = import_files(
        con, [tmp_path / "in"], rejects_path=rejects, options=ReadOptions(date_format="%d/%m/%Y")
    )
    assert result.rejects == 1
    assert rejects_of(rejects) == [("leads.csv", "2", "created_at", "15/01/24", TWO_DIGIT)]


def test_an_invalid_date_format_is_an_error(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    write(tmp_path / "in" / "leads.csv", "lead_id,created_at\nL1,2024-01-15\n", "utf-8")
    with pytest.raises(InputError, match="date format '%Q' is not a strptime layout"):
        import_files(con, [tmp_path / "in"], options=ReadOptions(date_format="%Q"))
