"""Making and restoring backups on disk: the database copied while the server runs, the data
folder's files copied and hashed, the manifest written last, and the folder renamed into
place only when all of it is there. A restore checks every file before it writes anything."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sqlite3
import stat
import subprocess
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import URL, make_url

from server.backup.backup import (
    DATA_PARTS,
    DATA_PREFIX,
    DB_FILES,
    MANIFEST,
    POSTGRESQL,
    SQLITE,
    STALE_AFTER,
    BackupError,
    Entry,
    backup_names,
    build_manifest,
    check_revision,
    entries,
    folder_name,
    parse_manifest,
    partial_name,
    problem,
    refusal,
    relocated,
    to_prune,
    wanted,
)
from server.db.session import database_url

CHUNK = 1 << 20


def product_version() -> str:
    try:
        return metadata.version("doithoai")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def db_kind(url: str) -> str:
    return SQLITE if url.startswith("sqlite") else POSTGRESQL


def sqlite_file(url: str) -> Path:
    return Path(make_url(url).database or "")


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """The URL the PostgreSQL tools understand, with the password in the environment (not
    on the command line, where any user of the machine could read it)."""
    u = make_url(url)
    conninfo = URL.create("postgresql", username=u.username, host=u.host, port=u.port,
                          database=u.database).render_as_string(hide_password=False)
    env = dict(os.environ)
    if u.password:
        env["PGPASSWORD"] = str(u.password)
    return conninfo, env


def _run(what: str, cmd: list[str], env: dict[str, str]) -> str:
    try:
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise BackupError(f"Không tìm thấy chương trình {cmd[0]} (cài gói postgresql-client).") from None
    if done.returncode != 0:
        raise BackupError(f"{what} không thành công: {done.stderr.strip()[-800:]}")
    return done.stdout


def _psql(url: str, sql: str, what: str) -> str:
    conninfo, env = _libpq(url)
    return _run(what, ["psql", "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", conninfo,
                       "-c", sql], env).strip()


# -- files ------------------------------------------------------------------------------------

def hash_file(path: Path) -> tuple[str, int]:
    h, size = hashlib.sha256(), 0
    with open(path, "rb") as f:
        while block := f.read(CHUNK):
            h.update(block)
            size += len(block)
    return h.hexdigest(), size


def _copy_hashed(src: Path, dst: Path) -> tuple[str, int]:
    """Copy ``src`` and hash the bytes copied (a file still being written is copied as it
    was when read, and the sum is of that copy); flushed to the disk; same mtime."""
    h, size = hashlib.sha256(), 0
    dst.parent.mkdir(parents=True, exist_ok=True)
    with open(src, "rb") as f, open(dst, "wb") as out:
        while block := f.read(CHUNK):
            h.update(block)
            out.write(block)
            size += len(block)
        out.flush()
        os.fsync(out.fileno())
    st = src.stat()
    os.chmod(dst, stat.S_IMODE(st.st_mode))
    os.utime(dst, ns=(st.st_atime_ns, st.st_mtime_ns))
    return h.hexdigest(), size


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _data_files(data_dir: Path, dest: Path) -> list[tuple[str, Path]]:
    """(path relative to the data folder, file) of everything a backup holds (not the
    backups themselves, were they kept inside the data folder)."""
    found: list[tuple[str, Path]] = []
    dest = dest.resolve()
    for part in DATA_PARTS:
        top = data_dir / part
        if top.is_file():
            found.append((part, top))
            continue
        for root, dirs, files in os.walk(top):
            dirs[:] = sorted(d for d in dirs if (Path(root) / d).resolve() != dest)
            for name in sorted(files):
                path = Path(root) / name
                rel = path.relative_to(data_dir).as_posix()
                if wanted(rel) and path.is_file():
                    found.append((rel, path))
    return found


def _copy_data(data_dir: Path, folder: Path, previous: tuple[Path, dict[str, Entry]] | None
               ) -> list[Entry]:
    """The data folder's files into ``folder/data``. A file unchanged since the previous
    backup (same size and modification time) is a hard link to its copy there, so a week
    of nightly backups does not hold seven copies of the recordings."""
    out: list[Entry] = []
    for rel, src in _data_files(data_dir, folder.parent):
        path = DATA_PREFIX + rel
        dst = folder / path
        try:
            st = src.stat()
            if previous is not None and (old := previous[1].get(path)) is not None:
                prev = previous[0] / path
                with contextlib.suppress(OSError):
                    pst = prev.stat()
                    if pst.st_size == st.st_size == old.size and pst.st_mtime_ns == st.st_mtime_ns:
                        dst.parent.mkdir(parents=True, exist_ok=True)
                        os.link(prev, dst)
                        out.append(old)
                        continue
            digest, size = _copy_hashed(src, dst)
        except FileNotFoundError:  # deleted meanwhile (a recording past its retention)
            dst.unlink(missing_ok=True)
            continue
        out.append(Entry(path, digest, size))
    return out


def _write_json(path: Path, data: Any) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, indent=1)
        f.flush()
        os.fsync(f.fileno())


# -- the database -----------------------------------------------------------------------------

def _sqlite_backup(src: Path, dst: Path) -> str | None:
    """SQLite's online backup: one consistent copy while the server goes on writing."""
    if not src.is_file():
        raise BackupError(f"Không thấy cơ sở dữ liệu SQLite {src}.")
    source = sqlite3.connect(src, timeout=30)
    target = sqlite3.connect(dst)
    try:
        source.backup(target)
        target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        if target.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise BackupError("Bản sao cơ sở dữ liệu SQLite không toàn vẹn (quick_check).")
        return _sqlite_revision(target)
    finally:
        target.close()
        source.close()


