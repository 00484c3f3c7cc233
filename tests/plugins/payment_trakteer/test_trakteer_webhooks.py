from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest
from starlette.datastructures import Headers

from core.interfaces import DeliveryKind
from plugins.payment_trakteer.webhooks import parse_delivery, strip_line_comments, verify_token


def _body(data: Path, name: str) -> bytes:
    return (data / name).read_bytes()


def _tip(**changes: object) -> bytes:
    base = {"created_at": "2026-11-20T14:50:10+07:00", "transaction_id": "abc-1", "type": "tip",
            "supporter_name": "Budi", "supporter_message": "MADD-7KQ2XD", "quantity": 24, "price": 24000,
            "net_amount": 22612}
    base.update(changes)
    return json.dumps({k: v for k, v in base.items() if v is not ...}).encode()


# ------------------------------------------------------------------------------------------- token


def test_token_missing_header_is_refused() -> None:
    assert verify_token({"Content-Type": "application/json"}, "s3cret") is False


def test_token_wrong_value_is_refused() -> None:
    assert verify_token({"X-Webhook-Token": "nope"}, "s3cret") is False


def test_token_in_authorization_header_is_not_accepted() -> None:
    assert verify_token({"Authorization": "s3cret"}, "s3cret") is False


def test_token_right_value_any_header_case() -> None:
    assert verify_token({"X-Webhook-Token": "s3cret"}, "s3cret") is True
    assert verify_token({"x-webhook-token": "s3cret"}, "s3cret") is True
    assert verify_token(Headers({"X-WEBHOOK-TOKEN": "s3cret"}), "s3cret") is True


def test_token_empty_expected_refuses_everything() -> None:
    assert verify_token({"X-Webhook-Token": ""}, "") is False
    assert verify_token({"X-Webhook-Token": "anything"}, "") is False


# ----------------------------------------------------------------------------------------- fixtures


def test_tip_fixture_is_a_payment(trakteer_data: Path) -> None:
    body = _body(trakteer_data, "webhook-tip.json")
    delivery = parse_delivery(body, 1000)
    assert delivery.kind is DeliveryKind.PAYMENT
    assert delivery.external_id == "3f6a2c1e-8d4b-4f5a-9c7e-1b2d3e4f5a6b"
    n = delivery.notice
    assert n is not None
    assert (n.external_id, n.amount_idr, n.net_amount_idr, n.quantity) == (
        "3f6a2c1e-8d4b-4f5a-9c7e-1b2d3e4f5a6b", 24000, 22612, 24)
    assert n.payer_name == "Budi"
    assert n.message == "MADD-7KQ2XD"
    assert n.paid_at == datetime(2026, 11, 20, 7, 50, 10, tzinfo=UTC)
    assert n.paid_at.utcoffset() is not None and n.paid_at.utcoffset().total_seconds() == 0
    assert n.raw == body.decode()
    assert n.is_test is False


def test_underpaid_fixture_keeps_message_as_sent(trakteer_data: Path) -> None:
    delivery = parse_delivery(_body(trakteer_data, "webhook-tip-underpaid.json"), 1000)
    assert delivery.kind is DeliveryKind.PAYMENT
    assert delivery.notice is not None
    assert delivery.notice.amount_idr == 20000
    assert delivery.notice.message == "madd 7kq2xd 🙏 topup ml"
    assert delivery.notice.payer_name == "Seseorang"


def test_no_code_fixture_is_still_a_payment(trakteer_data: Path) -> None:
    delivery = parse_delivery(_body(trakteer_data, "webhook-tip-no-code.json"), 1000)
    assert delivery.kind is DeliveryKind.PAYMENT
    assert delivery.notice is not None
    assert delivery.notice.message == ""
    assert delivery.notice.amount_idr == 11000


def test_dashboard_test_with_comments_is_test(trakteer_data: Path) -> None:
    body = _body(trakteer_data, "webhook-test-with-comments.txt")
    with pytest.raises(ValueError):
        json.loads(body)  # the fixture really is invalid JSON
    delivery = parse_delivery(body, 1000)
    assert delivery.kind is DeliveryKind.TEST
    assert delivery.external_id == "test-7c1d2e3f4a5b"
    assert delivery.notice is not None and delivery.notice.is_test is True
    assert delivery.notice.amount_idr == 5000


def test_comment_stripper_keeps_urls_inside_strings() -> None:
    text = '{"a": "https://x.id/p", // comment "b": 1\n "c": "// not a comment"}'
    assert strip_line_comments(text) == '{"a": "https://x.id/p", \n "c": "// not a comment"}'


