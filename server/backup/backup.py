"""The rules of a backup, without I/O: which files of the data folder it holds, its
folder's name, the manifest and its checks, which old backups go, when the next nightly
one is due, what the status says, where a restored recording now lives."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import PurePosixPath
from typing import Any

from server.domain.local_time import LOCAL_TZ

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE, POSTGRESQL = "sqlite", "postgresql"
DB_FILES = {SQLITE: "database/doithoai.sqlite3", POSTGRESQL: "database/doithoai.pgdump"}
DATA_PREFIX = "data/"  # the data folder's files, under their own relative path
# What of the data folder a backup holds: per-turn recordings, the continuous recording,
# issued documents, radio bulletins, the calendar overrides and the key that signs
# phones' cookies and registration links. Not the model cache nor the live stream files.
DATA_PARTS = ("recordings", "recording", "documents", "bulletins", "calendar-overrides",
              "phone-secret")
SKIPPED = (".incoming",)  # uploads not yet accepted
NIGHTLY_HOUR = 2  # 02:00 Vietnam time
STALE_AFTER = timedelta(days=1)
_NAME = re.compile(r"^doithoai-(\d{8})-(\d{6})(?:-(\d+))?$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")

STALE_MESSAGE = "Bản sao lưu gần nhất đã cũ hơn một ngày."
NONE_YET_MESSAGE = "Chưa có bản sao lưu nào."
OFF_MESSAGE = ("Sao lưu hằng đêm chưa bật: khởi động máy chủ với "
               "--backup-dir THƯ_MỤC để mỗi đêm tự sao lưu.")


class BackupError(Exception):
    """A backup that cannot be made or restored; the message is for the operator."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Entry:
    path: str  # relative to the backup folder, with "/"
    sha256: str
    size: int


# -- what a backup holds ----------------------------------------------------------------------

def wanted(rel: str) -> bool:
    """Whether the data folder's file ``rel`` (relative, "/"-separated) is backed up."""
    parts = PurePosixPath(rel).parts
    return bool(parts) and parts[0] in DATA_PARTS and not any(p in SKIPPED for p in parts) \
        and not parts[-1].endswith((".tmp", ".part"))


def safe_path(rel: str) -> PurePosixPath:
    """A manifest's path, refused when it could write outside the folder it is restored to."""
    p = PurePosixPath(rel)
    if not rel or p.is_absolute() or "\\" in rel or any(part in ("..", "") for part in rel.split("/")):
        raise BackupError(f"Tệp ghi danh sách bản sao lưu có đường dẫn không hợp lệ: {rel!r}.")
    return p


# -- names and retention ----------------------------------------------------------------------

def folder_name(at: datetime, taken: Iterable[str] = ()) -> str:
    """doithoai-YYYYMMDD-HHMMSS in Vietnam time; -2, -3 ... when that name is taken."""
    base = "doithoai-" + at.astimezone(LOCAL_TZ).strftime("%Y%m%d-%H%M%S")
    names, n = set(taken), 1
    name = base
    while name in names:
        n += 1
        name = f"{base}-{n}"
    return name


def partial_name(name: str) -> str:
    """The name a backup is written under until it is complete (hidden, never matches)."""
    return f".{name}.partial"


def _order(name: str) -> tuple[str, str, int]:
    m = _NAME.match(name)
    assert m
    return m.group(1), m.group(2), int(m.group(3) or 1)


def backup_names(names: Iterable[str]) -> list[str]:
    """The names of complete backups among ``names``, oldest first."""
    return sorted((n for n in names if _NAME.match(n)), key=_order)


def to_prune(names: Iterable[str], keep: int) -> list[str]:
    """The oldest backups beyond the newest ``keep`` (at least one is always kept)."""
    found = backup_names(names)
    return found[:max(0, len(found) - max(1, keep))]


# -- the manifest -----------------------------------------------------------------------------

def build_manifest(entries: Iterable[Entry], *, db_kind: str, alembic_revision: str | None,
                   version: str, created_at: datetime, data_dir: str) -> dict[str, Any]:
    files = sorted(entries, key=lambda e: e.path)
    return {
        "format": FORMAT,
        "product": "doithoai",
        "version": version,
        "created_at": created_at.astimezone(UTC).isoformat(),
        "db_kind": db_kind,
        "db_file": DB_FILES[db_kind],
        "alembic_revision": alembic_revision,
        "data_dir": data_dir,
        "files": [{"path": e.path, "sha256": e.sha256, "size": e.size} for e in files],
        "total_size": sum(e.size for e in files),
    }


