"""Buyer pages: home, category + checkout form, invoice, lookup (Bahasa Indonesia, works without JS)."""

from __future__ import annotations

from typing import Any


async def test_home_lists_games_and_operators(sqlite_client: Any) -> None:
    r = await sqlite_client.get("/")
    assert r.status_code == 200 and "text/html" in r.headers["content-type"]
    html = r.text
    assert 'lang="id"' in html and "Top Up Game" in html and "Pulsa" in html
    assert 'href="/c/mobile-legends-bang-bang"' in html and 'href="/c/telkomsel"' in html
    assert "Joki" not in html  # login products are hidden


async def test_category_page_has_fields_nickname_check_and_prices(sqlite_client: Any) -> None:
    r = await sqlite_client.get("/c/mobile-legends-bang-bang")
    html = r.text
    assert r.status_code == 200
    assert 'name="user_id"' in html and 'name="zone_id"' in html and 'name="whatsapp"' in html
    assert 'id="check-nick"' in html
    assert 'value="ML86-S24"' in html and "Rp 24.000" in html
    assert "JOKI-ML" not in html


async def test_checkout_form_creates_the_order_and_shows_the_invoice(sqlite_client: Any, sqlite_store: Any) -> None:
    r = await sqlite_client.post("/c/mobile-legends-bang-bang", data={
        "product": "ML86-S24", "user_id": "12345678", "zone_id": "2001", "whatsapp": "0812 3456 7890"})
    assert r.status_code == 303
    location = r.headers["location"]
    assert location.startswith("/pesanan/MADD-")
    code = location.rsplit("/", 1)[1]
    r = await sqlite_client.get(location)
    html = r.text
    assert r.status_code == 200 and code in html
    assert "Menunggu pembayaran" in html and "Rp 24.000" in html
    assert f"https://trakteer.id/maddstore/tip?quantity=24&amp;step=2&amp;supporter_message={code}" in html
    assert "0812****7890" in html and "81234567890" not in html


async def test_checkout_errors_come_back_in_indonesian_with_the_form_kept(sqlite_client: Any,
                                                                          sqlite_store: Any) -> None:
    r = await sqlite_client.post("/c/mobile-legends-bang-bang", data={
        "product": "ML86-S24", "user_id": "12345678", "zone_id": "", "whatsapp": "0812 3456 7890"})
    assert r.status_code == 422
    assert "Zone ID wajib diisi." in r.text
    assert 'value="12345678"' in r.text  # what the buyer typed is kept
    r = await sqlite_client.post("/c/mobile-legends-bang-bang", data={
        "product": "S10", "user_id": "12345678", "zone_id": "2001", "whatsapp": "0812 3456 7890"})
    assert r.status_code == 422  # a product of another category
    orders = await sqlite_store.db.fetch_val("SELECT count(*) FROM orders")
    assert orders == 0


async def test_invoice_after_payment_shows_the_cooldown(sqlite_client: Any, fakes: Any) -> None:
    r = await sqlite_client.post("/api/orders", json={"product": "FF70", "user_id": "123456789",
                                                      "whatsapp": "081234567890"})
    code = r.json()["code"]
    await fakes.trakteer.deliver(r.json()["amount_due_idr"] // 1000, message=code)
    html = (await sqlite_client.get(f"/pesanan/{code.lower()}", follow_redirects=True)).text
    assert "Lunas" in html and "akan dikirim pukul" in html and 'class="countdown"' in html


async def test_lookup_redirects_to_the_order_and_explains_bad_codes(sqlite_client: Any) -> None:
    r = await sqlite_client.get("/cek", params={"code": "madd 7kq2xd"})
    assert r.status_code == 303 and r.headers["location"] == "/pesanan/MADD-7KQ2XD"
    r = await sqlite_client.get("/cek", params={"code": "hello"})
    assert r.status_code == 404 and "Pesanan tidak ditemukan" in r.text
    r = await sqlite_client.get("/pesanan/MADD-7KQ2XD")
    assert r.status_code == 404 and "Pesanan tidak ditemukan" in r.text
    r = await sqlite_client.get("/c/no-such-game")
    assert r.status_code == 404 and "Kategori tidak ditemukan" in r.text


def test_serial_numbers_read_naturally() -> None:
    from core.store import serial_text

    assert serial_text("SN: 0412345678901234567") == "0412345678901234567"
    assert serial_text("sn : ABC-123", "voucher") == "ABC-123"
    assert serial_text("SN: 12345678901234567890", "pln") == "1234 5678 9012 3456 7890"
    assert serial_text("Zone tujuan salah.") == "Zone tujuan salah."
    assert serial_text(None) == ""


async def test_lookup_accepts_a_code_without_prefix(sqlite_client: Any) -> None:
    r = await sqlite_client.get("/cek", params={"code": "7kq2xd"})
    assert r.status_code == 303 and r.headers["location"] == "/pesanan/MADD-7KQ2XD"


async def test_checkout_without_a_package_says_choose_one(sqlite_client: Any) -> None:
    r = await sqlite_client.post("/c/mobile-legends-bang-bang", data={
        "user_id": "12345678", "zone_id": "2001", "whatsapp": "0812 3456 7890"})
    assert r.status_code == 422 and "Pilih nominal dulu." in r.text


async def test_buyer_pages_send_a_strict_content_security_policy(sqlite_client: Any) -> None:
    for path in ("/", "/c/mobile-legends-bang-bang", "/cek"):
        r = await sqlite_client.get(path)
        assert "default-src 'self'" in r.headers["content-security-policy"], path
        assert r.headers["x-content-type-options"] == "nosniff"