def test_quote_inside_a_comment_does_not_open_a_string() -> None:
    body = b'{"transaction_id": "t-1", // the "id"\n "price": 2000, "supporter_message": "a \\" // b"}'
    delivery = parse_delivery(body, 1000)
    assert delivery.notice is not None
    assert delivery.notice.amount_idr == 2000
    assert delivery.notice.message == 'a " // b'


def test_comments_on_a_real_payment_are_tolerated() -> None:
    body = b'{\n "transaction_id": "t-9", // id\n "type": "tip",\n "price": 3000, // total\n}'
    delivery = parse_delivery(body, 1000)
    assert delivery.kind is DeliveryKind.PAYMENT
    assert delivery.notice is not None and delivery.notice.amount_idr == 3000


# ------------------------------------------------------------------------------------------ refusals


@pytest.mark.parametrize("body", [b"not json at all", b"{\"price\": ", b"\xff\xfe\x00garbage"])
def test_garbage_is_unparseable(body: bytes) -> None:
    delivery = parse_delivery(body, 1000)
    assert delivery.kind is DeliveryKind.UNPARSEABLE
    assert delivery.notice is None
    assert delivery.reason


def test_json_array_is_unparseable_with_reason() -> None:
    delivery = parse_delivery(b"[1, 2]", 1000)
    assert delivery.kind is DeliveryKind.UNPARSEABLE
    assert "list" in delivery.reason


def test_non_tip_type_is_ignored() -> None:
    delivery = parse_delivery(_tip(type="subscription"), 1000)
    assert delivery.kind is DeliveryKind.IGNORED
    assert delivery.notice is None
    assert delivery.external_id == "abc-1"


def test_missing_transaction_id_is_unparseable() -> None:
    delivery = parse_delivery(_tip(transaction_id=...), 1000)
    assert delivery.kind is DeliveryKind.UNPARSEABLE
    assert "transaction_id" in delivery.reason


def test_missing_price_is_unparseable() -> None:
    delivery = parse_delivery(_tip(price=...), 1000)
    assert delivery.kind is DeliveryKind.UNPARSEABLE
    assert "price" in delivery.reason
    assert delivery.external_id == "abc-1"


def test_missing_type_is_treated_as_tip() -> None:
    assert parse_delivery(_tip(type=...), 1000).kind is DeliveryKind.PAYMENT


# -------------------------------------------------------------------------------------------- values


@pytest.mark.parametrize("price", ["24000", 24000.0, "24000.00", 24000])
def test_price_forms_accepted(price: object) -> None:
    delivery = parse_delivery(_tip(price=price), 1000)
    assert delivery.notice is not None
    assert delivery.notice.amount_idr == 24000
    assert type(delivery.notice.amount_idr) is int


@pytest.mark.parametrize("price", [24000.5, "24000.5", "dua puluh", True])
def test_fractional_or_bad_price_rejected(price: object) -> None:
    delivery = parse_delivery(_tip(price=price), 1000)
    assert delivery.kind is DeliveryKind.UNPARSEABLE
    assert "price" in delivery.reason


def test_created_at_converted_to_utc() -> None:
    notice = parse_delivery(_tip(created_at="2026-01-01T03:00:00+07:00"), 1000).notice
    assert notice is not None
    assert notice.paid_at == datetime(2025, 12, 31, 20, 0, tzinfo=UTC)
    assert notice.paid_at.tzinfo == UTC


def test_unreadable_created_at_falls_back_to_now() -> None:
    before = datetime.now(UTC)
    notice = parse_delivery(_tip(created_at="kemarin"), 1000).notice
    assert notice is not None
    assert before <= notice.paid_at <= datetime.now(UTC)


def test_missing_message_and_name_become_empty() -> None:
    notice = parse_delivery(_tip(supporter_message=None, supporter_name=...), 1000).notice
    assert notice is not None
    assert (notice.message, notice.payer_name) == ("", "")


def test_price_mismatch_logs_warning_and_trusts_price(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="plugins.payment_trakteer.webhooks"):
        notice = parse_delivery(_tip(quantity=24, price=1000), 1000).notice
    assert notice is not None and notice.amount_idr == 1000
    assert "trusting price" in caplog.text


def test_consistent_price_logs_nothing(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="plugins.payment_trakteer.webhooks"):
        parse_delivery(_tip(quantity=24, price=24000), 1000)
    assert caplog.text == ""
