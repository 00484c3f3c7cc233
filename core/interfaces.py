"""The contracts between the core and its plugins.

A plugin returns objects implementing these Protocols from its registration hooks
(`register_product_providers`, `register_payment_gateways`, `register_notifiers`). The core only ever
talks to partners through them, so another provider, payment method or messenger is a new plugin,
never an edit of the core.

Amounts are integer Rupiah (`*_idr`), times are aware UTC datetimes (`*_at`).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable

# --------------------------------------------------------------------------------------------------
# Product providers
# --------------------------------------------------------------------------------------------------

KINDS = ("game", "pulsa", "data", "emoney", "pln", "streaming", "voucher")


@dataclass(frozen=True)
class InputField:
    """One input the buyer fills in for a category (`user_id`, `zone_id`, `server`, `phone`, `meter_no`)."""

    name: str
    label: str
    required: bool = True
    choices: tuple[str, ...] = ()
    placeholder: str = ""
    choice_labels: tuple[str, ...] = ()  # text shown for each of `choices`, same order (the value stays the code)


@dataclass(frozen=True)
class CategoryRules:
    """What a category asks of the buyer, and whether the provider can check the nickname."""

    fields: tuple[InputField, ...]
    nickname_code: str | None = None

    @property
    def has_nickname_check(self) -> bool:
        return self.nickname_code is not None


@dataclass(frozen=True)
class CatalogItem:
    """One product as the provider lists it, with the price tier of the store's account applied."""

    code: str
    name: str
    brand: str  # the provider's brand / game name; becomes the category
    kind: str  # one of KINDS
    section: str  # provider-specific group that decides the order endpoint ("game", "prepaid")
    cost_idr: int
    is_available: bool
    note: str = ""
    is_login_product: bool = False  # needs an account login (Vilog / Joki): hidden by default


class PlacementOutcome(enum.StrEnum):
    ACCEPTED = "accepted"  # the provider took the order; `reference` is set
    REFUSED = "refused"  # definitely refused before anything was bought (balance, item empty, IP)
    FAILED = "failed"  # definitely failed; nothing to retry blindly (bad target, ...)
    UNKNOWN = "unknown"  # timeout, 5xx, garbage: settle with the status lookup, never re-order blindly
    NOT_PLACED = "not_placed"  # settle() only: the provider certainly has no such order


class ProviderStatus(enum.StrEnum):
    PENDING = "pending"
    SUCCESS = "success"
    FAILED = "failed"


@dataclass(frozen=True)
class ProviderOrderRequest:
    """What the core asks a provider to buy. `claimed_at` is when the store claimed the order."""

    order_code: str
    product_code: str
    section: str
    target: Mapping[str, str]  # field name -> value, e.g. {"user_id": "123", "zone_id": "2001"}
    claimed_at: datetime
    expected_cost_idr: int | None = None  # last synced provider price, to help settle() match
    known_references: frozenset[str] = frozenset()  # provider refs already owned by other orders


@dataclass(frozen=True)
class OrderPlacement:
    outcome: PlacementOutcome
    reference: str | None = None
    status: ProviderStatus = ProviderStatus.PENDING
    cost_idr: int | None = None  # what the provider actually debited
    balance_idr: int | None = None  # deposit left after the order, when the reply says
    note: str = ""  # serial number / voucher on success
    reason: str = ""  # provider's words on refusal / failure / unknown
    flag: str | None = None  # on REFUSED: "needs_deposit" or "needs_attention"
    raw: str = ""  # the reply as received (secrets never included)


@dataclass(frozen=True)
class StatusUpdate:
    """A provider's word on one of its orders: from a status poll or a callback."""

    reference: str
    status: ProviderStatus
    note: str = ""
    cost_idr: int | None = None
    raw_status: str = ""
    raw: str = ""


@dataclass(frozen=True)
class NicknameResult:
    is_found: bool
    nickname: str | None = None
    message: str = ""  # provider's words when not found
    is_error: bool = False  # transport / unknown failure (not "ID not found")
    region: str | None = None


