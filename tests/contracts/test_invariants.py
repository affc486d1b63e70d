"""Invariants under random sequences of operations, on the real chain (brownie's hypothesis state
machine): accreditations, certificates, registrations, custody transfers (direct, signed and plain
ERC-721), splits, gradings, flags, pauses and the passing of time, each allowed to fail.

After every step:
- each stone's history rebuilt from events matches its on-chain commitment, count and holder;
- the carats drawn from a certificate never exceed its declared weight;
- children never outweigh their parent;
- balances agree with owners.
And every move that happened is checked against the state before it: retired and flagged stones
never move, nothing moves while paused, and no unaccredited holder ever receives a stone in the
trade (except a retailer's retail sale).

`make test` runs a modest number of examples; `make fuzz` (DIAMONDTRACE_FUZZ=1) runs many.
(brownie's own `state_machine` fixture fails in its compiled 1.22 build, and hypothesis's
stateful runner keeps its first sequences very short; so hypothesis generates whole sequences of
operations here, run from a chain snapshot each, and shrinks a failing one to the shortest.)
"""

import os
from collections import defaultdict

import brownie
from brownie import chain, web3
from helpers import batch_input, certificate_input
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from diamondtrace.chain import Call, batch_request, decoded, eth_call
from diamondtrace.contracts import registry_contract
from diamondtrace.custody import Authorization, sign_authorization
from diamondtrace.model import ROLES, ZERO32, Action, Flag, Kind, Status, text32, token_id
from diamondtrace.verify import BlockTimes, CustodyRecord, check_history

FUZZ = os.environ.get("DIAMONDTRACE_FUZZ") == "1"
# In `make test` a failing sequence is reported as found (shrinking it takes minutes on a chain);
# `make fuzz` shrinks it to the shortest.
SETTINGS = settings(
    max_examples=200 if FUZZ else 4,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate, Phase.shrink] if FUZZ else [Phase.explicit, Phase.generate],
)
STEPS = (30, 60) if FUZZ else (20, 30)
INDEX = st.integers(min_value=0, max_value=255)
WEIGHT = st.integers(min_value=1, max_value=5_000)
DAYS = st.integers(min_value=1, max_value=40)
MOVES: list[int] = []
ACTIONS = [a for a in Action if a != Action.TRANSFER]


