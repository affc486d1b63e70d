"""Whether a chain runs the EVM the contracts are built for, asked before anything is deployed.

Code built for a newer EVM than a chain runs deploys without complaint and then fails on every
call ("invalid opcode"). So each opcode the build target brings is probed: an `eth_call` with no
`to`, whose data is a few bytes of init code that uses it and returns the word 1. A chain without
the opcode fails the call; nothing is sent. The answers are kept per connection.
"""

from __future__ import annotations

from web3.exceptions import ContractCustomError, Web3RPCError

from .chain import Chain, raw_request, rpc
from .errors import InputError

# The hardforks that brought opcodes solc emits, oldest first.
HARDFORKS = ("london", "paris", "shanghai", "cancun", "prague", "osaka")
# (hardfork, what it brought as a person reads it, init code that returns the word 1 only where it runs)
_PROBES = (
    # PUSH1 1, PUSH0, MSTORE, PUSH1 32, PUSH0, RETURN
    ("shanghai", "PUSH0 (Shanghai)", "60015f5260205ff3"),
    # TSTORE 1 at slot 0, TLOAD it, MSTORE it at 0, MCOPY 32 bytes from 0 to 32, RETURN those 32
    ("cancun", "MCOPY/TSTORE (Cancun)", "600160005d60005c6000526020600060205e60206020f3"),
)
_ONE = "0x" + "00" * 31 + "01"


def _answer(chain: Chain, code: str) -> str | None:
    """None when the chain ran `code` as expected; else what it answered."""
    if code not in chain.probes:
        try:
            request = [{"data": "0x" + code}, "latest"]  # no `to`: the data runs as init code
            result = rpc(lambda: raw_request(chain.w3, "eth_call", request), f"the chain at {chain.rpc_url}")
            chain.probes[code] = None if result == _ONE else f"it returned {result}"
        except ContractCustomError as exc:
            chain.probes[code] = f"it reverted: {exc}"
        except Web3RPCError as exc:
            error = (exc.rpc_response or {}).get("error")
            chain.probes[code] = f"it answered {error.get('message') if isinstance(error, dict) else exc}"
    return chain.probes[code]


def missing(chain: Chain, target: str) -> list[tuple[str, str]]:
    """What the build `target` needs that the chain does not run: (feature, the chain's answer)."""
    rank = HARDFORKS.index(target) if target in HARDFORKS else len(HARDFORKS)
    needed = [(feature, code) for fork, feature, code in _PROBES if HARDFORKS.index(fork) <= rank]
    return [(feature, answer) for feature, code in needed if (answer := _answer(chain, code)) is not None]


def require(chain: Chain, target: str) -> None:
    """Refuses (an `InputError`: nothing sent) a chain that cannot run code built for `target`."""
    lacking = missing(chain, target)
    if lacking:
        features = " nor ".join(feature for feature, _ in lacking)
        raise InputError(
            f"this chain (chain id {chain.chain_id} at {chain.rpc_url}) does not run {features}, which the registry's code "
            f"needs: it is built for the {target} EVM (probed with eth_call: {lacking[0][1]}); nothing was deployed. "
            f"Deploy on a chain at {target.capitalize()} or later"
        )
