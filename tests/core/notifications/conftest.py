"""Helpers for the outbox / WhatsApp tests: orders through the real services, outbox rows, the clock of the
back-off (moved in the database instead of sleeping) and what the Fonnte emulator actually delivered."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select, update

from core.interfaces import PaymentNotice
from core.store import RecordingJobs, Store
from core.tables import outbox
from tests.helpers import drain_recorded

BUYER_INPUT = "0812-3456-7890"
BUYER = "6281234567890"
OWNER = "6281200000001"


class Notify:
    """What the tests do to a store, bound to it (and to the Fonnte emulator for the counts)."""

    def __init__(self, store: Store, emulator: Any) -> None:
        self.store = store
        self.emulator = emulator

    @property
    def jobs(self) -> RecordingJobs:
        assert isinstance(self.store.jobs, RecordingJobs)
        return self.store.jobs

    async def order(self, whatsapp: str = BUYER_INPUT, product: str = "ML86-S24") -> dict[str, Any]:
        return await self.store.orders.create({"product": product, "user_id": "12345678", "zone_id": "2001",
                                               "whatsapp": whatsapp})

    async def pay(self, code: str, amount: int, external_id: str | None = None) -> str:
        notice = PaymentNotice(external_id=external_id or f"tx-{uuid.uuid4().hex[:10]}", amount_idr=amount,
                               paid_at=datetime.now(UTC), quantity=amount // 1000, payer_name="Budi",
                               message=code)
        return await self.store.payments.apply_notice(notice, source="webhook")

    async def rows(self, **where: Any) -> list[dict[str, Any]]:
        q = select(outbox).order_by(outbox.c.id)
        for name, value in where.items():
            q = q.where(outbox.c[name] == value)
        return [dict(r._mapping) for r in await self.store.db.fetch_all(q)]

    async def row(self, message_id: int) -> dict[str, Any]:
        [r] = [r for r in await self.rows() if r["id"] == message_id]
        return r

    async def time_passes(self) -> None:
        """Every back-off is over: pending messages are due now (what the clock would do in minutes)."""
        await self.store.db.execute(update(outbox).where(outbox.c.status == "pending").values(next_attempt_at=0))

    async def drain(self) -> int:
        return await drain_recorded(self.store, self.jobs)

    def delivered(self) -> Counter[tuple[str, str]]:
        """(target, text) -> how many copies the gateway queued for delivery."""
        return Counter((m["target"], m["message"]) for m in self.emulator.sent)

    async def assert_each_delivered_once(self) -> list[dict[str, Any]]:
        rows = await self.rows()
        assert rows, "the test expects messages"
        expected = Counter((r["recipient"], r["body"]) for r in rows)
        assert all(n == 1 for n in expected.values()), "two outbox rows with one text: the test is ambiguous"
        assert self.delivered() == expected
        assert {r["status"] for r in rows} == {"accepted"}
        assert sorted(r["message_id"] for r in rows) == sorted(m["id"] for m in self.emulator.sent)
        return rows


@pytest.fixture
def notify(store: Store, fakes: Any) -> Notify:
    return Notify(store, fakes.whatsapp)


@pytest.fixture
def sqlite_notify(sqlite_store: Store, fakes: Any) -> Notify:
    return Notify(sqlite_store, fakes.whatsapp)
