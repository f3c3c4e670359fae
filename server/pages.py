"""HTML pages: the tablet app shell, the public screen, public conference pages, errors."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select

from server.db.models import Commune, Conference
from server.domain import limits
from server.keys import EXECUTOR

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
TEMPLATES = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                        autoescape=select_autoescape(["html"]))
WEEKDAYS = ["Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật"]
FORMATS = {"in_person": "Trực tiếp", "online": "Trực tuyến", "hybrid": "Trực tiếp và trực tuyến"}


def local_time(value: datetime | None) -> str:
    if value is None:
        return ""
    t = value.astimezone(LOCAL_TZ)
    return f"{t:%H} giờ {t:%M}, {WEEKDAYS[t.weekday()]}, ngày {t:%d/%m/%Y}"


TEMPLATES.filters["local_time"] = local_time
TEMPLATES.globals["FORMATS"] = FORMATS
TEMPLATES.globals["LIMITS"] = limits


def render(name: str, status: int = 200, **ctx: Any) -> web.Response:
    return web.Response(text=TEMPLATES.get_template(name).render(**ctx), status=status,
                        content_type="text/html", charset="utf-8")


def error_page(status: int, message: str) -> web.Response:
    titles = {400: "Yêu cầu không hợp lệ", 401: "Cần đăng nhập", 403: "Không có quyền",
              404: "Không tìm thấy", 413: "Dữ liệu quá lớn", 429: "Quá nhiều yêu cầu",
              500: "Lỗi máy chủ"}
    return render("error.html", status=status, status_code=status,
                  title=titles.get(status, "Có lỗi"), message=message)


def _file(path: Path, content_type: str | None = None,  # type: ignore[no-untyped-def]
          cache: str = "no-cache"):
    headers = {"Cache-Control": cache}
    if content_type:
        headers["Content-Type"] = content_type

    async def handler(request: web.Request) -> web.FileResponse:
        return web.FileResponse(path, headers=headers)
    return handler


PAGE_COPY_S = 2.0  # a public page is made again at the latest this long after a write


async def public_conference(request: web.Request) -> web.Response:
    """The public announcement: printed and opened by many phones at once, so the page
    made once is served again until anything is written (or for two seconds)."""
    slug = request.match_info["slug"]
    executor = request.app[EXECUTOR]
    key = ("page", request.path)
    copy = executor.cached_read(key, PAGE_COPY_S)
    if copy is not None:
        return web.Response(body=copy, content_type="text/html", charset="utf-8")
    generation = executor.generation
    async with executor.read_turns, executor.reading() as db:
        conf = (await db.execute(select(Conference).where(Conference.public_slug == slug))
                ).scalar_one_or_none()
        if conf is None or conf.announced_at is None:
            return error_page(404, "Không có thông báo hội nghị ở địa chỉ này.")
        commune = await db.get(Commune, conf.commune_id)
    page = render("announcement.html", conf=conf, commune=commune)
    if isinstance(page.body, bytes):
        executor.keep_read(key, generation, page.body)
    return page


def routes(app: web.Application, static_dir: Path, display_dir: Path) -> None:
    app.router.add_get("/", _file(static_dir / "index.html"))
    # browsers ask for /favicon.ico on every page, the public ones too
    app.router.add_get("/favicon.ico", _file(static_dir / "favicon.ico", "image/x-icon",
                                             cache="public, max-age=86400"))
    app.router.add_static("/static/", static_dir, append_version=False)
    app.router.add_static("/display-assets/", display_dir)
    app.router.add_get("/display/{id}", _file(display_dir / "index.html"))
    app.router.add_get("/c/{slug}", public_conference)
