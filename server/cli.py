"""The `tally` command: database, demo data, serving, tokens."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from server.settings import Settings


def _ensure_sqlite_dir(url: str) -> None:
    """Create the folder of a SQLite file (e.g. var/) so a fresh checkout just works."""
    for prefix in ("sqlite+aiosqlite:///", "sqlite:///"):
        if url.startswith(prefix):
            path = url.removeprefix(prefix)
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)


def cmd_db_upgrade(settings: Settings, args: argparse.Namespace) -> None:
    from server.db.migrate import upgrade

    _ensure_sqlite_dir(settings.database_url)
    upgrade(settings.database_url, args.revision)
    asyncio.run(_optimize(settings))
    print(f"database at {args.revision}: {settings.database_url}")


async def _optimize(settings: Settings) -> None:
    """Refresh the query planner's statistics (SQLite's ANALYZE via `PRAGMA optimize`, PostgreSQL's ANALYZE)."""
    from sqlalchemy import text

    from sync.database import Database

    db = Database(settings.database_url)
    try:
        async with db.engine.connect() as conn:
            await conn.execute(text("PRAGMA optimize=0x10002" if db.is_sqlite else "ANALYZE"))
            await conn.commit()
    finally:
        await db.dispose()


def cmd_db_revision(settings: Settings, args: argparse.Namespace) -> None:
    from server.db.migrate import make_revision

    make_revision(settings.database_url, args.message)


def cmd_demo(settings: Settings, args: argparse.Namespace) -> None:
    from server.demo import load_demo

    asyncio.run(load_demo(settings, seed=args.seed, orders=args.orders, products=args.products))
    asyncio.run(_optimize(settings))


def cmd_sync_compact(settings: Settings, args: argparse.Namespace) -> None:
    from datetime import UTC, datetime, timedelta

    from server.db.tables import SYNC
    from sync.changelog import compact
    from sync.database import Database

    async def run() -> int:
        db = Database(settings.database_url)
        try:
            async with db.write() as conn:
                return await compact(conn, SYNC, datetime.now(UTC) - timedelta(days=args.keep_days))
        finally:
            await db.dispose()

    print(f"purged {asyncio.run(run())} changes older than {args.keep_days} days; older cursors will reset")


def cmd_backup(settings: Settings, args: argparse.Namespace) -> None:
    from server.backup import backup

    try:
        backup(settings.database_url, Path(args.file))
    except (OSError, ValueError, RuntimeError) as error:
        raise SystemExit(f"backup failed: {error}") from error
    print(f"backed up {settings.database_url} to {args.file}")


def cmd_restore(settings: Settings, args: argparse.Namespace) -> None:
    from server.backup import restore

    try:
        epoch = restore(settings.database_url, Path(args.file))
    except (OSError, ValueError, RuntimeError) as error:
        raise SystemExit(f"restore failed: {error}") from error
    print(f"restored {args.file} into {settings.database_url}; new sync epoch {epoch}: devices reload and resend")


def cmd_serve(settings: Settings, args: argparse.Namespace) -> None:
    print(f"Tally on http://{args.host}:{args.port}/   API docs: http://{args.host}:{args.port}/schema/swagger", flush=True)
    # Each worker process builds its own app from the environment (`settings` came from the same environment).
    if args.server == "uvicorn":
        import uvicorn

        # Keep idle connections longer than clients do (httpx: 5 s, uvicorn's default too): with equal timeouts a
        # device reusing a connection just as the server closes it gets a network error (seen under 200-device load).
        # Behind a reverse proxy the client's address (what enrollment and sign-in throttle on) comes from
        # X-Forwarded-For, believed only from the proxies named here (uvicorn's default: 127.0.0.1).
        uvicorn.run("server.app:app_from_env", factory=True, host=args.host, port=args.port, workers=args.workers,
                    log_level="info", access_log=False, timeout_keep_alive=30,
                    forwarded_allow_ips=args.forwarded_allow_ips)  # fmt: skip
        return
    from granian import Granian
    from granian.constants import Interfaces

    Granian("server.app:app_from_env", factory=True, interface=Interfaces.ASGI, address=args.host, port=args.port,
            workers=args.workers, log_access=False).serve()  # fmt: skip


def cmd_token_create(settings: Settings, args: argparse.Namespace) -> None:
    from server.usecases.tokens import create_token
    from sync.database import Database

    async def run() -> str:
        db = Database(settings.database_url)
        try:
            token, token_id = await create_token(db, args.role, args.name, args.warehouse_id)
        finally:
            await db.dispose()
        print(f"token {token_id} for role {args.role} (shown once; store it now):", flush=True)
        return token

    print(asyncio.run(run()))


def _read_password(prompt: str = "password: ") -> str:
    """The password from a pipe (first line of stdin) or typed twice at a prompt; never from argv."""
    import getpass
    import sys

    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass(prompt)
    if getpass.getpass("again: ") != first:
        raise SystemExit("the passwords differ")
    return first


def cmd_user_create(settings: Settings, args: argparse.Namespace) -> None:
    from server.domain.refusals import Refused
    from server.usecases.users import create_user
    from sync.database import Database

    password = _read_password()

    async def run() -> int:
        db = Database(settings.database_url)
        try:
            return await create_user(
                db, args.username, password, args.role, args.warehouse_id or [], display_name=args.display_name, locale=args.locale
            )
        finally:
            await db.dispose()

    try:
        user_id = asyncio.run(run())
    except Refused as refusal:
        raise SystemExit(f"refused: {refusal.code}: {refusal.message}") from refusal
    print(f"user {user_id} {args.username} ({args.role}) created; sign in at /web/login")


