"""The `doithoai` command: serve, user, and the sub-commands of the other parts."""

from __future__ import annotations

import argparse
import asyncio
import gc
import getpass
import logging
import os
import secrets
import sys
from pathlib import Path

from pydantic import ValidationError

from server.asr.engines import ENV_ENGINE
from server.net import lan_addresses


def _common_db_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", default=os.environ.get("DOITHOAI_DB"),
                   help="database URL (default: SQLite file in the data dir); "
                        "PostgreSQL: postgresql+asyncpg://USER@HOST/DB")
    p.add_argument("--data-dir", type=Path, default=Path(os.environ.get("DOITHOAI_DATA", "data")),
                   help="where the database, recordings and documents live (default: ./data)")


def cmd_serve(args: argparse.Namespace) -> int:
    from aiohttp import web

    from server.app import Config, create_app

    def show_password(pw: str) -> None:
        print(f"\n  Tài khoản quản trị đầu tiên / first administrator: admin  mật khẩu / password: {pw}\n"
              "  (chỉ hiện một lần; hãy đổi mật khẩu sau khi đăng nhập)\n", flush=True)

    config = Config(data_dir=args.data_dir, db_url=args.db, host=args.host, port=args.port,
                    audio_source=args.audio_source, icecast_urls=args.icecast or [],
                    rtp_targets=args.rtp or [], line_out=args.line_out, public_url=args.public_url,
                    disk_reserve=args.disk_reserve, db_pool_size=args.db_pool_size,
                    db_pool_timeout=args.db_pool_timeout,
                    asr_engine=os.environ.get(ENV_ENGINE) or None,
                    on_admin_password=show_password)
    try:
        app = create_app(config)
    except ValueError as exc:
        print(f"doithoai: {exc}", file=sys.stderr)
        return 2

    async def announce(_app: web.Application) -> None:
        hosts = ["127.0.0.1"] + (lan_addresses() if args.host in ("0.0.0.0", "") else [])
        if args.host not in ("0.0.0.0", "", "127.0.0.1"):
            hosts = [args.host]
        print("Đối Thoại đang chạy / is running. Mở các địa chỉ / open:", flush=True)
        for h in hosts:
            print(f"  Máy tính bảng (tablet):        http://{h}:{args.port}/", flush=True)
        print(f"  Màn hình công cộng (screen):   http://{hosts[-1]}:{args.port}/display/<id>?token=...",
              flush=True)
        print(f"  Loa (relay stream):            http://{hosts[-1]}:{args.port}/live.mp3", flush=True)
        print(f"  API:                           http://{hosts[-1]}:{args.port}/api/openapi.json",
              flush=True)

    app.on_startup.append(announce)

    async def quiet_gc(_app: web.Application) -> None:
        # What start-up built lives as long as the server: keep the collector off it, and
        # collect young objects less often, so the queue's fan-out is not stalled mid-way.
        gc.collect()
        gc.freeze()
        gc.set_threshold(50_000, 20, 20)

    app.on_startup.append(quiet_gc)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Live audio listeners and tablets hold connections open: do not wait long for them.
    web.run_app(app, host=args.host, port=args.port, print=None, access_log=None,
                shutdown_timeout=2)
    return 0


def cmd_user_add(args: argparse.Namespace) -> int:
    from server.api.schemas import UserIn
    from server.commands.accounts import add_user, bootstrap
    from server.db.session import database_url, make_engine, migrate, session_factory

    password = args.password
    generated = False
    if password is None:
        if sys.stdin.isatty():
            password = getpass.getpass("Mật khẩu (ít nhất 8 ký tự): ")
        else:
            password, generated = secrets.token_urlsafe(9), True
    try:
        data = UserIn(username=args.username, full_name=args.name, role=args.role, password=password)
    except ValidationError as exc:
        for e in exc.errors(include_url=False):
            print(f"doithoai: {'.'.join(map(str, e['loc']))}: {e['msg']}", file=sys.stderr)
        return 2

    async def run() -> int:
        args.data_dir.mkdir(parents=True, exist_ok=True)
        engine = make_engine(database_url(args.db, args.data_dir))
        try:
            await migrate(engine)
            async with session_factory(engine)() as db, db.begin():
                commune, _ = await bootstrap(db)
                from server.domain.errors import DomainError

                try:
                    await add_user(db, "cli", commune.id, data)
                except DomainError as exc:
                    print(f"doithoai: {exc.message}", file=sys.stderr)
                    return 2
        finally:
            await engine.dispose()
        print(f"Đã tạo tài khoản {data.username} ({data.role}).")
        if generated:
            print(f"Mật khẩu: {password}")
        return 0

    return asyncio.run(run())


def cmd_openapi(args: argparse.Namespace) -> int:
    import json
    import tempfile

    from server.app import Config, create_app, openapi_document

    with tempfile.TemporaryDirectory() as tmp:
        doc = openapi_document(create_app(Config(data_dir=Path(tmp))))
    print(json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=True))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="doithoai", description="Hội nghị đối thoại với nhân dân")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="start the conference server")
    _common_db_args(serve)
    serve.add_argument("--host", default="0.0.0.0")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument("--audio-source", default=os.environ.get("DOITHOAI_AUDIO", "tone:440"),
                       help="pyaudio[:DEVICE] | file:PATH | tone[:HZ] (default: tone:440)")
    serve.add_argument("--icecast", action="append", metavar="URL",
                       help="also push to icecast://source:PASSWORD@HOST:PORT/MOUNT")
    serve.add_argument("--rtp", action="append", metavar="HOST:PORT",
                       help="also send RTP/Opus to a unicast or multicast address")
    serve.add_argument("--line-out", metavar="DEVICE", help="play on the sound card's output")
    serve.add_argument("--public-url", default=os.environ.get("DOITHOAI_PUBLIC_URL"),
                       metavar="URL", help="address phones in the hall use for the registration "
                       "QR code (default: the address the screen uses, or the first LAN address)")
    serve.add_argument("--disk-reserve", default=os.environ.get("DOITHOAI_DISK_RESERVE"),
                       metavar="SIZE|PCT", help="free space the recording leaves for the database "
                       "on the data dir's filesystem, e.g. 200MB or 2%% (default: the larger of "
                       "200MB and 2%%)")
    serve.add_argument("--db-pool-size", type=int, default=10, metavar="N",
                       help="database connections kept open (a request uses at most one)")
    serve.add_argument("--db-pool-timeout", type=float, default=30.0, metavar="SECONDS",
                       help="how long a request waits for a free database connection")
    serve.set_defaults(func=cmd_serve)

    user = sub.add_parser("user", help="manage accounts").add_subparsers(dest="user_cmd", required=True)
    add = user.add_parser("add", help="add an account")
    _common_db_args(add)
    add.add_argument("username")
    add.add_argument("--name", required=True, help="full name")
    from server.domain.roles import Role

    add.add_argument("--role", required=True, choices=[r.value for r in Role])
    add.add_argument("--password", help="(default: asked, or generated and printed)")
    add.set_defaults(func=cmd_user_add)

    sub.add_parser("openapi", help="print the HTTP API's OpenAPI document (docs/openapi.json)"
                   ).set_defaults(func=cmd_openapi)

    from broadcast import cli as relay_cli
    from server.asr import cli as transcribe_cli
    from server.followup import cli as deadline_cli

    for part in (transcribe_cli, deadline_cli, relay_cli):
        part.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
