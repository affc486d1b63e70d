"""The index: the registry's events in a database (SQLite by default, PostgreSQL by URL), so that
list pages need not scan the chain. It follows the chain a confirmation depth behind its head,
keeps the hash of every block it read from, and undoes a reorganisation by rolling back to the
common ancestor and reading on. It speeds pages up; it never decides a verdict (the explorer
checks each stone against the registry's on-chain state, and says when the index is behind or
disagrees with the chain).

- `schema`: the tables (SQLAlchemy Core); `migrations/`: Alembic's migrations that create them;
- `store`: opening the database, progress, writing a span in one transaction, rolling back;
- `loader`: one span of blocks read from the chain and decoded into rows;
- `follow`: the passes: reorganisations, the confirmation depth, spans the provider accepts.
"""