def cmd_import_orders(settings: Settings, args: argparse.Namespace) -> None:
    from server.intake.commands import import_orders
    from sync.database import Database

    async def run() -> int:
        db = Database(settings.database_url)
        try:
            return await import_orders(db, Path(args.file), args.customer, args.source, args.external_id)
        finally:
            await db.dispose()

    raise SystemExit(asyncio.run(run()))


def cmd_intake_process(settings: Settings, args: argparse.Namespace) -> None:
    from server.intake.commands import process_queue
    from sync.database import Database

    async def run() -> int:
        db = Database(settings.database_url)
        try:
            return await process_queue(db, args.limit)
        finally:
            await db.dispose()

    raise SystemExit(asyncio.run(run()))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tally", description="Tally: order-to-cash for warehouses and couriers")
    commands = parser.add_subparsers(dest="command", required=True)

    db = commands.add_parser("db", help="database schema").add_subparsers(dest="db_command", required=True)
    up = db.add_parser("upgrade", help="apply migrations (builds a fresh database)")
    up.add_argument("revision", nargs="?", default="head")
    up.set_defaults(func=cmd_db_upgrade)
    rev = db.add_parser("revision", help="autogenerate a migration (developers)")
    rev.add_argument("-m", "--message", required=True)
    rev.set_defaults(func=cmd_db_revision)

    demo = commands.add_parser("demo", help="load deterministic demo data")
    demo.add_argument("--seed", type=int, default=42)
    demo.add_argument("--orders", type=int, default=500)
    demo.add_argument("--products", type=int, default=2000)
    demo.set_defaults(func=cmd_demo)

    sync = commands.add_parser("sync", help="the sync engine").add_subparsers(dest="sync_command", required=True)
    compact = sync.add_parser("compact", help="purge old change-log entries (tombstones included)")
    compact.add_argument("--keep-days", type=float, default=30.0, help="retention (default 30 days)")
    compact.set_defaults(func=cmd_sync_compact)

    backup = commands.add_parser("backup", help="write a consistent copy of the database to FILE (the server may run)")
    backup.add_argument("file")
    backup.set_defaults(func=cmd_backup)
    restore = commands.add_parser("restore", help="replace the database with a backup FILE (stop the server first)")
    restore.add_argument("file")
    restore.set_defaults(func=cmd_restore)

    serve = commands.add_parser("serve", help="serve the API, the PWA and the pages")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1, help="server processes sharing the port (worth it on PostgreSQL; on SQLite they share one writer)")
    serve.add_argument("--server", choices=["granian", "uvicorn"], default="uvicorn", help="the ASGI server")
    serve.add_argument("--forwarded-allow-ips", default="127.0.0.1", metavar="IPS",
                       help="reverse proxies whose X-Forwarded-For gives the client's address: comma-separated "
                            "addresses or networks, '*' for any, '' for none (default 127.0.0.1; uvicorn only)")
    serve.set_defaults(func=cmd_serve)

    token = commands.add_parser("token", help="API tokens").add_subparsers(dest="token_command", required=True)
    create = token.add_parser("create", help="create a token; prints it alone on the last line")
    create.add_argument("--role", required=True, choices=["admin", "office", "integration", "supervisor"])
    create.add_argument("--name", default="")
    create.add_argument("--warehouse-id", type=int, default=None, help="bind the token to one warehouse")
    create.set_defaults(func=cmd_token_create)

    user = commands.add_parser("user", help="people who sign in to the supervisor pages").add_subparsers(dest="user_command", required=True)
    create_user = user.add_parser("create", help="create a user; the password is read from stdin or a prompt")
    create_user.add_argument("--username", required=True)
    create_user.add_argument("--role", required=True, choices=["admin", "office", "supervisor"])
    create_user.add_argument("--warehouse-id", type=int, action="append", help="a warehouse the user sees (repeat; supervisors need one)")
    create_user.add_argument("--display-name", default="")
    create_user.add_argument("--locale", default="ru", choices=["ru", "en"])
    create_user.set_defaults(func=cmd_user_create)

    imports = commands.add_parser("import", help="import files").add_subparsers(dest="import_command", required=True)
    import_orders = imports.add_parser("orders", help="an order file (CSV or XLSX) becomes one order, lines for review, or nothing")
    import_orders.add_argument("file")
    import_orders.add_argument("--customer", type=int, default=None, help="customer id (else the file's customer column)")
    import_orders.add_argument("--source", default="spreadsheet", help="the intake source (default: spreadsheet)")
    import_orders.add_argument("--external-id", default=None, help="the sender's id for the file (default: its digest)")
    import_orders.set_defaults(func=cmd_import_orders)

    intake = commands.add_parser("intake", help="the order intake queue").add_subparsers(dest="intake_command", required=True)
    process = intake.add_parser("process", help="process payloads left received or failed (after a crash or a fix)")
    process.add_argument("--limit", type=int, default=1000)
    process.set_defaults(func=cmd_intake_process)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    args.func(Settings.from_env(), args)


if __name__ == "__main__":
    main()
