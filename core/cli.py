"""`madd` / `python -m core`: run, web, worker, migrate, create-admin, sync-catalog, report, check-config."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import ipaddress
import logging
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from core.settings import ConfigError, Settings, load_settings

log = logging.getLogger("madd")


def _load_dotenv(path: Path = Path(".env")) -> None:
    """A git-ignored `.env` may hold secrets; real environment variables win over it."""
    if not path.exists():
        return
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        key = key.strip().removeprefix("export ").strip()
        os.environ.setdefault(key, value.strip().strip("'\""))


def _settings() -> Settings:
    _load_dotenv()
    return load_settings()


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _store(settings: Settings) -> Any:
    from core.store import Store

    return Store(settings)


def check_config(settings: Settings) -> list[str]:
    """Build every partner without touching the network; raise ConfigError on misconfiguration."""
    store = _store(settings)
    lines = [f"provider: {store.provider.name}", f"payment: {store.gateway.name}",
             f"notifiers: {', '.join(store.notifiers)}",
             f"sandboxed partners: {', '.join(sorted(store.sandboxes)) or 'none'}",
             f"database: {settings.database_url.split('@')[-1]}", f"queue: {settings.queue_url.split('@')[-1]}",
             f"fulfilment: {settings.fulfilment_mode}, cooldown {settings.cooldown_seconds}s"]
    if store.sandboxes and not _is_loopback(settings.host) and settings.sandbox is not True:
        raise ConfigError(f"MADD_HOST={settings.host}: a sandboxed store only listens on a loopback address "
                          "(its emulated tip page lets anyone pay for free); set MADD_SANDBOX=1 to override")
    return lines


async def _prepare(settings: Settings, sync_if_empty: bool) -> tuple[str | None, Any]:
    from core.auth import ensure_first_admin
    from core.store import Store

    store = Store(settings)
    await store.connect()
    try:
        password = await ensure_first_admin(store.db, settings.admin_password.get() or None)
        result = None
        if sync_if_empty and await store.catalog.is_empty():
            from core.catalog.service import CatalogSyncError

            try:
                result = await store.catalog.sync(progress=_progress)
            except CatalogSyncError as exc:
                # The store still starts: the worker retries the sync every catalog_sync_seconds.
                print(f"  catalog sync failed ({exc}); the worker will retry it", file=sys.stderr)
        return password, result
    finally:
        await store.close()


def _progress(done: int, total: int) -> None:
    width = 30
    filled = int(width * done / max(total, 1))
    sys.stderr.write(f"\r  katalog [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
    if done >= total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], seconds: float = 30) -> bool:
    end = time.time() + seconds
    while time.time() < end:
        if proc.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as r:
                if r.status == 200:
                    return True
        except OSError:
            time.sleep(0.3)
    return False


def cmd_run(settings: Settings) -> int:
    """Web + worker as two processes under one supervisor; Ctrl-C stops both."""
    for line in check_config(settings):
        print(f"  {line}")
    from core.migrations import migrate  # noqa: F401  (import check before spawning)

    password, _ = asyncio.run(_prepare(settings, sync_if_empty=False))
    env = dict(os.environ)
    # Children get their own session: Ctrl-C reaches only this supervisor, which stops them in order.
    web = subprocess.Popen([sys.executable, "-m", "core", "web"], env=env, start_new_session=True)
    procs = [web]
    stopping: list[bool] = []

    def stop(*_: Any) -> None:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGINT)
        deadline = time.time() + 10
        for p in procs:
            try:
                p.wait(max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                p.kill()

    def on_signal(*_: Any) -> None:
        stopping.append(True)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        local = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
        if not _wait_healthy(f"http://{local}:{settings.port}", web):
            print("web server did not start; see the log above", file=sys.stderr)
            stop()
            return 1
        # The catalog sync runs once the web process is up: in sandbox mode the provider emulator lives there.
        _, result = asyncio.run(_prepare(settings, sync_if_empty=True))
        if result is not None:
            print(f"  catalog synced: {result.total} products")
        if stopping:
            stop()
            return 0
        worker = subprocess.Popen([sys.executable, "-m", "core", "worker"], env=env, start_new_session=True)
        procs.append(worker)
        _banner(settings, password)
        while all(p.poll() is None for p in procs) and not stopping:
            time.sleep(0.3)
        if stopping:
            print("stopping the store (web + worker)…", file=sys.stderr)
            stop()
            return 0
        print("a process stopped unexpectedly; stopping the store", file=sys.stderr)
        stop()
        return 1
    except KeyboardInterrupt:
        stop()
        return 0


def _banner(settings: Settings, password: str | None) -> None:
    url = settings.public_url
    store = _store(settings)
    print("\n" + "=" * 72)
    print(f"  Madd Store berjalan:  {url}/")
    print(f"  Admin:                {url}/admin   (user: admin)")
    if password:
        print(f"  Password admin (dicetak SEKALI, simpan sekarang): {password}")
    elif not settings.admin_password:
        print("  Password admin: yang dicetak pada saat pertama kali dijalankan (atau `madd create-admin`)")
    if store.sandboxes:
        print(f"  SANDBOX aktif untuk: {', '.join(sorted(store.sandboxes))} (tanpa kunci asli)")
        if "trakteer" in store.sandboxes:
            token = store.sandboxes["trakteer"].webhook_token
            print("  Cara bayar pesanan (sandbox): buat pesanan, buka halaman invoice, klik 'Bayar' —")
            print("    halaman tip tiruan terbuka; klik 'Bayar' di sana dan pesanan jadi 'paid'.")
            print(f"  Atau kirim webhook sendiri (token: {token}):")
            print(f"    curl -X POST {url}/webhooks/trakteer -H 'X-Webhook-Token: {token}' \\")
            print("      -H 'Content-Type: application/json' -d '{\"transaction_id\":\"tx-1\",\"type\":\"tip\","
                  "\"supporter_message\":\"MADD-XXXXXX\",\"quantity\":24,\"price\":24000,\"net_amount\":22612}'")
        if "whatsapp" in store.sandboxes:
            print(f"  Pesan WhatsApp (sandbox): {url}/sandbox/whatsapp/outbox")
        else:
            print("  Pesan WhatsApp: lihat log (backend 'log') dan halaman admin")
    print("  Ctrl-C untuk berhenti.")
    print("=" * 72 + "\n", flush=True)


def cmd_web(settings: Settings) -> int:
    import uvicorn

    from core.app import create_app

    check_config(settings)
    app = create_app(settings)
    # Behind a reverse proxy on this machine, X-Forwarded-For from these addresses names the real client
    # (rate limits, the provider callback allow-list); from anywhere else it is ignored.
    forwarded = os.environ.get("MADD_FORWARDED_ALLOW_IPS", "127.0.0.1")
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="info", proxy_headers=True,
                forwarded_allow_ips=forwarded)
    return 0


def cmd_worker(settings: Settings) -> int:
    from core.worker import run_worker

    run_worker(settings)
    return 0


async def _with_store(settings: Settings, fn: Any) -> Any:
    from core.store import Store

    store = Store(settings)
    await store.connect()
    try:
        return await fn(store)
    finally:
        await store.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="madd", description="Madd Store")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("run", "web", "worker", "migrate", "sync-catalog", "check-config"):
        sub.add_parser(name)
    ca = sub.add_parser("create-admin")
    ca.add_argument("username")
    rp = sub.add_parser("report")
    rp.add_argument("month", help="YYYY-MM")
    args = parser.parse_args(argv)
    try:
        settings = _settings()
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        sys.exit(2)
    from core.logs import setup_logging

    setup_logging(settings)
    try:
        code = _dispatch(args, settings)
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        code = 2
    sys.exit(code)


def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "run":
        return cmd_run(settings)
    if args.command == "web":
        return cmd_web(settings)
    if args.command == "worker":
        return cmd_worker(settings)
    if args.command == "check-config":
        for line in check_config(settings):
            print(line)
        return 0
    if args.command == "migrate":
        from core.migrations import migrate

        applied = asyncio.run(_with_store(settings, lambda s: migrate(s.db)))
        print(f"applied: {', '.join(applied) or 'nothing (up to date)'}")
        return 0
    if args.command == "sync-catalog":
        from core.catalog.service import CatalogSyncError

        try:
            result = asyncio.run(_with_store(settings, lambda s: s.catalog.sync(progress=_progress)))
        except CatalogSyncError as exc:
            print(f"catalog sync failed, the old catalog is kept: {exc}", file=sys.stderr)
            return 1
        print(f"{result.total} products: {result.inserted} new, {result.updated} changed, "
              f"{result.unchanged} unchanged, {result.removed} removed")
        return 0
    if args.command == "create-admin":
        from core.auth import create_admin

        password = os.environ.get("MADD_NEW_ADMIN_PASSWORD") or getpass.getpass("password: ")
        if len(password) < 10:
            print("password must have at least 10 characters", file=sys.stderr)
            return 2
        asyncio.run(_with_store(settings, lambda s: create_admin(s.db, args.username, password)))
        print(f"admin {args.username} created")
        return 0
    if args.command == "report":
        from core.ledger.report import print_report

        return int(asyncio.run(_with_store(settings, lambda s: print_report(s, args.month))))
    return 2