@runtime_checkable
class ProductProvider(Protocol):
    """A seller of game top-ups and prepaid products the store resells."""

    name: str

    async def fetch_catalog(self) -> list[CatalogItem]:
        """Every product the provider lists, junk rows skipped, tier price applied."""
        ...

    def category_rules(self, brand: str, kind: str) -> CategoryRules:
        """Fields and nickname check for a brand (from data, not code)."""
        ...

    async def check_nickname(self, rules: CategoryRules, target: Mapping[str, str]) -> NicknameResult: ...

    async def place_order(self, request: ProviderOrderRequest) -> OrderPlacement: ...

    async def settle(self, request: ProviderOrderRequest) -> OrderPlacement:
        """Decide an UNKNOWN placement by looking the order up at the provider.

        Returns ACCEPTED (with reference) when found, NOT_PLACED when certainly absent, UNKNOWN otherwise.
        """
        ...

    async def fetch_status(self, reference: str, section: str) -> StatusUpdate | None: ...

    async def fetch_balance(self) -> int | None: ...

    def verify_callback(self, headers: Mapping[str, str], client_ip: str | None) -> bool: ...

    def parse_callback(self, body: bytes) -> list[StatusUpdate]: ...


# --------------------------------------------------------------------------------------------------
# Payment gateways
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PaymentNotice:
    """One payment as a gateway reports it (webhook or reconciliation)."""

    external_id: str  # the gateway's unique id of this payment
    amount_idr: int  # total paid by the buyer
    paid_at: datetime
    net_amount_idr: int | None = None  # what reaches the store after fees, when known
    quantity: int | None = None
    payer_name: str = ""
    message: str = ""  # where the order code is looked for
    alt_ids: tuple[str, ...] = ()  # other ids the same payment may be known by
    is_test: bool = False  # the gateway dashboard's test delivery
    raw: str = ""


class DeliveryKind(enum.StrEnum):
    PAYMENT = "payment"
    TEST = "test"
    UNPARSEABLE = "unparseable"
    IGNORED = "ignored"


@dataclass(frozen=True)
class WebhookDelivery:
    kind: DeliveryKind
    notice: PaymentNotice | None = None
    external_id: str | None = None  # for dedupe of non-payment deliveries when there is one
    reason: str = ""


@runtime_checkable
class PaymentGateway(Protocol):
    name: str
    unit_price_idr: int  # every amount due is a whole multiple of this

    def pay_url(self, order_code: str, amount_idr: int, display_name: str = "") -> str: ...

    def verify_webhook(self, headers: Mapping[str, str]) -> bool: ...

    def parse_webhook(self, body: bytes) -> WebhookDelivery: ...

    async def fetch_recent_payments(self) -> list[PaymentNotice] | None:
        """Recent successful payments for reconciliation; None when reconciliation is not configured."""
        ...

    async def fetch_balance(self) -> int | None: ...


# --------------------------------------------------------------------------------------------------
# Notifiers
# --------------------------------------------------------------------------------------------------


class SendOutcome(enum.StrEnum):
    ACCEPTED = "accepted"  # the gateway returned a message id
    RETRY = "retry"  # certainly not queued (connect error, 5xx, 429, disconnected device): retry later
    FAILED = "failed"  # permanent (invalid token, bad target, undeliverable)
    UNKNOWN = "unknown"  # read timeout after sending: never retried automatically


@dataclass(frozen=True)
class OutgoingMessage:
    recipient: str  # canonical 62… number
    text: str
    template: str = ""  # message kind, e.g. "order_received" (official-API backends map it)
    params: tuple[str, ...] = ()


@dataclass(frozen=True)
class SendResult:
    outcome: SendOutcome
    message_id: str | None = None
    error: str = ""


@runtime_checkable
class Notifier(Protocol):
    name: str  # the channel, e.g. "whatsapp"

    async def send(self, message: OutgoingMessage) -> SendResult: ...


@dataclass(frozen=True)
class PluginInfo:
    name: str
    version: str = ""
    hooks: tuple[str, ...] = field(default_factory=tuple)
