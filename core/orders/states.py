"""The order state machine (DESIGN.md §3). Every status change is checked against this table."""

from __future__ import annotations

import enum


class Status(enum.StrEnum):
    AWAITING_PAYMENT = "awaiting_payment"
    UNDERPAID = "underpaid"
    PAID = "paid"
    ON_HOLD = "on_hold"
    PROCESSING = "processing"
    SUCCESS = "success"
    FAILED = "failed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


S = Status

# (from, to) -> the triggers allowed to make it
TRANSITIONS: dict[tuple[Status, Status], frozenset[str]] = {
    (S.AWAITING_PAYMENT, S.UNDERPAID): frozenset({"payment"}),
    (S.AWAITING_PAYMENT, S.PAID): frozenset({"payment"}),
    (S.UNDERPAID, S.PAID): frozenset({"payment"}),
    (S.AWAITING_PAYMENT, S.EXPIRED): frozenset({"expire"}),
    (S.UNDERPAID, S.EXPIRED): frozenset({"expire"}),
    (S.AWAITING_PAYMENT, S.CANCELLED): frozenset({"cancel"}),
    (S.UNDERPAID, S.CANCELLED): frozenset({"cancel"}),
    (S.PAID, S.CANCELLED): frozenset({"cancel"}),
    (S.ON_HOLD, S.CANCELLED): frozenset({"cancel"}),
    (S.FAILED, S.CANCELLED): frozenset({"cancel"}),
    (S.PAID, S.ON_HOLD): frozenset({"hold"}),
    (S.ON_HOLD, S.PAID): frozenset({"release"}),
    (S.PAID, S.PROCESSING): frozenset({"claim", "send-now", "confirm"}),
    (S.PROCESSING, S.SUCCESS): frozenset({"provider", "mark-delivered"}),
    (S.PROCESSING, S.FAILED): frozenset({"provider"}),
    (S.PROCESSING, S.PAID): frozenset({"refused"}),
    (S.PAID, S.SUCCESS): frozenset({"mark-delivered"}),
    (S.ON_HOLD, S.SUCCESS): frozenset({"mark-delivered"}),
    (S.FAILED, S.SUCCESS): frozenset({"mark-delivered"}),
    (S.FAILED, S.PAID): frozenset({"retry"}),
}

OPEN_FOR_PAYMENT = (S.AWAITING_PAYMENT, S.UNDERPAID)
CLOSED = (S.EXPIRED, S.CANCELLED)


def sources(to: Status, trigger: str) -> tuple[Status, ...]:
    """The statuses from which `trigger` may move an order to `to`."""
    return tuple(f for (f, t), triggers in TRANSITIONS.items() if t == to and trigger in triggers)


def is_allowed(frm: str, to: str, trigger: str) -> bool:
    try:
        return trigger in TRANSITIONS.get((Status(frm), Status(to)), frozenset())
    except ValueError:
        return False


def payment_state(paid_idr: int, due_idr: int) -> str:
    if paid_idr <= 0:
        return "none"
    if paid_idr < due_idr:
        return "partial"
    if paid_idr == due_idr:
        return "full"
    return "over"
