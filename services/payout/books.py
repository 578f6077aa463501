"""The ledger in the database, one transaction at a time.

`Books.open` takes the ledger's transaction-level lock, so writers take turns: the chain stays
linear, and the balances a transaction reads cannot change before it commits. So the limit check
the domain makes on them (no budget overspent) holds under any concurrency; the accounts table's
CHECK constraint refuses an overdrawn budget besides. A batch loads the accounts and transfers it
touches in two queries, applies its transfers in memory, and writes them in two statements.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from uuid import UUID

from sqlalchemy import ARRAY, Boolean, Numeric, Text, bindparam, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.payout.domain import chain
from services.payout.domain.keys import KeyRing
from services.payout.domain.ledger import Account, Ledger, Transfer
from services.payout.tables import accounts, transfers
from shared import bulk
from shared.bulk import among

LEDGER_LOCK = zlib.crc32(b"payout.ledger")

_SAVE_ACCOUNTS = text(f"""
    INSERT INTO {accounts.fullname} (id, limited, debits_pending, debits_posted, credits_pending, credits_posted)
    SELECT * FROM unnest(:ids, :limited, :dp, :dd, :cp, :cd)
    ON CONFLICT (id) DO UPDATE SET debits_pending = excluded.debits_pending, debits_posted = excluded.debits_posted,
        credits_pending = excluded.credits_pending, credits_posted = excluded.credits_posted
""").bindparams(
    bindparam("ids", type_=ARRAY(Text)),
    bindparam("limited", type_=ARRAY(Boolean)),
    *(bindparam(n, type_=ARRAY(Numeric(18, 2))) for n in ("dp", "dd", "cp", "cd")),
)


def as_transfer(row) -> Transfer:
    return Transfer(row.id, row.debit, row.credit, row.amount, row.kind, row.pending_id, row.code, row.ref)


def as_link(row) -> chain.Link:
    return chain.Link(row.seq, as_transfer(row), row.prev_hash, row.hash, row.key_id)


async def newest(session: AsyncSession) -> tuple[int, str]:
    """The chain's newest row (sequence number, hash); (0, genesis) for an empty book."""
    last = (
        await session.execute(select(transfers.c.seq, transfers.c.hash).order_by(transfers.c.seq.desc()).limit(1))
    ).first()
    return (last.seq, last.hash) if last else (0, chain.GENESIS)


def as_account(row) -> Account:
    return Account(row.id, row.debits_pending, row.debits_posted, row.credits_pending, row.credits_posted)


class Books:
    def __init__(self, session: AsyncSession, key: bytes | KeyRing, last_seq: int, last_hash: str):
        self._session, self._key = session, key
        self._seq, self._hash = last_seq, last_hash
        self.ledger = Ledger()
        self._new: list[Transfer] = []
        self._touched: set[str] = set()

    @classmethod
    async def open(cls, session: AsyncSession, key: bytes | KeyRing) -> Books:
        await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LEDGER_LOCK})
        return cls(session, key, *await newest(session))

    async def load(self, account_ids: Iterable[str] = (), transfer_ids: Iterable[UUID] = ()) -> None:
        """Reads these accounts, these transfers and whatever posted or voided them."""
        wanted = [a for a in set(account_ids) if a not in self.ledger.accounts]
        if wanted:
            for row in await self._session.execute(select(accounts).where(among(accounts.c.id, wanted))):
                self.ledger.accounts[row.id] = as_account(row)
        ids = [t for t in set(transfer_ids) if t not in self.ledger.transfers]
        if ids:
            for row in await self._session.execute(
                select(transfers).where(or_(among(transfers.c.id, ids), among(transfers.c.pending_id, ids)))
            ):
                t = as_transfer(row)
                self.ledger.transfers[t.id] = t
                if t.pending_id is not None:
                    self.ledger.resolved[t.pending_id] = t.id

    def account(self, account_id: str) -> Account:
        return self.ledger.account(account_id)

    def transfer(self, transfer_id: UUID) -> Transfer | None:
        return self.ledger.transfers.get(transfer_id)

    def apply(self, t: Transfer) -> str:
        """The domain's verdict (`ok`, `exists`), or TransferRefused; the accounts must have been loaded."""
        result = self.ledger.apply(t)
        if result == "ok":
            self._new.append(t)
            self._touched.update((t.debit, t.credit))
        return result

    async def flush(self) -> None:
        """Appends the transfers applied since the last flush to the chain and saves the balances."""
        if not self._new:
            return
        rows = []
        for link in chain.chained(self._key, self._hash, self._seq + 1, self._new):
            t = link.transfer
            rows.append(
                {
                    "seq": link.seq,
                    "id": t.id,
                    "kind": t.kind,
                    "debit": t.debit,
                    "credit": t.credit,
                    "amount": t.amount,
                    "pending_id": t.pending_id,
                    "code": t.code,
                    "ref": t.ref,
                    "prev_hash": link.prev_hash,
                    "hash": link.hash,
                    "key_id": link.key_id,
                }
            )
            self._seq, self._hash = link.seq, link.hash
        await bulk.insert_rows(self._session, transfers, rows)
        touched = [self.ledger.accounts[a] for a in sorted(self._touched)]
        await self._session.execute(
            _SAVE_ACCOUNTS,
            {
                "ids": [a.id for a in touched],
                "limited": [a.limited for a in touched],
                "dp": [a.debits_pending for a in touched],
                "dd": [a.debits_posted for a in touched],
                "cp": [a.credits_pending for a in touched],
                "cd": [a.credits_posted for a in touched],
            },
        )
        self._new, self._touched = [], set()
