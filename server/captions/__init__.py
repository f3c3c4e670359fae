"""Live Vietnamese captions: the streaming recogniser (worker.py), the audio feed
(feed.py), the captions in memory and their events (service.py), the settings and the
commune's vocabulary (store.py), the endpoints and listeners (web.py). See
docs/captions.md.

The names below load web.py only when used: the captions' actions read store.py, and
web.py reads the actions."""

from __future__ import annotations

from typing import Any


def setup(app: Any) -> None:
    from server.captions import web

    web.setup(app)


async def follow_queue(app: Any, event: Any) -> None:
    from server.captions import web

    await web.follow_queue(app, event)


async def on_captions_changed(app: Any, event: Any) -> None:
    from server.captions import web

    await web.on_captions_changed(app, event)
