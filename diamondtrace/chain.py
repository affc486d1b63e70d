"""The connection to an EVM chain: connecting, reads (one call, or many in one JSON-RPC batch),
and what a failed RPC means in words (`rpc`, `failure`). Sending is `sending`'s.
"""

from __future__ import annotations

import email.utils
import logging
import os
import re
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import requests
from eth_utils.abi import get_abi_output_types
from web3 import Web3
from web3.contract.contract import ContractFunction
from web3.exceptions import ContractCustomError, ContractLogicError, ContractPanicError, Web3RPCError
from web3.middleware import ExtraDataToPOAMiddleware
from web3.providers.rpc.utils import ExceptionRetryConfiguration
from web3.types import RPCEndpoint

from .abi import Call, calldata, decode_result, with_names
from .artifacts import describe_revert, revert_data, revert_message
from .errors import ChainError, DiamondTraceError, InputError, Interrupted

DEFAULT_RPC_URL = "http://127.0.0.1:8545"
EIP7825_TX_GAS_CAP = 16_777_216
# Seconds to wait for one RPC answer; DIAMONDTRACE_RPC_TIMEOUT overrides it.
RPC_TIMEOUT = float(os.environ.get("DIAMONDTRACE_RPC_TIMEOUT", "30"))
# A provider that rate-limits (HTTP 429) is asked again this many times in all, waiting what its
# Retry-After says (at most RATE_LIMIT_WAIT s) or, without one, 0.5 s doubling up to that bound.
RATE_LIMIT_TRIES = 8
RATE_LIMIT_WAIT = 30.0

log = logging.getLogger("diamondtrace")


@dataclass
class Chain:
    w3: Web3
    chain_id: int
    rpc_url: str
    # What the chain answered to each EVM probe (evm.py), asked once per connection.
    probes: dict[str, str | None] = field(default_factory=dict, repr=False)


def connect(rpc_url: str = DEFAULT_RPC_URL, timeout: float = RPC_TIMEOUT) -> Chain:
    """Connects and reads the chain id; an unreachable endpoint is a `ChainError` (exit 3)."""
    if not re.match(r"^(https?|wss?)://", rpc_url):
        raise InputError(f"--rpc-url {rpc_url!r} is not an http(s):// or ws(s):// URL")
    # A refused connection or an HTTP error is retried briefly; a timeout is not: web3's default
    # retries it five times, which would keep a user waiting six timeouts for a dead endpoint.
    retry = ExceptionRetryConfiguration(errors=(ConnectionError, requests.HTTPError), retries=2, backoff_factor=0.2)
    # web3 checks every eth_call against the chain id, which it asks for each time: one round trip
    # more per call, half of `verify`'s requests. An endpoint's chain id does not change mid-command.
    w3 = Web3(
        Web3.HTTPProvider(
            rpc_url,
            request_kwargs={"timeout": timeout},
            exception_retry_configuration=retry,
            cache_allowed_requests=True,
            cacheable_requests={RPCEndpoint("eth_chainId")},
        )
    )
    # Proof-of-authority chains (Clique, QBFT, many L2s and consortium chains) carry the signers'
    # seal in a block's extraData, longer than the 32 bytes web3 otherwise refuses to read.
    w3.middleware_onion.inject(ExtraDataToPOAMiddleware, layer=0)
    chain_id = rpc(lambda: w3.eth.chain_id, f"the chain at {rpc_url}")
    return Chain(w3, int(chain_id), rpc_url)


def rpc(call: Callable[[], Any], where: str = "the RPC endpoint", done: str = "nothing was sent") -> Any:
    """Runs one RPC call, turning connection failures into a `ChainError` that says what happened
    (rate limiting is waited out first: `patient`)."""
    try:
        return patient(call, where)
    except requests.exceptions.Timeout:
        raise ChainError(f"{where} did not answer within {RPC_TIMEOUT:g} s; {done}") from None
    except (requests.exceptions.ConnectionError, ConnectionError) as exc:
        reason = "connection refused" if "refused" in str(exc).lower() else type(exc).__name__
        raise ChainError(f"cannot reach {where} ({reason}); {done}") from None
    except requests.exceptions.RequestException as exc:
        raise ChainError(f"{where} failed: {exc}; {done}") from None


