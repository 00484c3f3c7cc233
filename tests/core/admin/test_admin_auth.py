"""Admin login, session cookie, CSRF, rate limit — and every admin route refusing anonymous and cross-site use."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import func, select
from starlette.routing import Route

from core.app import create_app
from core.auth import authenticate, ensure_first_admin, get_admin, set_password
from core.settings import settings_from_dict
from core.store import RecordingJobs, Store
from core.tables import outbox
from tests.conftest import client_for, make_settings
from tests.core.admin.conftest import ADMIN_PASSWORD, csrf_of, form_post, login, paid_order

EVIL = "https://evil.example"


def admin_routes(store: Store) -> list[tuple[str, str]]:
    """(method, path) of every admin route the app serves, path parameters filled in."""
    app = create_app(store.settings, store=store)
    out = []
    for route in app.routes:
        if not isinstance(route, Route) or not route.path.startswith(("/admin", "/api/admin")):
            continue
        for method in sorted((route.methods or set()) - {"HEAD"}):
            out.append((method, route.path))
    return out


def fill(path: str, code: str) -> str:
    values = {"code": code, "action": "hold", "payment_id": "1", "partner": "provider", "override_id": "1",
              "message_id": "1"}
    for name, value in values.items():
        path = path.replace("{" + name + "}", value).replace("{" + name + ":int}", value)
    assert "{" not in path, f"add a value for the parameters of {path}"
    return path


async def test_every_admin_route_refuses_anonymous_and_cross_site(admin: httpx.AsyncClient, admin_store: Store
                                                                   ) -> None:
    store = admin_store
    order = await paid_order(store)
    routes = admin_routes(store)
    paths = {p for _, p in routes}
    # The enumeration really sees the admin area (a renamed or lost route fails here, not silently).
    assert {"/admin", "/admin/orders/{code}/{action}", "/admin/deposits", "/admin/events", "/admin/messages",
            "/admin/messages/{message_id:int}/resend",
            "/api/admin/orders/{code}/{action}"} <= paths
    assert len([r for r in routes if r[0] == "POST"]) >= 10
    token = csrf_of((await admin.get("/admin")).text)

    async with client_for(store) as anon:
        for method, raw in routes:
            path = fill(raw, order["code"])
            api = path.startswith("/api/")
            if method == "GET":
                r = await anon.get(path)
                if path == "/admin/login":
                    assert r.status_code == 200
                elif api:
                    assert r.status_code == 401, path
                else:
                    assert r.status_code == 303 and r.headers["location"].startswith("/admin/login?next="), path
                continue
            assert method == "POST", (method, path)
            # Anonymous: no session, no token.
            r = await anon.post(path, data={"note": "x", "amount": "100000", "method": "bank"})
            expected = 401 if (api or path != "/admin/login") else 403
            assert r.status_code == expected, (path, r.status_code)
            # Logged in, valid token, but the browser says the form came from another site.
            for headers in ({"Origin": EVIL}, {"Referer": f"{EVIL}/page"}, {"Sec-Fetch-Site": "cross-site"},
                            {"Origin": "null"}):
                r = await admin.post(path, data={"csrf_token": token, "note": "x", "amount": "100000",
                                                 "method": "bank", "username": "admin",
                                                 "password": ADMIN_PASSWORD},
                                     headers={**headers, "Accept": "application/json"})
                if api:
                    assert r.status_code == 401, path  # the session cookie never authenticates the JSON API
                else:
                    assert r.status_code == 403, (path, headers, r.status_code)
                    assert r.json()["error"]["code"] == "csrf_failed"
            if not api and path != "/admin/login":
                # Logged in, same site, but without the session's token.
                r = await admin.post(path, data={"note": "x"})
                assert r.status_code == 403, path
                r = await admin.post(path, data={"csrf_token": "forged-" + token[7:], "note": "x"})
                assert r.status_code == 403, path

    # Nothing happened: the order is still paid and unheld, no deposit, no sync queued, still logged in.
    after = await store.orders.get(order["code"])
    assert after["status"] == "paid" and after["amount_paid_idr"] == 24000
    assert await store.ledger.deposits() == []
    assert isinstance(store.jobs, RecordingJobs) and store.jobs.of("sync_catalog") == []
    assert (await store.outbox.for_order(order["id"]))[0]["id"] == 1  # so /admin/messages/1/resend had a target
    assert await store.db.fetch_val(select(func.count()).select_from(outbox)
                                    .where(outbox.c.key.like("resend:%"))) == 0
    assert (await admin.get("/admin")).status_code == 200
    # Control: the same request, same site and with the token, does act.
    r = await admin.post(f"/admin/orders/{order['code']}/hold", data={"csrf_token": token},
                         headers={"Origin": "http://store.test", "Referer": "http://store.test/admin"})
    assert r.status_code == 303
    assert (await store.orders.get(order["code"]))["status"] == "on_hold"


async def test_login_good_password_sets_a_safe_session_cookie(anon: httpx.AsyncClient) -> None:
    assert (await anon.get("/admin")).headers["location"] == "/admin/login?next=%2Fadmin"
    r = await login(anon)
    assert r.status_code == 303 and r.headers["location"] == "/admin"
    cookie = r.headers["set-cookie"].lower()
    assert cookie.startswith("madd_admin=") and "httponly" in cookie and "samesite=lax" in cookie
    assert "path=/admin" in cookie and "secure" not in cookie  # the test store is served over http
    page = await anon.get("/admin")
    assert page.status_code == 200 and "Ringkasan hari ini" in page.text
    assert page.headers["cache-control"] == "no-store" and page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    # The storefront never receives the admin cookie.
    assert "madd_admin" not in (await anon.get("/")).request.headers.get("cookie", "")


async def test_session_cookie_is_secure_behind_https(tmp_path: Any, make_store: Any) -> None:
    store = await make_store(settings=make_settings(tmp_path, public_url="https://shop.example"), sync=False)
    await ensure_first_admin(store.db, ADMIN_PASSWORD)
    async with client_for(store) as c:
        r = await c.get("/admin/login")
        assert "; secure" in r.headers["set-cookie"].lower()


async def test_wrong_password_and_unknown_user_are_refused(anon: httpx.AsyncClient) -> None:
    for username, password in (("admin", "salah-sekali-123"), ("root", ADMIN_PASSWORD), ("admin", "")):
        r = await login(anon, password, username=username)
        assert r.status_code == 401
        assert "Username atau password salah." in r.text
        assert (await anon.get("/admin")).status_code == 303


async def test_login_next_is_local_only(anon: httpx.AsyncClient) -> None:
    token = csrf_of((await anon.get("/admin/login")).text)
    r = await anon.post("/admin/login", data={"username": "admin", "password": ADMIN_PASSWORD, "csrf_token": token,
                                              "next": "https://evil.example/admin"})
    assert r.headers["location"] == "/admin"
    await anon.post("/admin/logout", data={"csrf_token": csrf_of((await anon.get("/admin")).text)})
    token = csrf_of((await anon.get("/admin/login?next=/admin/deposits")).text)
    r = await anon.post("/admin/login", data={"username": "admin", "password": ADMIN_PASSWORD, "csrf_token": token,
                                              "next": "/admin/deposits"})
    assert r.headers["location"] == "/admin/deposits"


async def test_login_form_needs_its_csrf_token(anon: httpx.AsyncClient) -> None:
    await anon.get("/admin/login")
    r = await anon.post("/admin/login", data={"username": "admin", "password": ADMIN_PASSWORD})
    assert r.status_code == 403 and "CSRF" in r.text
    assert (await anon.get("/admin")).status_code == 303


async def test_csrf_token_belongs_to_its_session(admin: httpx.AsyncClient, admin_store: Store) -> None:
    order = await paid_order(admin_store)
    token = csrf_of((await admin.get("/admin")).text)
    async with client_for(admin_store) as other:
        assert (await login(other)).status_code == 303
        r = await other.post(f"/admin/orders/{order['code']}/hold", data={"csrf_token": token})
        assert r.status_code == 403
        # A fresh login also means a fresh token: the one from before the login is dead.
        r = await form_post(other, f"/admin/orders/{order['code']}", f"/admin/orders/{order['code']}/hold")
        assert r.status_code == 303
    assert (await admin_store.orders.get(order["code"]))["status"] == "on_hold"


async def test_login_rate_limit_per_ip(anon: httpx.AsyncClient) -> None:
    for _ in range(10):
        assert (await login(anon, "salah-sekali-123")).status_code == 401
    r = await login(anon)  # even the right password waits now
    assert r.status_code == 429 and "Terlalu banyak percobaan" in r.text
    assert (await anon.get("/admin")).status_code == 303


async def test_logout_ends_the_session(admin: httpx.AsyncClient) -> None:
    token = csrf_of((await admin.get("/admin")).text)
    r = await admin.post("/admin/logout", data={"csrf_token": token})
    assert r.status_code == 303 and r.headers["location"] == "/admin/login"
    assert (await admin.get("/admin")).status_code == 303


async def test_password_change_invalidates_old_sessions(admin: httpx.AsyncClient, admin_store: Store) -> None:
    assert (await admin.get("/admin")).status_code == 200
    assert await set_password(admin_store.db, "admin", "password-baru-456")
    assert (await admin.get("/admin")).status_code == 303
    assert (await login(admin, "password-baru-456")).status_code == 303


async def test_first_admin_is_generated_once(make_store: Any) -> None:
    store = await make_store(sync=False)
    generated = await ensure_first_admin(store.db, None)
    assert generated and len(generated) >= 16
    assert await ensure_first_admin(store.db, None) is None  # printed once, never regenerated
    assert await authenticate(store.db, "admin", generated) is not None
    admin = await get_admin(store.db, "admin")
    assert admin and admin["password_hash"].startswith("scrypt$") and generated not in admin["password_hash"]


async def test_first_admin_uses_madd_admin_password(tmp_path: Any, make_store: Any) -> None:
    store = await make_store(sync=False)
    settings = settings_from_dict({"store": {"admin_password": "kata-sandi-env", "secret_key": "k",
                                             "var_dir": str(tmp_path / "v")}})
    assert await ensure_first_admin(store.db, settings.admin_password.get()) is None
    assert await authenticate(store.db, "admin", "kata-sandi-env") is not None
    assert await authenticate(store.db, "admin", "kata-sandi-env2") is None
    assert await ensure_first_admin(store.db, "another-one") is None  # an existing admin is never changed
    assert await authenticate(store.db, "admin", "kata-sandi-env") is not None
