"""`make demo`: a whole mine-to-consumer journey on the embedded local chain, then the explorer.

Environment: DEMO_SERVE=0 runs the journey and exits (for scripts); DEMO_CHAIN_PORT (default 8545),
DEMO_EXPLORER_PORT (default 8000) and DEMO_STATE (default .chain/state.json) place it elsewhere;
DEMO_DEPLOYMENT (default deployments/31337.json) is where the demo's registry is recorded.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import random
import shlex
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from eth_utils import keccak

from . import certificates, custody, deployments, grading, lineage, localnode, mint, participants
from .chain import connect
from .deployments import Deployment, registry_contract
from .errors import DiamondTraceError, InputError
from .model import ZERO32, Action, text32, token_id
from .sending import Sender
from .toolchain import command
from .wallet import dev_signer

STONES = 1_200
EXPLORER_PORT = 8000  # the explorer command's default
CAST = {
    # key: (dev account, role, country, name, stone-ID prefix, RJC-certified)
    "producer": (1, "producer", "BW", "Debswana Diamond Company (Jwaneng, Botswana)", "BW-JW-", True),
    "trader": (2, "trader", "BE", "Antwerp Rough Traders NV (Belgium)", None, True),
    "manufacturer": (3, "manufacturer", "IN", "Surat Diamond Works (India)", "IN-SRT-", True),
    "lab": (4, "lab", "US", "Gemological Laboratory of New York (USA)", None, True),
    "retailer": (5, "retailer", "US", "Fifth Avenue Jewellers (New York, USA)", None, True),
    "kp_bw": (6, "kp-authority", "BW", "Botswana Kimberley Process Authority", None, False),
    "kp_be": (7, "kp-authority", "BE", "Belgian Kimberley Process Authority", None, False),
}
CONSUMER = 9


def say(message: str) -> None:
    print(message, flush=True)


def journey(chain_port: int, state: Path, deployment_path: Path, workdir: Path) -> tuple[str, str, dict]:
    """Runs the whole journey; returns (the RPC URL, the consumer's stone ID, figures)."""
    started = time.monotonic()
    saved = state.exists() and state.stat().st_size > 0
    node, fresh = localnode.up(chain_port, state, setting="DEMO_CHAIN_PORT")
    if not fresh:
        say(f"• Reusing the local chain already running at {node.url} (pid {node.pid}); this run deploys a new registry on it.")
    elif saved:
        say(f"• Started the local chain at {node.url} from its saved state ({state}); this run deploys a new registry on it.")
    else:
        say(f"• Started a new local chain at {node.url} (state file {state}).")
    chain = connect(node.url)
    senders = {key: Sender(chain, dev_signer(index, chain.chain_id)) for key, (index, *_rest) in CAST.items()}
    owner = Sender(chain, dev_signer(0, chain.chain_id))
    consumer = dev_signer(CONSUMER, chain.chain_id).address

    deployment = deployments.deploy(chain, owner)
    deployment.save(deployment_path)
    registry = registry_contract(chain.w3, deployment.registry)
    say(f"• Deployed a new registry for this run at {deployment.registry} (record {deployment_path}).")

    today = dt.datetime.now(dt.timezone.utc).date()
    for key, (index, role, country, name, prefix, certified) in CAST.items():
        participants.add_participant(registry, owner, senders[key].address, role, name, country, prefix)
        if certified:
            expires = today + dt.timedelta(days=3 * 365)
            participants.certify_rjc(registry, owner, senders[key].address, f"RJC-COP-{index:04d}", expires)
        prefixed = f", prefix {prefix}" if prefix else ""
        say(f"  accredited {name} as {role}{prefixed}" + (", RJC-certified" if certified else ""))

    run = f"{int(time.time()) % 100000:05d}"
    kp_export = f"BW-KP-{run}-001"
    parcel_size = 24
    rng = random.Random(run)
    carats = [rng.randint(80, 2_400) for _ in range(STONES)]  # 0.80 to 24.00 ct
    parcel_weight = sum(carats[:parcel_size])
    kp_certificate(registry, senders, kp_export, ("kp_bw", "producer", "trader"), parcel_weight, "1250000", today)
    say(f"• Botswana's KP authority recorded certificate {kp_export}: BW -> BE, {parcel_weight / 100:.2f} ct in 1 parcel.")

    run_file = workdir / f"jwaneng-run-{run}.csv"
    produced = str(today - dt.timedelta(days=2))
    with open(run_file, "w", newline="") as fp:
        writer = csv.writer(fp)
        writer.writerow(["stone_id", "carat", "mine", "country", "production_date"])
        for i, weight in enumerate(carats):
            writer.writerow([f"BW-JW-{run}-{i:05d}", f"{weight // 100}.{weight % 100:02d}", "Jwaneng", "BW", produced])
    result = mint.mint(registry, senders["producer"], run_file)
    say(
        f"• Debswana registered a production run of {result.registered:,} stones from {run_file.name} in "
        f"{len(result.transactions)} transactions ({result.gas_used / result.registered:,.0f} gas per stone, "
        f"{result.registered / result.elapsed:,.0f} stones/s)."
    )

    parcel = [token_id(f"BW-JW-{run}-{i:05d}") for i in range(parcel_size)]
    invoice = keccak(b"Commercial invoice BW->BE with the WDC System of Warranties statement")
    senders["producer"].send_all(
        registry.functions.transferCustody(senders["trader"].address, t, int(Action.EXPORT), invoice, text32(kp_export), True)
        for t in parcel
    )
    say(
        f"• Exported a parcel of {parcel_size} rough stones to Antwerp under {kp_export} (each drawn from it), "
        "invoices with the SoW warranty."
    )

    kp_onward = f"BE-KP-{run}-001"
    rough = parcel[0]
    kp_certificate(registry, senders, kp_onward, ("kp_be", "trader", "manufacturer"), carats[0], "65000", today)
    custody.transfer(
        registry, senders["trader"], rough, senders["manufacturer"].address, Action.SALE,
        keccak(b"Invoice Antwerp -> Surat"), text32(kp_onward), warranty=True,
    )  # fmt: skip
    say(
        f"• Antwerp sold rough stone BW-JW-{run}-00000 ({carats[0] / 100:.2f} ct) to Surat under Belgian certificate {kp_onward}."
    )

    shares = [carats[0] * 35 // 100, carats[0] * 12 // 100, carats[0] * 5 // 100]
    children = [(token_id(f"IN-SRT-{run}-{n}"), share, None) for n, share in enumerate(shares, 1)]
    lineage.split(registry, senders["manufacturer"], rough, children)
    polished = children[0][0]
    names = ", ".join(f"IN-SRT-{run}-{n}" for n in range(1, len(children) + 1))
    say(f"• Surat cut it into {len(children)} polished stones: {names}.")

    custody.transfer(
        registry, senders["manufacturer"], polished, senders["retailer"].address, Action.SALE,
        keccak(b"Invoice Surat -> New York"), ZERO32, warranty=True,
    )  # fmt: skip
    lab = senders["lab"].address
    custody.transfer(registry, senders["retailer"], polished, lab, Action.GRADING, keccak(b"Grading memo"), ZERO32)
    grading.grade(
        registry, senders["lab"], polished, report=f"GLNY-{run}-7781", carat=f"{children[0][1] / 100:.2f}",
        colour="E", clarity="VVS1", cut="Excellent", lab_grown=False, document=keccak(b"Grading report"),
    )  # fmt: skip
    returned = keccak(b"Grading memo return")
    custody.transfer(registry, senders["lab"], polished, senders["retailer"].address, Action.RETURN, returned, ZERO32)
    say(f"• The New York retailer bought IN-SRT-{run}-1 and sent it to the lab, which graded it E / VVS1 / Excellent, natural.")

    custody.transfer(
        registry, senders["retailer"], polished, consumer, Action.RETAIL_SALE, keccak(b"Retail receipt"), ZERO32, warranty=True
    )
    say(f"• Sold at retail to a consumer's wallet {consumer}.")
    elapsed = time.monotonic() - started
    say(f"• Journey complete in {elapsed:.1f} s.")
    return node.url, f"IN-SRT-{run}-1", {"elapsed": elapsed, "stones": result.registered}


def kp_certificate(
    registry: Any,
    senders: dict[str, Sender],
    number: str,
    parties: tuple[str, str, str],
    centicarats: int,
    value_usd: str,
    today: dt.date,
) -> None:
    """A one-parcel KP certificate valid for 90 days, recorded by `parties` (authority, exporter,
    importer: cast keys), its countries theirs, declaring `centicarats` rounded up to whole carats."""
    authority, exporter, importer = parties
    certificates.register_certificate(
        registry, senders[authority], number=number, exporting=CAST[exporter][2], importing=CAST[importer][2],
        exporter=senders[exporter].address, importer=senders[importer].address,
        carats=f"{(centicarats + 99) // 100}", value_usd=value_usd, parcels=1,
        issued=today, expires=today + dt.timedelta(days=90), document=None,
    )  # fmt: skip


def main() -> int:
    # `make` passes unset knobs as empty strings: empty means the default.
    def knob(name: str, default: object) -> str:
        return os.environ.get(name) or str(default)

    serve = knob("DEMO_SERVE", "1") not in {"0", "false", "no"}
    try:
        chain_port = int(knob("DEMO_CHAIN_PORT", localnode.DEFAULT_PORT))
        explorer_port = int(knob("DEMO_EXPLORER_PORT", EXPLORER_PORT))
    except ValueError as exc:
        print(f"error: DEMO_CHAIN_PORT and DEMO_EXPLORER_PORT must be port numbers ({exc})", file=sys.stderr)
        return 2
    state = Path(knob("DEMO_STATE", localnode.DEFAULT_STATE))
    deployment_path = Path(knob("DEMO_DEPLOYMENT", Deployment.default_path(localnode.LOCAL_CHAIN_ID)))
    try:
        if serve:
            explorer_port_free(explorer_port, chain_port)
        with tempfile.TemporaryDirectory(prefix="diamondtrace-demo-") as tmp:
            url, consumer_stone, _ = journey(chain_port, state, deployment_path, Path(tmp))
        page = f"http://127.0.0.1:{explorer_port}/stone/{consumer_stone}"
        down = shlex.join([command("diamondtrace"), "chain", "down"] + port_option(chain_port, localnode.DEFAULT_PORT))
        if not serve:
            browse = diamondtrace(chain_port, deployment_path, "explorer", *port_option(explorer_port, EXPLORER_PORT))
            say(f"The consumer's stone: {consumer_stone}. Browse it with `{browse}`, then open {page}")
            say(f"or check it from the terminal: `{diamondtrace(chain_port, deployment_path, 'verify', consumer_stone)}`.")
            say(f"The chain keeps running: `{down}` stops it.")
            return 0
        from .explorer import Explorer
        from .explorer import serve as start

        server = start(Explorer(url, deployment_path), "127.0.0.1", explorer_port)
        say(f"\nThe explorer is serving. The consumer's stone page:\n\n    {page}\n")
        say(f"(Ctrl-C to stop; the chain keeps running: `{down}` stops it.)")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            server.shutdown()
        return 0
    except DiamondTraceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code


def explorer_port_free(port: int, chain_port: int) -> None:
    """Refuses, before the journey rather than after it, a port the explorer could not serve on."""
    if port == chain_port:
        raise InputError(f"DEMO_EXPLORER_PORT and DEMO_CHAIN_PORT are both {port}: the explorer and the chain need a port each")
    if not 1 <= port <= 65535:
        raise InputError(f"DEMO_EXPLORER_PORT {port} is not a TCP port")
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the explorer's server binds
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            raise InputError(
                f"the explorer cannot serve on 127.0.0.1:{port} ({exc.strerror}); choose another port with DEMO_EXPLORER_PORT"
            ) from None


def port_option(port: int, default: int) -> list[str]:
    return [] if port == default else ["--port", str(port)]


def diamondtrace(chain_port: int, deployment: Path, *words: str) -> str:
    """The command line, as a user types it, of a `diamondtrace` command on the demo's chain and registry."""
    reach = [] if chain_port == localnode.DEFAULT_PORT else ["--rpc-url", f"http://127.0.0.1:{chain_port}"]
    if deployment.resolve() != Deployment.default_path(localnode.LOCAL_CHAIN_ID).resolve():
        reach += ["--deployment", str(deployment)]
    return shlex.join([command("diamondtrace"), *reach, *words])


if __name__ == "__main__":
    sys.exit(main())
