"""Where the project's tools live, and how brownie and py-solc-x are pointed at them.

In the checkout everything comes from the project's own installs: Anvil and solc from
``node_modules`` (npm), the Python side from ``.venv``; nothing relies on a global ``solc``, and
nothing is downloaded at run time. An installed package (a wheel, outside the checkout) needs
no compiler (its contracts ship compiled); for the local chain it takes an npm Anvil installed in
the current directory, else ``anvil`` on PATH.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import site
import sys
from pathlib import Path

from .errors import SetupError

_CHECKOUT = Path(__file__).resolve().parent.parent
# Whether the package runs from the DiamondTrace checkout (an editable install) rather than from
# an installed wheel.
IN_CHECKOUT = (_CHECKOUT / "brownie-config.yaml").is_file() and (_CHECKOUT / "contracts").is_dir()
# The project directory: deployment records (deployments/) and the local chain (.chain/) live
# here. The checkout when the package runs from one; for an installed package, the current
# directory, as for git or npm.
PROJECT_ROOT = _CHECKOUT if IN_CHECKOUT else Path.cwd()
NODE_MODULES = PROJECT_ROOT / "node_modules"
SOLC_BRIDGE = PROJECT_ROOT / "toolchain" / "solc.cjs"

# npm's names for the per-platform Anvil packages (see @foundry-rs/anvil's const.mjs).
_ANVIL_PLATFORMS = {
    ("linux", "x86_64"): "anvil-linux-amd64",
    ("linux", "aarch64"): "anvil-linux-arm64",
    ("darwin", "x86_64"): "anvil-darwin-amd64",
    ("darwin", "arm64"): "anvil-darwin-arm64",
}

SETUP_HINT = "run `make setup` in the DiamondTrace checkout"
ANVIL_HINT = (
    "install Foundry's Anvil: `npm install @foundry-rs/anvil` in this directory, or Foundry "
    "(https://getfoundry.sh) so that `anvil` is on PATH"
)


def require_checkout(what: str) -> Path:
    """The checkout's root, for the jobs that need its sources (compiling, the toolchain links)."""
    if not IN_CHECKOUT:
        raise SetupError(
            f"{what} needs the DiamondTrace checkout (its contracts and npm packages); an installed package has none"
        )
    return _CHECKOUT


def node_executable() -> str:
    node = shutil.which("node")
    if node is None:
        raise SetupError(
            "Node.js is not installed or not on PATH; DiamondTrace needs Node.js 20 and npm "
            "(on Debian/Ubuntu: `apt-get install nodejs npm`), then " + SETUP_HINT
        )
    return node


def anvil_executable() -> Path:
    """The Anvil the local chain runs: the native binary npm installed for this platform under
    the project directory (in the checkout, that pinned one and no other); for an installed
    package without one, `anvil` on PATH."""
    key = (sys.platform, platform.machine().lower())
    package = _ANVIL_PLATFORMS.get(key)
    binary = NODE_MODULES / "@foundry-rs" / package / "bin" / "anvil" if package else None
    if binary is not None and binary.is_file():
        return binary
    if IN_CHECKOUT:
        if binary is None:
            raise SetupError(f"Anvil has no npm build for {key[0]}/{key[1]}")
        raise SetupError(f"Anvil is not installed (no {os.path.relpath(binary, PROJECT_ROOT)}): {SETUP_HINT}")
    found = shutil.which("anvil")
    if found is None:
        raise SetupError(f"Anvil is not installed (none under {NODE_MODULES}, none on PATH): {ANVIL_HINT}")
    return Path(found)


def ganache_command() -> list[str]:
    """How to run Ganache (npm `ganache`, a devDependency of the checkout: the tests' second kind
    of local chain, whose EVM goes up to Shanghai)."""
    cli = NODE_MODULES / "ganache" / "dist" / "node" / "cli.js"
    if not cli.is_file():
        raise SetupError(f"Ganache is not installed (no {os.path.relpath(cli, PROJECT_ROOT)}): {SETUP_HINT}")
    return [node_executable(), str(cli)]


def command(name: str) -> str:
    """How a user runs this environment's command `name` from the current directory: by its path
    (`.venv/bin/diamondtrace` from the checkout), since the virtualenv need not be activated."""
    path = Path(sys.prefix) / "bin" / name
    return os.path.relpath(path) if path.is_relative_to(Path.cwd()) else str(path)


def pinned_solc_version() -> str:
    """The compiler version in package.json, which brownie-config.yaml pins too."""
    package = json.loads((require_checkout("the compiler") / "package.json").read_text())
    return package["dependencies"]["solc"]


def solc_install_folder(venv: Path) -> Path:
    return venv / "solcx"


def install_into_venv(venv: Path) -> list[str]:
    """Expose the npm tools to the virtualenv; returns what was (re)created.

    - ``solcx/solc-vX.Y.Z``: py-solc-x's name for an installed compiler, here a shim that runs the
      npm solc through ``toolchain/solc.cjs``;
    - ``bin/anvil``: the npm Anvil, which brownie's development network launches by name;
    - a ``.pth`` start-up line so every Python in the venv (brownie, pytest, scripts) finds both
      without the venv being activated.
    """
    require_checkout("linking the toolchain")
    node_executable()
    anvil = anvil_executable()
    if not (NODE_MODULES / "solc" / "soljson.js").is_file():
        raise SetupError(f"the npm solc compiler is not installed: {SETUP_HINT}")
    venv = venv.resolve()
    changed: list[str] = []

    def write(path: Path, text: str, mode: int = 0o644) -> None:
        if path.is_file() and path.read_text() == text:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        path.chmod(mode)
        changed.append(str(path.relative_to(venv)))

    shim = solc_install_folder(venv) / f"solc-v{pinned_solc_version()}"
    write(shim, f'#!/bin/sh\nexec node "{SOLC_BRIDGE}" "$@"\n', 0o755)

    link = venv / "bin" / "anvil"
    if not (link.is_symlink() and Path(os.readlink(link)) == anvil):
        link.unlink(missing_ok=True)
        link.symlink_to(anvil)
        changed.append(str(link.relative_to(venv)))

    bin_dir = venv / "bin"
    pth = (
        "import os; "
        f"os.environ.setdefault('SOLCX_BINARY_PATH', {str(solc_install_folder(venv))!r}); "
        f"os.environ['PATH'] = {str(bin_dir)!r} + os.pathsep + os.environ.get('PATH', '')\n"
    )
    site_packages = Path(next(p for p in site.getsitepackages() if p.startswith(str(venv))))
    write(site_packages / "diamondtrace_toolchain.pth", pth)
    return changed


def main() -> int:
    venv = Path(sys.prefix)
    if venv == Path(sys.base_prefix):
        print("error: run this with the project's virtualenv Python (.venv/bin/python)", file=sys.stderr)
        return 2
    try:
        changed = install_into_venv(venv)
    except SetupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if changed:
        print("toolchain: linked " + ", ".join(changed), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
