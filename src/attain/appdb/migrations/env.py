"""Alembic environment for the app database; run through `attain.appdb.database.upgrade`.

The URL comes from `config.attributes["url"]` (set by `alembic_config`), else from the
`sqlalchemy.url` option, else from ATTAIN_APP_DB. SQLite runs in batch mode, so later
migrations that alter tables work there too.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from attain.appdb.database import app_db_url, make_engine
from attain.appdb.models import Base
from attain.config import load_settings


def _url() -> str:
    config = context.config
    url = config.attributes.get("url") or config.get_main_option("sqlalchemy.url")
    return str(url) if url else app_db_url(load_settings())


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )


def run_migrations_online() -> None:
    engine = make_engine(_url())
    try:
        with engine.connect() as connection:
            _configure(connection)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


def run_migrations_offline() -> None:
    context.configure(
        url=_url(),
        target_metadata=Base.metadata,
        literal_binds=True,
        render_as_batch=_url().startswith("sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
