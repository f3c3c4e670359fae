"""Real Chromium (Debian's package) driven by Playwright; no browser is downloaded."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, async_playwright

CHROMIUM = os.environ.get("DOITHOAI_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage"]


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield b
        finally:
            await b.close()


async def login(page, base: str, username: str = "admin2", password: str = "mat-khau-thu-nghiem") -> None:
    await page.goto(base + "/")
    await page.fill("#login-form input[name=username]", username)
    await page.fill("#login-form input[name=password]", password)
    await page.click("#login-form button[type=submit]")
    await page.wait_for_selector("#nav:not([hidden])")
