"""Shared fixtures: a registry on brownie's Anvil with a realistic cast of accredited participants.

Every test runs in its own snapshot (fn_isolation), so nothing one test does leaks into another.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass

import brownie
import pytest
from brownie import Contract, DiamondRegistry, GradingBook, KimberleyCertificates, accounts, web3
from helpers import register

from diamondtrace import artifacts
from diamondtrace.model import ROLES, ZERO32, text32, token_id
from diamondtrace.wallet import dev_account

# Anvil spills the states of old blocks under $HOME/.foundry/anvil/tmp and leaves them there when
# brownie stops it at the end of the session: the chains these tests start (brownie's Anvil, and
# every process a test runs) get a temporary HOME, removed at exit. brownie itself has read its
# own settings from the real HOME already.
_HOME = tempfile.TemporaryDirectory(prefix="diamondtrace-test-home-")
os.environ["HOME"] = _HOME.name

BLOCK_GAS_LIMIT = 30_000_000
# The tests' own chain port: brownie attaches to whatever already listens on its port, and the
# local chain of `make demo` or `diamondtrace chain up` listens on 8545. (brownie 1.22 cannot take
# this from brownie-config.yaml; it is read when brownie connects, after this file loads. The
# attribute path, not `from brownie._config import`: brownie hashes the sources a conftest
# imports, and that module is compiled.)
# Under pytest-xdist (`make test` runs two workers) each worker has its own chain: brownie's xdist
# runner adds the worker's number to this port after this file has set it.
# DIAMONDTRACE_TEST_PORT moves them (two checkouts testing on one machine).
TEST_CHAIN_PORT = int(os.environ.get("DIAMONDTRACE_TEST_PORT", "8577"))
brownie._config.CONFIG.networks["development"]["cmd_settings"]["port"] = TEST_CHAIN_PORT
# Twenty prefunded accounts: the attack tests need a second cast (see `others`) beside the first ten.
brownie._config.CONFIG.networks["development"]["cmd_settings"]["accounts"] = 20


def _raise_block_gas_limit():
    # Above EIP-7825's 16,777,216 per-transaction cap, so the cap (not the block) is what binds.
    web3.provider.make_request("evm_setBlockGasLimit", [hex(BLOCK_GAS_LIMIT)])


@pytest.fixture(scope="module", autouse=True)
def module_gas_limit(module_isolation):
    # Before the module's deployments: brownie resets the chain between modules.
    _raise_block_gas_limit()


@pytest.fixture(autouse=True)
def isolation(fn_isolation):
    _raise_block_gas_limit()


@dataclass
class Cast:
    admin: object
    producer: object  # Debswana, Botswana
    trader: object  # Antwerp, Belgium
    manufacturer: object  # Surat, India
    lab: object  # grading lab, United States
    retailer: object  # New York, United States
    kp_bw: object  # Botswana's KP authority
    consumer: object  # not accredited
    relayer: object  # not accredited; pays gas for signed transfers
    trader_bw: object  # a second trader in Botswana

    def key(self, account) -> object:
        """The eth-account key of one of Anvil's prefunded accounts (for EIP-712 signing)."""
        return dev_account(list(accounts).index(account))


@pytest.fixture(scope="module")
def cast():
    a = accounts
    return Cast(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9])


PROFILES = [
    # cast attribute, role, country, name, stone-ID prefix
    ("producer", "producer", "BW", "Debswana Diamond Company", "BW-"),
    ("trader", "trader", "BE", "Antwerp Rough Traders", None),
    ("manufacturer", "manufacturer", "IN", "Surat Diamond Works", "IN-"),
    ("lab", "lab", "US", "Gemological Lab of America", None),
    ("retailer", "retailer", "US", "Fifth Avenue Jewellers", None),
    ("kp_bw", "kp-authority", "BW", "Botswana KP Authority", None),
    ("trader_bw", "trader", "BW", "Gaborone Diamond Trading", None),
]


@dataclass
class Others:
    """A second cast, for the attacks: participants elsewhere, and an unaccredited accomplice."""

    producer_bw2: object  # a second producer in Botswana
    producer_zw: object  # Zimbabwe
    producer_cd: object  # DR Congo
    manufacturer_ru: object  # Russia
    kp_be: object  # Belgium's KP authority
    lab_be: object  # a second lab, in Belgium
    retailer_bw: object  # a retailer in Botswana
    trader_in: object  # a trader in India
    accomplice: object  # not accredited


OTHER_PROFILES = [
    ("producer_bw2", "producer", "BW", "Lucara Botswana", "LU-"),
    ("producer_zw", "producer", "ZW", "Zimbabwe Consolidated Diamonds", "ZW-"),
    ("producer_cd", "producer", "CD", "Miba", "CD-"),
    ("manufacturer_ru", "manufacturer", "RU", "Smolensk Cutting Works", "RU-"),
    ("kp_be", "kp-authority", "BE", "Belgian KP Authority", None),
    ("lab_be", "lab", "BE", "HRD Antwerp", None),
    ("retailer_bw", "retailer", "BW", "Gaborone Jewellers", None),
    ("trader_in", "trader", "IN", "Mumbai Rough Traders", None),
]


@pytest.fixture(scope="module")
def others(registry, cast):
    others = Others(*accounts[10:19])
    for attr, role, country, name, prefix in OTHER_PROFILES:
        registry.accredit(
            getattr(others, attr), ROLES[role], country.encode(), name, text32(prefix) if prefix else ZERO32, {"from": cast.admin}
        )
    return others


@pytest.fixture(scope="module")
def renderer(cast):
    # The code `diamondtrace deploy` deploys: the package builds the renderer from its metadata's
    # sources alone, and there solc's IR output differs from brownie's whole-project build (the
    # "extra file input" effect, tests/toolchain/test_package.py).
    shipped = artifacts.artifact("DiamondRenderer")
    deployed = cast.admin.transfer(data=shipped["bytecode"])
    return Contract.from_abi("DiamondRenderer", deployed.contract_address, shipped["abi"])


@pytest.fixture(scope="module")
def registry(cast, renderer):
    registry = DiamondRegistry.deploy(cast.admin, renderer, {"from": cast.admin})
    for attr, role, country, name, prefix in PROFILES:
        registry.accredit(
            getattr(cast, attr), ROLES[role], country.encode(), name, text32(prefix) if prefix else ZERO32, {"from": cast.admin}
        )
    return registry


@pytest.fixture(scope="module")
def kp(registry):
    """The registry's book of KP certificates."""
    return KimberleyCertificates.at(registry.certificates())


@pytest.fixture(scope="module")
def grading(registry):
    """The registry's book of grading reports."""
    return GradingBook.at(registry.grading())


@pytest.fixture
def stones(registry, cast):
    """Three rough stones registered by the producer, held by the producer."""
    register(registry, cast.producer, [("BW-0001", 250), ("BW-0002", 180), ("BW-0003", 1_050)])
    return [token_id("BW-0001"), token_id("BW-0002"), token_id("BW-0003")]
