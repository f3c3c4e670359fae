"""The `doithoai` command: serve, user, and the sub-commands of the other parts."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import os
import secrets
import sys
from pathlib import Path

from broadcast.gc_pauses import quiet_collector
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

    if args.redis and not (args.db or "").startswith("postgres"):
        # several processes on one SQLite file would not keep one order of queue commands
        print("doithoai: --redis cần --db PostgreSQL (xem docs/province.md).", file=sys.stderr)
        return 2
    if args.workers > 1:
        return _serve_workers(args)
    capture_audio = args.audio_source.strip().lower() != "none"
    if not capture_audio:  # the broadcast is built but never started here (server/app.py)
        args.audio_source = "tone:440"

    def show_password(pw: str) -> None:
        print(f"\n  Tài khoản quản trị đầu tiên / first administrator: admin  mật khẩu / password: {pw}\n"
              "  (chỉ hiện một lần; hãy đổi mật khẩu sau khi đăng nhập)\n", flush=True)

    config = Config(data_dir=args.data_dir, db_url=args.db, host=args.host, port=args.port,
                    audio_source=args.audio_source, icecast_urls=args.icecast or [],
                    rtp_targets=args.rtp or [], line_out=args.line_out, public_url=args.public_url,
                    disk_reserve=args.disk_reserve, db_pool_size=args.db_pool_size,
                    db_pool_timeout=args.db_pool_timeout,
                    asr_engine=os.environ.get(ENV_ENGINE) or None,
                    backup_dir=args.backup_dir, backup_keep=args.backup_keep,
                    redis_url=args.redis, capture_audio=capture_audio,
                    lease_ttl=args.lease_seconds, captions=args.captions,
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
        # What start-up built lives as long as the server: keep the collector off it, so
        # neither the queue's fan-out nor the hall's audio stops for a full collection.
        quiet_collector()

    app.on_startup.append(quiet_gc)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Live audio listeners and tablets hold connections open: do not wait long for them.
    web.run_app(app, host=args.host, port=args.port, print=None, access_log=None,
                shutdown_timeout=2)
    return 0


def _serve_workers(args: argparse.Namespace) -> int:
    """``serve --workers N``: N server processes on ports --port .. --port+N-1, the hall's
    audio captured by the first only; each is started again if it stops (docs/province.md)."""
    import signal
    import subprocess
    import time

    if not args.redis:
        print("doithoai: --workers cần --redis URL (xem docs/province.md).", file=sys.stderr)
        return 2
    argv, skip = [], False  # this command's own arguments, less those set per process
    for tok in sys.argv[1:]:
        if skip:
            skip = False
        elif tok in ("--workers", "--port", "--audio-source"):
            skip = True
        elif not tok.startswith(("--workers=", "--port=", "--audio-source=")):
            argv.append(tok)

    def start(i: int) -> subprocess.Popen:
        audio = args.audio_source if i == 0 else "none"
        return subprocess.Popen([sys.executable, "-m", "server.cli", *argv, "--port",
                                 str(args.port + i), "--audio-source", audio])

    stopping: list[int] = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))
    signal.signal(signal.SIGINT, lambda *_: stopping.append(1))
    procs = [start(i) for i in range(args.workers)]
    while not stopping:
        time.sleep(0.5)
        for i, proc in enumerate(procs):
            if proc.poll() is not None and not stopping:
                print(f"doithoai: tiến trình cổng {args.port + i} dừng (mã {proc.returncode}); "
                      "chạy lại.", file=sys.stderr, flush=True)
                time.sleep(1.0)
                procs[i] = start(i)
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
    return 0


def cmd_user_add(args: argparse.Namespace) -> int:
    """Add an account through the executor, with the same action as POST /api/users; the
    actor is the server's console, in the commune the database holds (made on first use)."""
    from server.actions.accounts.add_user import CONSOLE, AddUser
    from server.auth import Actor
    from server.commands.accounts import bootstrap
    from server.db.session import database_url, make_engine, migrate, session_factory
    from server.domain.errors import DomainError
    from server.events import Bus
    from server.executor import Executor

    def refused(exc: DomainError) -> int:
        if exc.fields:
            for f in exc.fields:
                print(f"doithoai: {f['field']}: {f['message']}", file=sys.stderr)
        else:
            print(f"doithoai: {exc.message}", file=sys.stderr)
        return 2

    password = args.password
    generated = False
    if password is None:
        if sys.stdin.isatty():
            password = getpass.getpass("Mật khẩu (ít nhất 8 ký tự): ")
        else:
            password, generated = secrets.token_urlsafe(9), True
    data = {"username": args.username, "full_name": args.name, "role": args.role,
            "password": password}
    action = AddUser()
    try:
        action.parse(data)  # a wrong input is refused before any database is made
    except DomainError as exc:
        return refused(exc)

    async def run() -> int:
        args.data_dir.mkdir(parents=True, exist_ok=True)
        engine = make_engine(database_url(args.db, args.data_dir))
        try:
            await migrate(engine)
            sessions = session_factory(engine)
            async with sessions() as db, db.begin():
                commune, _ = await bootstrap(db)
            console = Actor(kind=CONSOLE, commune_id=commune.id, role="admin",
                            name="doithoai user add")
            try:
                user = await Executor(sessions, Bus(), services=None).run(action, console, data)
            except DomainError as exc:
                return refused(exc)
        finally:
            await engine.dispose()
        print(f"Đã tạo tài khoản {user.username} ({user.role}).")
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


