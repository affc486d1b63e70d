"""Who holds each stone and who held it, derived from its mint and its transfers, with each
account's counts: what an address page shows, one indexed lookup however many stones an account
has. A span's moves update it by difference; a rollback derives it again for the stones touched.

- `stones.holder`: the stone's holder now (its mint's recipient, then each transfer's);
- `held`: (stone, account) for each account that held the stone and passed it on, until it
  receives it again: the stones whose last transfer involving the account was outgoing;
- `accounts`: how many stones each account holds and has held, kept with the rows above.

Statements go to the driver as plain SQL (`mark` its parameter marker), uint256 values as 32 bytes.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy.engine import Connection

from ..records import ZERO_ADDRESS

Move = tuple[bytes, str, str]  # (token as 32 bytes, from, to); a mint is from the zero address
CHUNK = 500


def apply(c: Connection, mark: str, moves: list[Move]) -> None:
    """A span's moves, in chain order (its mints' `stones` rows already written, each held by its
    recipient): holders, `held` rows and the accounts' counts, by difference."""
    before: dict[bytes, str | None] = {}  # each stone's holder before the span (None: minted in it)
    after: dict[bytes, str] = {}
    transferred: set[bytes] = set()
    passed: dict[tuple[bytes, str], bool] = {}  # (stone, account) -> whether a `held` row after the span
    for token, sender, recipient in moves:
        before.setdefault(token, None if sender == ZERO_ADDRESS else sender)
        after[token] = recipient
        if sender != ZERO_ADDRESS:
            transferred.add(token)
            if sender != recipient:
                passed[(token, sender)] = True
        passed[(token, recipient)] = False
    existing = held_rows(c, mark, [t for t, b in before.items() if b is not None])
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for token, now in after.items():
        if before[token] != now:
            counts[before[token] or ZERO_ADDRESS][0] -= 1
            counts[now][0] += 1
    added = [key for key, present in passed.items() if present and key not in existing]
    removed = [key for key, present in passed.items() if not present and key in existing]
    for _, account in added:
        counts[account][1] += 1
    for _, account in removed:
        counts[account][1] -= 1
    if transferred:
        c.exec_driver_sql(f"UPDATE stones SET holder = {mark} WHERE token_id = {mark}", [(after[t], t) for t in transferred])
    if added:
        c.exec_driver_sql(f"INSERT INTO held (token_id, account) VALUES ({mark}, {mark}) ON CONFLICT DO NOTHING", added)
    if removed:
        c.exec_driver_sql(f"DELETE FROM held WHERE token_id = {mark} AND account = {mark}", removed)
    changed = [(a, holds, was) for a, (holds, was) in counts.items() if a != ZERO_ADDRESS and (holds or was)]
    if changed:
        c.exec_driver_sql(
            f"INSERT INTO accounts (account, holds, held) VALUES ({mark}, {mark}, {mark}) ON CONFLICT (account) "
            "DO UPDATE SET holds = accounts.holds + excluded.holds, held = accounts.held + excluded.held",
            changed,
        )


def held_rows(c: Connection, mark: str, tokens: list[bytes]) -> set[tuple[bytes, str]]:
    """The `held` rows of these stones."""
    found: set[tuple[bytes, str]] = set()
    for i in range(0, len(tokens), CHUNK):
        some = tokens[i : i + CHUNK]
        query = f"SELECT token_id, account FROM held WHERE token_id IN ({', '.join([mark] * len(some))})"
        found |= {(bytes(t), a) for t, a in c.exec_driver_sql(query, tuple(some))}
    return found


def rebuild(c: Connection, mark: str, tokens: list[bytes], accounts: set[str]) -> None:
    """Derives again, from what the index still holds, the holders and `held` rows of `tokens`,
    and the counts of `accounts` (which must name every account whose counts may have changed)."""
    for i in range(0, len(tokens), CHUNK):
        some = tokens[i : i + CHUNK]
        marks = ", ".join([mark] * len(some))
        accounts |= {a for _, a in held_rows(c, mark, some)}
        mints = c.exec_driver_sql(
            "SELECT s.token_id, r.recipient FROM stones s JOIN registrations r ON r.batch = s.batch "
            f"WHERE s.token_id IN ({marks})",
            tuple(some),
        ).all()
        kept = c.exec_driver_sql(
            f"SELECT token_id, sender, recipient FROM transfers WHERE token_id IN ({marks}) ORDER BY block, log_index",
            tuple(some),
        ).all()
        holder = {bytes(t): r for t, r in mints}
        senders: dict[bytes, set[str]] = defaultdict(set)
        for t, sender, recipient in kept:
            holder[bytes(t)] = recipient
            senders[bytes(t)].add(sender)
        c.exec_driver_sql(f"DELETE FROM held WHERE token_id IN ({marks})", tuple(some))
        rows = [(t, a) for t, who in senders.items() for a in who if a != holder.get(t)]
        if rows:
            c.exec_driver_sql(f"INSERT INTO held (token_id, account) VALUES ({mark}, {mark})", rows)
        if holder:
            c.exec_driver_sql(f"UPDATE stones SET holder = {mark} WHERE token_id = {mark}", [(h, t) for t, h in holder.items()])
        accounts |= set(holder.values()) | {a for _, a in rows}
    for account in accounts - {ZERO_ADDRESS}:
        holds = c.exec_driver_sql(f"SELECT count(*) FROM stones WHERE holder = {mark}", (account,)).scalar()
        was = c.exec_driver_sql(f"SELECT count(*) FROM held WHERE account = {mark}", (account,)).scalar()
        c.exec_driver_sql(
            f"INSERT INTO accounts (account, holds, held) VALUES ({mark}, {mark}, {mark}) ON CONFLICT (account) "
            "DO UPDATE SET holds = excluded.holds, held = excluded.held",
            [(account, holds, was)],
        )
