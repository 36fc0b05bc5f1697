"""docs/schema.md documents exactly the schema the code enforces."""

from pathlib import Path

from attain.schema import TABLES
from attain.schema.markdown import schema_markdown

DOC = Path(__file__).parents[2] / "docs" / "schema.md"


def test_schema_doc_ends_with_the_generated_tables() -> None:
    assert DOC.read_text().endswith(schema_markdown()), (
        "docs/schema.md is out of date: regenerate its Tables section from "
        "attain.schema.markdown.schema_markdown()"
    )


def test_every_reference_names_an_existing_table_and_key() -> None:
    for table in TABLES.values():
        for column in table.columns:
            if column.references:
                target, key = column.references.split(".")
                assert TABLES[target].key == (key,), f"{table.name}.{column.name}"


def test_key_columns_are_required_and_never_empty_except_a_quotas_set_at() -> None:
    for table in TABLES.values():
        for part in table.key:
            column = table.column(part)
            if (table.name, part) == ("quotas", "set_at"):
                assert column.nullable  # empty means "set before the period began"
                continue
            assert column.required, f"{table.name}.{part}"
            assert not column.nullable, f"{table.name}.{part}"