def cmd_backup(args: argparse.Namespace) -> int:
    """A backup of the database and the data folder into DEST/doithoai-YYYYMMDD-HHMMSS,
    while the server goes on running (docs/backup.md)."""
    from server.backup.backup import BackupError
    from server.backup.store import make_backup

    try:
        folder = make_backup(args.dest, args.data_dir, args.db)
    except (BackupError, ValueError) as exc:
        print(f"doithoai: {getattr(exc, 'message', exc)}", file=sys.stderr)
        return 2
    print(f"Đã sao lưu vào {folder}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    """Restore a backup into an empty data folder and an empty database: every file's
    SHA-256 is checked first, then the schema is migrated to the newest revision."""
    from server.backup.backup import BackupError
    from server.backup.store import restore

    try:
        done = asyncio.run(restore(args.src, args.data_dir, args.db))
    except (BackupError, ValueError) as exc:
        print(f"doithoai: {getattr(exc, 'message', exc)}", file=sys.stderr)
        return 2
    print(f"Đã khôi phục bản sao lưu {args.src} (lập lúc {done['created_at']}): "
          f"{done['files']} tệp vào {args.data_dir}, cơ sở dữ liệu {done['db_kind']} "
          f"ở phiên bản cấu trúc {done['revision']}.")
    return 0


def _at_least_one(text: str) -> int:
    n = int(text)
    if n < 1:
        raise argparse.ArgumentTypeError("phải từ 1 trở lên")
    return n


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="doithoai", description="Hội nghị đối thoại với nhân dân")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="start the conference server")
    _common_db_args(serve)
    serve.add_argument("--host", default="0.0.0.0")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument("--audio-source", default=os.environ.get("DOITHOAI_AUDIO", "tone:440"),
                       help="pyaudio[:DEVICE] | file:PATH | tone[:HZ] | none: no broadcast in this "
                       "process (default: tone:440)")
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
    serve.add_argument("--backup-dir", type=Path, default=os.environ.get("DOITHOAI_BACKUP_DIR"),
                       metavar="DIR", help="make a backup every night (02:00) into DIR "
                       "(default: no nightly backup)")
    serve.add_argument("--backup-keep", type=_at_least_one, default=7, metavar="N",
                       help="nightly backups kept; older ones are deleted (default: 7)")
    serve.add_argument("--no-captions", dest="captions", action="store_false",
                       help="no live captions of the turns (docs/captions.md), even with the "
                       "speech engine installed")
    serve.add_argument("--redis", default=os.environ.get("DOITHOAI_REDIS"), metavar="URL",
                       help="a province: several processes on one PostgreSQL database share "
                       "socket.io events and background jobs through Redis, e.g. "
                       "redis://127.0.0.1:6379/0 (docs/province.md)")
    serve.add_argument("--workers", type=_at_least_one, default=1, metavar="N",
                       help="start N processes on ports --port..--port+N-1 (needs --redis and "
                       "PostgreSQL); only the first captures the audio")
    serve.add_argument("--lease-seconds", type=float, default=15.0, metavar="SECONDS",
                       help="with --redis: how long a background job's lease lasts unrenewed")
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

    backup = sub.add_parser("backup", help="back up the database and the data folder into "
                            "DEST/doithoai-YYYYMMDD-HHMMSS (the server may be running)")
    _common_db_args(backup)
    backup.add_argument("dest", type=Path, metavar="DEST")
    backup.set_defaults(func=cmd_backup)
    restore = sub.add_parser("restore", help="restore a backup folder into an empty data "
                             "folder and an empty database, after checking every file")
    _common_db_args(restore)
    restore.add_argument("src", type=Path, metavar="SRC")
    restore.set_defaults(func=cmd_restore)

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
