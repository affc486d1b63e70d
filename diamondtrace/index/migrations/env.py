"""Alembic's environment for the index: migrations run on the connection `store.migrate` hands in
(`config.attributes["connection"]`), never on a URL of their own."""

from alembic import context

from diamondtrace.index.schema import metadata

context.configure(connection=context.config.attributes["connection"], target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