class RegistryModel:
    """Drives the registry with operations and checks it; one instance per generated sequence."""

    def __init__(self, registry, cast):
        self.registry = registry
        self.cast = cast
        self.view = registry_contract(web3, self.registry.address)
        # Who may act: everybody in the cast plus an unaccredited consumer.
        self.people = [cast.producer, cast.trader, cast.trader_bw, cast.manufacturer, cast.lab, cast.retailer, cast.kp_bw, cast.consumer]
        self.stones: list[int] = []
        self.certificates: list[bytes] = []
        self.parents: dict[int, list[int]] = {}
        self.counter = 0
        self.moves = 0
        self.times = BlockTimes(web3)

    def start(self, weight, days):
        """Every sequence starts from a registry with stones and certificates to act on."""
        for importer in range(3):
            self.record_certificate(weight * 3, days, importer)
        self.register(4, weight, 0, False)
        self.register(2, weight // 2 + 1, 0, True)

    # ------------------------------------------------------------------ helpers

    def _pick(self, items, index):
        return items[index % len(items)] if items else None

    def _state(self, stone):
        s = self.registry.stone(stone)
        return {"status": s["status"], "flag": s["flag"], "kind": s["kind"], "holder": s["holder"]}

    def _try(self, fn, *args):
        try:
            return fn(*args)
        except brownie.exceptions.VirtualMachineError:
            return None

    def _check_move(self, tx, before, to, action):
        """A move that happened must have been allowed by the state before it."""
        if tx is None:
            return
        events = [e for e in tx.events["CustodyTransferred"]] if "CustodyTransferred" in tx.events else []
        assert len(events) == 1
        assert before["status"] != Status.SPLIT, "a retired stone moved"
        assert before["flag"] == Flag.NONE, "a flagged stone moved"
        assert not before["paused"], "a stone moved while paused"
        if before["status"] == Status.IN_TRADE and action != Action.RETAIL_SALE:
            assert before["to_roles"] != 0, "an unaccredited holder received a stone in the trade"
        if before["status"] == Status.IN_TRADE:
            assert before["from_roles"] != 0, "an unaccredited holder passed a stone on in the trade"

    def _before(self, stone, sender, to):
        state = self._state(stone)
        state["paused"] = self.registry.paused()
        state["from_roles"] = self.registry.participant(sender)[0]
        state["to_roles"] = self.registry.participant(to)[0]
        return state

    # ------------------------------------------------------------------ rules

    def accredit(self, who, role, country):
        person = self._pick(self.people[:-1], who)
        roles = list(ROLES.values())
        self.registry.accredit(person, roles[role % len(roles)], b"BE" if country else b"BW", "fuzz", {"from": self.cast.admin})

    def revoke(self, who):
        self._try(lambda: self.registry.revoke(self._pick(self.people[1:3] + self.people[5:6], who), {"from": self.cast.admin}))

    def record_certificate(self, weight, days, importer):
        self.counter += 1
        number = f"KP-FUZZ-{self.counter}"
        to = self._pick([self.cast.trader, self.cast.manufacturer, self.cast.trader_bw], importer)
        importing = {self.cast.trader: "BE", self.cast.manufacturer: "IN", self.cast.trader_bw: "BW"}[to]
        tx = self._try(
            self.registry.recordCertificate,
            certificate_input(number, self.cast.producer, to, importing=importing, centicarats=weight, days=days),
            {"from": self.cast.kp_bw},
        )
        if tx is not None:
            self.certificates.append(text32(number))

    def register(self, n, weight, certificate, use_certificate):
        ids = []
        for _ in range(n):
            self.counter += 1
            ids.append(token_id(f"BW-FUZZ-{self.counter}"))
        number = self._pick(self.certificates, certificate) if use_certificate else None
        tx = self._try(
            self.registry.register,
            batch_input(self.cast.producer, certificate=number or ZERO32),
            ids,
            [weight + i for i in range(n)],
            {"from": self.cast.producer},
        )
        if tx is not None:
            self.stones += ids

    def transfer(self, stone, to, action, how, certificate, use_certificate):
        token = self._pick(self.stones, stone)
        if token is None:
            return
        holder = self.registry.ownerOf(token)
        act = self._pick(ACTIONS, action)
        number = self._pick(self.certificates, certificate) if use_certificate else None
        if number is not None:
            # Mostly to the certificate's importer, so exports can succeed.
            importer = self.registry.certificate(number)["declared"][4]
            recipient = importer if to % 4 != 3 else self._pick(self.people, to)
        else:
            # Mostly someone in the holder's country, so domestic trade can succeed.
            country = self.registry.participant(holder)[1]
            others = [p for p in self.people if p.address != holder]
            local = [p for p in others if self.registry.participant(p)[1] == country]
            recipient = self._pick(local, to) if local and to % 3 != 2 else self._pick(others, to)
        self._move(token, holder, recipient, act, number or ZERO32, how % 3)

    def retail_sale(self, stone, how):
        token = self._pick(self.stones, stone)
        if token is not None:
            holder = self.registry.ownerOf(token)
            self._move(token, holder, self.cast.consumer, Action.RETAIL_SALE, ZERO32, how % 2)

    def _move(self, token, holder, recipient, act, number, mode):
        before = self._before(token, holder, recipient)
        if mode == 0:
            tx = self._try(self.registry.transferCustody, recipient, token, int(act), b"\x42" * 32, number, {"from": holder})
        elif mode == 1:
            auth = Authorization(token, str(recipient), int(act), b"\x43" * 32, number, self.registry.nonces(holder), chain.time() + 3600)
            signature = sign_authorization(self.cast.key(holder), chain.id, self.registry.address, auth)
            tx = self._try(self.registry.transferCustodySigned, auth.as_tuple(), signature, {"from": self.cast.relayer})
        else:
            act = Action.TRANSFER
            tx = self._try(self.registry.transferFrom, holder, recipient, token, {"from": holder})
        self._check_move(tx, before, recipient, act)
        if tx is not None:
            self.moves += 1

    def split(self, stone, n, weight):
        parent = self._pick(self.stones, stone)
        if parent is None:
            return
        holder = self.registry.ownerOf(parent)
        ids = []
        for _ in range(n):
            self.counter += 1
            ids.append(token_id(f"IN-FUZZ-{self.counter}"))
        tx = self._try(self.registry.split, parent, ids, [max(1, weight // n)] * n, {"from": holder})
        if tx is not None:
            self.stones += ids
            self.parents[parent] = ids

    def grade(self, stone, lab_grown):
        token = self._pick(self.stones, stone)
        if token is None:
            return
        self.counter += 1
        report = (text32(f"R-{self.counter}"), 100, text32("D")[:8], text32("IF")[:8], text32("Excellent")[:16], lab_grown, ZERO32)
        self._try(self.registry.grade, token, report, {"from": self.cast.lab})

    def flag(self, stone, lost):
        token = self._pick(self.stones, stone)
        if token is not None:
            holder = self.registry.ownerOf(token)
            self._try(self.registry.flag, token, Flag.LOST if lost else Flag.STOLEN, {"from": holder})

    def clear_flag(self, stone):
        token = self._pick(self.stones, stone)
        if token is not None:
            self._try(self.registry.clearFlag, token, {"from": self.cast.admin})

    def pause(self, on):
        self._try(self.registry.pause if on else self.registry.unpause, {"from": self.cast.admin})

    def time_passes(self, days):
        chain.sleep(days * 86_400)
        chain.mine()

    # ------------------------------------------------------------------ invariants

    def _read(self, *calls) -> list:
        """Several view calls in one JSON-RPC batch: the checks run after every step, and one
        request for all of a step's reads keeps a sequence of thirty steps quick."""
        return [decoded(call, raw) for call, raw in zip(calls, batch_request(web3, [eth_call(call) for call in calls]))]

    def check(self):
        people = self.people + [self.cast.relayer, self.cast.admin]
        parents = list(self.parents)
        stone_call = [Call(self.view, "stone", t) for t in self.stones]
        answers = self._read(
            *[Call(self.view, "custodyState", t) for t in self.stones],
            *stone_call,
            *[Call(self.view, "ownerOf", t) for t in self.stones],
            *[Call(self.view, "childrenOf", p) for p in parents],
            *[Call(self.view, "certificate", n) for n in self.certificates],
            *[Call(self.view, "balanceOf", person.address) for person in people],
        )
        n = len(self.stones)
        custody, stones, owners = answers[:n], answers[n : 2 * n], answers[2 * n : 3 * n]
        children_of = answers[3 * n : 3 * n + len(parents)]
        certificates = answers[3 * n + len(parents) : 3 * n + len(parents) + len(self.certificates)]
        balances = answers[3 * n + len(parents) + len(self.certificates) :]
        fields = [c["name"] for c in stone_call[0].abi["outputs"][0]["components"]] if stone_call else []
        stone = {t: dict(zip(fields, value[0])) for t, value in zip(self.stones, stones)}

        # Each stone's history rebuilt from events matches its commitment, count and holder.
        head = web3.eth.block_number
        records = defaultdict(list)
        for log in self.view.events.CustodyTransferred().get_logs(from_block=0, to_block=head):
            a = log["args"]
            records[a["tokenId"]].append(
                CustodyRecord(len(records[a["tokenId"]]) + 1, a["tokenId"], a["from"], a["to"], a["action"], bytes(a["document"]),
                              bytes(a["certificate"]), a["commitment"], log["blockNumber"], "", log["logIndex"], self.times(log["blockNumber"]))
            )
        minted = {e["args"]["id"]: e["args"]["to"] for e in self.view.events.Transfer().get_logs(from_block=0, to_block=head, argument_filters={"from": "0x" + "00" * 20})}
        for token, (holder, count, commitment, last_action) in zip(self.stones, custody):
            verdict = check_history(records[token], minted[token], holder, count, commitment, last_action)
            assert verdict.ok, verdict.reason

        # Carats drawn from a certificate never exceed its declared weight.
        for ((declared, _, _, drawn),) in certificates:
            assert drawn <= declared[7]

        # Children never outweigh their parent, which is retired; they are polished.
        for parent, (listed,) in zip(parents, children_of):
            children = self.parents[parent]
            assert sum(stone[c]["centicarats"] for c in children) <= stone[parent]["centicarats"]
            assert stone[parent]["status"] == Status.SPLIT
            assert list(listed) == children
            assert all(stone[c]["kind"] == Kind.POLISHED for c in children)

        # Balances agree with owners.
        holders = defaultdict(int)
        for (owner,) in owners:
            holders[owner.lower()] += 1
        for person, (balance,) in zip(people, balances):
            assert balance == holders.get(person.address.lower(), 0)


# Operations, weighted towards moving stones; each takes the same generic parameters.
OPERATIONS = {
    "accredit": lambda m, p: m.accredit(p[0], p[1], p[6]),
    "revoke": lambda m, p: m.revoke(p[0]),
    "certificate": lambda m, p: m.record_certificate(p[5], 1 + p[1] % 40, p[2]),
    "register": lambda m, p: m.register(1 + p[0] % 4, p[5], p[1], p[6]),
    "transfer": lambda m, p: m.transfer(p[0], p[1], p[2], p[3], p[4], p[6]),
    "retail-sale": lambda m, p: m.retail_sale(p[0], p[1]),
    "split": lambda m, p: m.split(p[0], 1 + p[1] % 4, p[5]),
    "grade": lambda m, p: m.grade(p[0], p[6]),
    "flag": lambda m, p: m.flag(p[0], p[6]),
    "clear-flag": lambda m, p: m.clear_flag(p[0]),
    "pause": lambda m, p: m.pause(p[6] and p[0] % 4 == 0),
    "time-passes": lambda m, p: m.time_passes(1 + p[0] % 40),
}
WEIGHTED = ["transfer"] * 6 + ["retail-sale", "split", "split"] + [op for op in OPERATIONS if op not in {"transfer"}]
OPERATION = st.tuples(st.sampled_from(WEIGHTED), st.tuples(INDEX, INDEX, INDEX, INDEX, INDEX, WEIGHT, st.booleans()))


def test_invariants_hold_under_random_operation_sequences(registry, cast):
    @SETTINGS
    @given(weight=WEIGHT, days=DAYS, operations=st.lists(OPERATION, min_size=STEPS[0], max_size=STEPS[1]))
    def run(weight, days, operations):
        # Every example starts from the test's starting state (which is also the state brownie's
        # isolation returns to afterwards); brownie's snapshot keeps its own nonce book-keeping right.
        chain.snapshot()
        try:
            model = RegistryModel(registry, cast)
            model.start(weight, days)
            model.check()
            for name, params in operations:
                OPERATIONS[name](model, params)
                model.check()
            MOVES.append(model.moves)
        finally:
            chain.revert()

    run()
    # The test's own power: the sequences did move stones, not only fail to.
    assert sum(MOVES) > 0, "no generated sequence ever moved a stone"