def _sqlite_revision(conn: sqlite3.Connection) -> str | None:
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.OperationalError:
        return None
    return row[0] if row else None


def _pg_backup(url: str, dst: Path) -> str | None:
    """pg_dump in its custom format (restored by pg_restore), one consistent snapshot."""
    has = _psql(url, "SELECT to_regclass('alembic_version') IS NOT NULL", "Đọc cơ sở dữ liệu")
    revision = _psql(url, "SELECT version_num FROM alembic_version", "Đọc cơ sở dữ liệu") \
        if has == "t" else ""
    conninfo, env = _libpq(url)
    _run("pg_dump", ["pg_dump", "--format=custom", "--no-owner", "--no-privileges",
                     f"--file={dst}", f"--dbname={conninfo}"], env)
    return revision or None


# -- backup -----------------------------------------------------------------------------------

def _previous(dest: Path) -> tuple[Path, dict[str, Entry]] | None:
    for name in reversed(backup_names(os.listdir(dest))):
        try:
            m = parse_manifest((dest / name / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, BackupError):
            continue
        return dest / name, {e.path: e for e in entries(m)}
    return None


def _remove_stale_partials(dest: Path, now: datetime) -> None:
    """Leftovers of a backup that a crash or power cut interrupted a day ago or more."""
    for name in os.listdir(dest):
        path = dest / name
        if name.startswith(".doithoai-") and name.endswith(".partial") and path.is_dir() and \
                now.timestamp() - path.stat().st_mtime > STALE_AFTER.total_seconds():
            shutil.rmtree(path, ignore_errors=True)


def make_backup(dest: Path, data_dir: Path, db_url: str | None, *,
                now: datetime | None = None) -> Path:
    """A new backup folder ``dest/doithoai-YYYYMMDD-HHMMSS``; written under a hidden name
    and renamed when complete, so a half-written backup never looks like one."""
    url = database_url(db_url, data_dir)
    kind = db_kind(url)
    now = now or datetime.now(UTC)
    try:
        dest.mkdir(parents=True, exist_ok=True)
        _remove_stale_partials(dest, now)
        name = folder_name(now, os.listdir(dest))
        previous = _previous(dest)
        tmp = dest / partial_name(name)
        tmp.mkdir(mode=0o700)  # the database holds password hashes: for its owner only
    except OSError as exc:
        raise BackupError(f"Không ghi được vào thư mục sao lưu {dest}: {exc.strerror or exc}.") from None
    try:
        db_path = tmp / DB_FILES[kind]
        db_path.parent.mkdir()
        if kind == SQLITE:
            revision = _sqlite_backup(sqlite_file(url), db_path)
        else:
            revision = _pg_backup(url, db_path)
        digest, size = hash_file(db_path)
        items = [Entry(DB_FILES[kind], digest, size), *_copy_data(data_dir, tmp, previous)]
        manifest = build_manifest(items, db_kind=kind, alembic_revision=revision,
                                  version=product_version(), created_at=now,
                                  data_dir=str(data_dir.resolve()))
        _write_json(tmp / MANIFEST, manifest)
        _fsync_dir(tmp)
        final = dest / name
        os.rename(tmp, final)
        _fsync_dir(dest)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, OSError):
            raise BackupError(f"Sao lưu không thành công: {exc}.") from exc
        raise
    return final


def prune(dest: Path, keep: int) -> list[str]:
    """Delete the oldest backups beyond the newest ``keep``; the names deleted."""
    gone = []
    for name in to_prune(os.listdir(dest), keep):
        path = dest / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
            gone.append(name)
    return gone


