"""Alembic environment: runs against the engine the store hands over (SQLite, batch mode)."""

from alembic import context

from cronium_desktop.engine.store.models import Base

config = context.config
connectable = config.attributes.get("connection_engine")


def run_migrations() -> None:
    if connectable is None:
        # `alembic revision --autogenerate` from the command line: use the URL in the config.
        from sqlalchemy import create_engine

        engine = create_engine(config.get_main_option("sqlalchemy.url") or "sqlite:///:memory:")
    else:
        engine = connectable
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations()
