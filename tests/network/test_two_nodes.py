"""`make test-network` (not in `make test`): the journey on a real peer-to-peer network. Two
`@ethereumjs/client` nodes in a Clique proof-of-authority chain (tests/network_support.py): the
registry is deployed, the cast accredited, a KP certificate recorded, a production run minted and
a stone exported through node 1, the sealer; node 2, which only follows node 1 over devp2p, then
serves `verify` and the explorer with the very same answers."""

from __future__ import annotations

import os
import time

import pytest
import requests
from cli_support import Cli, address, own_anvil, write_csv
from network_support import Steadied, executed, funded_accounts, sealer, start_node, write_chain

from diamondtrace.explorer import Explorer, serve

# Ports from the test port base (DIAMONDTRACE_TEST_PORT), so that checkouts testing side by side
# do not collide: two RPC and two devp2p ports, and the explorer's.
BASE = int(os.environ.get("DIAMONDTRACE_TEST_PORT", "8577")) + 20


@pytest.fixture(scope="module")
def network(tmp_path_factory):
    """Node 1, sealing; node 2 is started by the test, once there is a chain to sync."""
    folder = tmp_path_factory.mktemp("clique")
    signer, key = sealer(folder)
    chain = write_chain(folder, signer, funded_accounts())
    first = start_node(folder, "node1", chain, BASE, BASE + 1, sealer_key=key)
    try:
        yield folder, chain, first
    finally:
        first.stop()


def _synced(node, height: int, within: float = 180) -> None:
    """Waits until `node` has a peer and has the chain up to `height`."""
    deadline = time.monotonic() + within
    while int(node.rpc("net_peerCount"), 16) < 1 or node.block() < height:
        peers = int(node.rpc("net_peerCount"), 16)
        assert time.monotonic() < deadline, f"node 2 ({peers} peers) at block {node.block()}, node 1 at {height}: {node.log}"
        time.sleep(0.5)


def _record(verified: dict) -> dict:
    """`verify --json` without the block its check was made at (each node's latest)."""
    return {**verified, "integrity": {**verified["integrity"], "checked": None}}


def test_the_journey_through_node_1_is_verified_on_node_2(network):
    folder, chain, first = network
    with Steadied(first.rpc_url) as node1:
        with own_anvil(folder / "estimator", "--fork-url", node1.url, "--hardfork", "cancun") as estimator:
            node1.estimator = estimator
            dt = Cli(node1.url, folder / "deployment.json").deploy_with_cast()
            dt(
                "kp", "register", "--number", "BW-KP-NET-1", "--exporting", "BW", "--importing", "BE",
                "--exporter", address("producer"), "--importer", address("trader"), "--carats", "100",
                "--value-usd", "90000", "--parcels", "1", "--issued", "2026-01-01", "--expires", "2099-12-31", "--dev-account", 6,
            )  # fmt: skip
            rows = [[f"BW-NET-{i:03d}", "1.50", "Jwaneng", "BW", "2026-01-02", "BW-KP-NET-1"] for i in range(40)]
            header = "stone_id,carat,mine,country,production_date,kp_certificate"
            run = write_csv(folder / "run.csv", rows, header)
            minted = dt("mint", run, "--batch-size", "10", "--dev-account", 1, json=True).json
            assert minted["registered"] == 40 and len(minted["transactions"]) == 4
            export = ["--action", "export", "--kp", "BW-KP-NET-1"]
            dt("transfer", "BW-NET-007", "--to", address("trader"), *export, "--dev-account", 1)
            on_first = dt("verify", "BW-NET-007", json=True).json
            assert on_first["integrity"]["ok"] and on_first["custody"][-1]["to"] == address("trader")

    # Node 2 joins now and syncs the chain from node 1 over devp2p: 0.10.2's full sync takes the
    # chain a peer has when they meet, then stalls on blocks sealed after (see the module's notes).
    second = start_node(folder, "node2", chain, BASE + 2, BASE + 3, bootnode=first.enode())
    try:
        last = on_first["custody"][-1]["block"]
        _synced(second, last)
        for block in range(1, last + 1):
            assert (
                second.rpc("eth_getBlockByNumber", hex(block), False)["hash"]
                == first.rpc("eth_getBlockByNumber", hex(block), False)["hash"]
            )
        executed(second, second.block())
        with Steadied(second.rpc_url) as node2:
            on_second = dt.at(node2.url)("verify", "BW-NET-007", json=True).json
            assert _record(on_second) == _record(on_first) and on_second["integrity"]["ok"]
            server = serve(Explorer(node2.url, folder / "deployment.json"), "127.0.0.1", BASE + 4)
            try:
                site = f"http://127.0.0.1:{server.server_address[1]}"
                page = requests.get(f"{site}/stone/BW-NET-007", timeout=120)
                assert page.status_code == 200 and "Record complete and consistent" in page.text
                assert _record(requests.get(f"{site}/api/stone/BW-NET-007", timeout=120).json()) == _record(on_first)
            finally:
                server.shutdown()
    finally:
        second.stop()