def patient(call: Callable[[], Any], where: str = "the RPC endpoint") -> Any:
    """`call()`, waiting out a provider's rate limiting (HTTP 429) as long as it asks, a bounded
    number of times; a provider that keeps refusing is a `ChainError`."""
    waited = 0.0
    for attempt in range(RATE_LIMIT_TRIES):
        try:
            return call()
        except requests.HTTPError as exc:
            if exc.response is None or exc.response.status_code != 429:
                raise
            if attempt == RATE_LIMIT_TRIES - 1:
                break
            pause = _retry_after(exc.response.headers.get("Retry-After"))
            pause = min(RATE_LIMIT_WAIT, 0.5 * 2**attempt if pause is None else pause)
            log.info("%s is rate limiting (HTTP 429): waiting %.1f s", where, pause)
            time.sleep(pause)
            waited += pause
    raise ChainError(
        f"{where} kept refusing with HTTP 429 (rate limited): {RATE_LIMIT_TRIES} tries over {waited:.0f} s; "
        "try again later, or use another endpoint"
    )


def _retry_after(value: str | None) -> float | None:
    """Retry-After in seconds: a number of seconds, or an HTTP date."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value)
    try:
        return max(0.0, email.utils.parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def failure(exc: BaseException, rpc_url: str, run: str) -> DiamondTraceError | None:
    """What stopped a `run` ("command", "script") of the command or a brownie script, as the typed
    error that explains it in words with its documented exit code; None for anything else, a bug."""
    if isinstance(exc, DiamondTraceError):
        return exc
    if isinstance(exc, (ContractLogicError, ContractCustomError, ContractPanicError)):
        return InputError(f"the registry refused: {revert_message(exc)}")
    if isinstance(exc, (requests.exceptions.RequestException, ConnectionError, Web3RPCError)):
        return ChainError(
            f"the chain at {rpc_url} failed mid-{run} ({type(exc).__name__}: {exc}); "
            f"whatever was mined is on chain: check, then run the {run} again"
        )
    if isinstance(exc, KeyboardInterrupt):
        return Interrupted(f"interrupted: whatever was mined is on chain; run the same {run} again to continue")
    return None


def _result(reply: dict) -> Any:
    if "error" in reply:
        error = reply["error"]
        data = revert_data(error.get("data")) if isinstance(error, dict) else None
        if data is not None and "revert" in str(error.get("message", "")).lower():
            raise ContractCustomError(describe_revert(data), data="0x" + data.hex())
        raise Web3RPCError(str(error), rpc_response=reply)
    return reply["result"]


def raw_request(w3: Web3, method: str, params: list) -> Any:
    """A JSON-RPC request without web3's result formatting (milliseconds per call on big payloads)."""
    return _result(w3.provider.make_request(method, params))


def batch_request(w3: Web3, requests: list[tuple[str, list]]) -> list[Any]:
    """Several JSON-RPC requests in one HTTP round trip, so a remote node's latency is paid once;
    the results in order, an error raised as by one request. A node that refuses batches gets
    the requests one by one."""
    replies = w3.provider.make_batch_request(requests)
    if not isinstance(replies, list):
        return [raw_request(w3, method, params) for method, params in requests]
    return [_result(reply) for reply in replies]


def eth_call(call: ContractFunction | Call, block: str = "latest") -> tuple[str, list]:
    """The JSON-RPC request for a view call, for `batch_request`; `decoded` reads its answer."""
    return "eth_call", [{"to": call.address, "data": "0x" + calldata(call).hex()}, block]


def decoded(call: ContractFunction | Call, raw: str) -> tuple:
    types = call.output_types if isinstance(call, Call) else get_abi_output_types(call.abi)
    return decode_result(types, bytes.fromhex(raw[2:]))


def read(calls: list[ContractFunction | Call], block: str = "latest") -> list[Any]:
    """Several view calls in one JSON-RPC batch; each result as `.call()` on a contract with
    `decode_tuples` gives it (one output: the value itself; structs: named tuples)."""
    replies = batch_request(calls[0].w3, [eth_call(call, block) for call in calls]) if calls else []
    return [result_of(call, raw) for call, raw in zip(calls, replies)]


def result_of(call: ContractFunction | Call, raw: str) -> Any:
    """An `eth_call` reply as `.call()` on a contract with `decode_tuples` gives it."""
    values = [with_names(out, v) for out, v in zip(call.abi["outputs"], decoded(call, raw))]
    return values[0] if len(values) == 1 else tuple(values)


def view(call: ContractFunction | Call, block: str = "latest") -> tuple:
    """Calls a view function through the same fast encoding; returns the decoded outputs."""
    return decoded(call, raw_request(call.w3, *eth_call(call, block)))