def latest(dest: Path | None) -> dict[str, Any] | None:
    """{at, size, folder} of the newest complete backup in ``dest``."""
    if dest is None or not dest.is_dir():
        return None
    for name in reversed(backup_names(os.listdir(dest))):
        try:
            m = parse_manifest((dest / name / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, BackupError):
            continue
        return {"at": datetime.fromisoformat(m["created_at"]), "size": m["total_size"],
                "folder": str((dest / name).resolve())}
    return None


# -- restore ----------------------------------------------------------------------------------

def verify(src: Path) -> dict[str, Any]:
    """The manifest of the backup ``src``, once every file's size and SHA-256 match it."""
    try:
        text = (src / MANIFEST).read_text(encoding="utf-8")
    except OSError:
        raise BackupError(f"Không thấy {MANIFEST} trong {src}: đây không phải một bản sao lưu "
                          "hoàn chỉnh.") from None
    manifest = parse_manifest(text)
    problems = []
    for e in entries(manifest):
        path = src / e.path
        found = None
        if path.is_file():
            found = Entry(e.path, *hash_file(path)) if path.stat().st_size == e.size \
                else Entry(e.path, "", path.stat().st_size)
        if (p := problem(e, found)) is not None:
            problems.append(p)
    if problems:
        raise BackupError(refusal(problems))
    return manifest


def known_revisions() -> list[str]:
    from alembic.script import ScriptDirectory

    from server.db.session import alembic_config

    return [s.revision for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()]


def _check_targets(manifest: dict[str, Any], url: str, data_dir: Path) -> None:
    kind = db_kind(url)
    if kind != manifest["db_kind"]:
        names = {SQLITE: "SQLite", POSTGRESQL: "PostgreSQL"}
        raise BackupError(f"Bản sao lưu này là cơ sở dữ liệu {names[manifest['db_kind']]}; không "
                          f"khôi phục vào {names[kind]} được.")
    if data_dir.exists() and (not data_dir.is_dir() or any(data_dir.iterdir())):
        raise BackupError(f"Thư mục dữ liệu {data_dir} không trống; chỉ khôi phục vào một thư "
                          "mục trống hoặc chưa có.")
    if kind == SQLITE:
        db = sqlite_file(url)
        if (db.exists() and db.stat().st_size > 0) or Path(f"{db}-wal").exists():
            raise BackupError(f"Cơ sở dữ liệu {db} đã có; chỉ khôi phục vào cơ sở dữ liệu trống.")
    else:
        tables = _psql(url, "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN "
                            "('pg_catalog', 'information_schema')",
                       "Kết nối cơ sở dữ liệu đích (hãy tạo sẵn một cơ sở dữ liệu trống)")
        if tables != "0":
            raise BackupError(f"Cơ sở dữ liệu {make_url(url).database} đã có {tables} bảng; chỉ "
                              "khôi phục vào cơ sở dữ liệu trống.")


def _empty(data_dir: Path, created: bool) -> None:
    if created:
        shutil.rmtree(data_dir, ignore_errors=True)
        return
    for child in data_dir.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)


async def restore(src: Path, data_dir: Path, db_url: str | None) -> dict[str, Any]:
    """Restore the backup ``src`` into an empty data folder and an empty database, then
    migrate to the newest schema. Nothing is written unless every file checks out."""
    manifest = verify(src)
    check_revision(manifest["alembic_revision"], known_revisions())
    url = database_url(db_url, data_dir)
    _check_targets(manifest, url, data_dir)
    created = not data_dir.exists()
    sqlite_target = sqlite_file(url) if manifest["db_kind"] == SQLITE else None
    files = [e for e in entries(manifest) if e.path.startswith(DATA_PREFIX)]
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        for e in files:
            dst = data_dir / e.path[len(DATA_PREFIX):]
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src / e.path, dst)
        dump = src / manifest["db_file"]
        if sqlite_target is not None:
            sqlite_target.parent.mkdir(parents=True, exist_ok=True)
            part = sqlite_target.with_name(sqlite_target.name + ".restoring")
            shutil.copyfile(dump, part)
            os.replace(part, sqlite_target)
        else:
            conninfo, env = _libpq(url)
            _run("pg_restore", ["pg_restore", "--no-owner", "--no-privileges", "--single-transaction",
                                "--exit-on-error", f"--dbname={conninfo}", str(dump)], env)
    except BaseException as exc:
        _empty(data_dir, created)
        if sqlite_target is not None and not sqlite_target.is_relative_to(data_dir):
            sqlite_target.unlink(missing_ok=True)
            sqlite_target.with_name(sqlite_target.name + ".restoring").unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise BackupError(f"Khôi phục không thành công: {exc}.") from exc
        raise
    revision, moved = await _migrate(url, data_dir)
    return {"files": len(files), "size": sum(e.size for e in entries(manifest)),
            "db_kind": manifest["db_kind"], "created_at": manifest["created_at"],
            "revision_before": manifest["alembic_revision"], "revision": revision,
            "recordings_moved": moved}


async def _migrate(url: str, data_dir: Path) -> tuple[str | None, int]:
    """Migrations up to head, and the per-turn recordings pointed at the restored folder."""
    from sqlalchemy import text

    from server.db.models import Recording
    from server.db.session import make_engine, migrate

    engine = make_engine(url, pool_size=1)
    moved = 0
    try:
        await migrate(engine)
        root = str(data_dir.resolve())
        async with engine.begin() as conn:
            for rid, path in (await conn.execute(select(Recording.id, Recording.path))).all():
                new = relocated(path, root)
                if new and new != path and Path(new).is_file():
                    await conn.execute(update(Recording).where(Recording.id == rid).values(path=new))
                    moved += 1
            revision = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
    finally:
        await engine.dispose()
    return revision, moved
