"""Transcripts, answers and the secretary's view, attached to the server.

- ``api``: a turn's transcript (read / write with optimistic concurrency /
  confirm), a conference's turns, answers, a petition's whole file;
- ``drafts``: machine drafts from each recorded turn, off the event loop;
- ``export``: DOCX minutes, CSV of petitions and transcripts;
- ``store`` and ``rules``: the database writes and the pure rules behind them.

Documented in docs/transcripts.md.
"""

from __future__ import annotations

from aiohttp import web


def setup(app: web.Application) -> None:
    from server.keys import APIS
    from server.transcripts import api, drafts, export

    for module in (api, export):
        app[APIS].append(module.api)
        module.api.add_to(app)
    drafts.setup(app)