def parse_manifest(text: str) -> dict[str, Any]:
    """The manifest read back, refused when it is not one this program wrote."""
    bad = BackupError("Tệp manifest.json của bản sao lưu bị hỏng hoặc không phải của Đối Thoại.")
    try:
        m = json.loads(text)
    except ValueError:
        raise bad from None
    if not isinstance(m, dict) or m.get("product") != "doithoai" or not isinstance(m.get("files"), list):
        raise bad
    if m.get("format") != FORMAT:
        raise BackupError(f"Bản sao lưu theo định dạng {m.get('format')!r}, phiên bản này chỉ đọc "
                          f"định dạng {FORMAT}.")
    if m.get("db_kind") not in DB_FILES or m.get("db_file") != DB_FILES[m["db_kind"]]:
        raise bad
    for f in m["files"]:
        if not (isinstance(f, dict) and isinstance(f.get("path"), str)
                and isinstance(f.get("sha256"), str) and _HEX64.match(f["sha256"])
                and isinstance(f.get("size"), int) and f["size"] >= 0):
            raise bad
        safe_path(f["path"])
    if m["db_file"] not in {f["path"] for f in m["files"]}:
        raise BackupError(f"Bản sao lưu không có tệp cơ sở dữ liệu {m['db_file']}.")
    try:
        datetime.fromisoformat(m["created_at"])
    except (KeyError, TypeError, ValueError):
        raise bad from None
    return m


def entries(manifest: Mapping[str, Any]) -> list[Entry]:
    return [Entry(f["path"], f["sha256"], f["size"]) for f in manifest["files"]]


def problem(expected: Entry, found: Entry | None) -> str | None:
    """What is wrong with one file of a backup (None: it is as the manifest says)."""
    if found is None:
        return f"Thiếu tệp {expected.path} trong bản sao lưu."
    if found.size != expected.size or found.sha256 != expected.sha256:
        return (f"Tệp {expected.path} trong bản sao lưu đã bị thay đổi hoặc hỏng "
                f"(mã SHA-256 không khớp với manifest.json).")
    return None


def refusal(problems: list[str]) -> str:
    """The one message a refused restore prints."""
    more = f" (và {len(problems) - 1} tệp khác)" if len(problems) > 1 else ""
    return f"Không khôi phục: {problems[0]}{more} Không có gì được ghi."


def check_revision(revision: str | None, known: Iterable[str]) -> None:
    """A backup made by a newer version than this one cannot be migrated to its head."""
    if revision is not None and revision not in set(known):
        raise BackupError(f"Bản sao lưu có cấu trúc dữ liệu phiên bản {revision}, mới hơn phần mềm "
                          "này; hãy cập nhật Đối Thoại rồi khôi phục.")


# -- schedule and status ----------------------------------------------------------------------

def next_backup_at(now: datetime, last: datetime | None) -> datetime:
    """When the nightly job makes its next backup: now when there is none or the last is a
    day old; else the first 02:00 (Vietnam) after the last; and when that night passed with
    the server off, once the last is a day old."""
    if last is None or now - last >= STALE_AFTER:
        return now
    local = last.astimezone(LOCAL_TZ)
    night = datetime.combine(local.date(), time(NIGHTLY_HOUR), LOCAL_TZ)
    if night <= local:
        night += timedelta(days=1)
    night = night.astimezone(UTC)
    return night if night > now else last + STALE_AFTER


def status(*, enabled: bool, keep: int, last: Mapping[str, Any] | None, now: datetime,
           last_error: str | None = None, next_at: datetime | None = None) -> dict[str, Any]:
    """What GET /api/backups/status answers. ``last``: {at, size, folder} of the newest
    complete backup. ``stale``: nightly backups are on and the last good one is missing or
    older than a day; ``message``: the warning the tablet shows (None: nothing to say)."""
    stale = enabled and (last is None or now - last["at"] > STALE_AFTER)
    if not enabled:
        message: str | None = OFF_MESSAGE
    elif last is None:
        message = NONE_YET_MESSAGE
    elif stale:
        message = STALE_MESSAGE
    else:
        message = None
    if last_error:
        message = f"{message + ' ' if message else ''}Lần sao lưu vừa rồi không thành công: {last_error}"
    return {"enabled": enabled, "keep": keep, "last": dict(last) if last else None, "stale": stale,
            "message": message, "last_error": last_error, "next_at": next_at if enabled else None}


# -- restore ----------------------------------------------------------------------------------

def relocated(path: str, data_dir: str) -> str | None:
    """Where a recording's stored path points in the restored data folder: its part from
    ``recordings/conference-N/`` on, under ``data_dir`` (None: not a per-turn recording)."""
    parts = PurePosixPath(path.replace("\\", "/")).parts
    for i in range(len(parts) - 3, -1, -1):
        if parts[i] == "recordings" and parts[i + 1].startswith("conference-"):
            return str(PurePosixPath(data_dir, *parts[i:]))
    return None
