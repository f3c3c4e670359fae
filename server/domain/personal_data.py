"""Personal data by need: what of a citizen each role is shown (a pure table and rules).

Under the Law on Personal Data Protection (2025) and Decree 356/2025, from 1/1/2026,
each role sees the personal data its job needs and no more:

- Full names: the roles that work with the citizens in the hall and on their petitions
  (administrator, chair, moderator, secretary, Fatherland Front); the others (viewer,
  overseer) see the public form, as on the hall screen: "Nguyễn V. A. - Thôn 3",
  unless the person consented to the full name.
- Phone numbers: those who contact the citizen afterwards (administrator, chair,
  secretary, Fatherland Front); never the moderator, the viewer or the overseer.

The edge applies these to what it sends (server/api/core.py, server/queue/realtime.py,
server/transcripts/api.py); the table is docs/personal-data.md.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from server.domain.names import public_name
from server.domain.roles import can


def sees_names(role: str | None) -> bool:
    return role is not None and can(role, "see_names")


def sees_phones(role: str | None) -> bool:
    return role is not None and can(role, "see_phones")


def name_for(role: str | None, full: str, hamlet: str | None, consent: bool) -> str:
    """The name a role is shown: the full name, or the public form."""
    return full if sees_names(role) else public_name(full, hamlet, consent)


def phone_for(role: str | None, phone: str) -> str:
    return phone if sees_phones(role) else ""


def _opaque(key: str) -> str:
    """A person key that still tells people apart but does not spell the name."""
    return "p:" + hashlib.sha256(key.encode()).hexdigest()[:12]


def masked_staff_view(view: dict[str, Any]) -> dict[str, Any]:
    """The queue's staff view for a role that does not see full names: every turn's name
    in its public form, person keys made opaque, the history's summaries with the public
    names, the balance likewise. Officials on answer turns keep their names (they act in
    their office)."""
    state = dict(view["state"])
    names: dict[str, str] = {}
    turns = []
    for t in state.get("turns", []):
        t = dict(t)
        if t.get("kind") != "answer":
            shown = public_name(t["display_name"], t.get("hamlet"), t.get("consent_full_name"))
            names[t["display_name"]] = shown
            t["display_name"] = shown
        t["person_key"] = _opaque(t["person_key"])
        turns.append(t)
    state["turns"] = turns
    state["people"] = {_opaque(k): v for k, v in state.get("people", {}).items()}

    # every full name that shows differently, longest first, replaced in one pass
    hidden = sorted((full for full in names if full and full != names[full]), key=len,
                    reverse=True)
    pattern = re.compile("|".join(map(re.escape, hidden))) if hidden else None

    def scrub(text: str) -> str:
        return pattern.sub(lambda m: names[m.group(0)], text) if pattern and text else text

    state["history"] = [{**h, "summary": scrub(h.get("summary", "")),
                         "reason": scrub(h.get("reason", ""))}
                        for h in state.get("history", [])]
    out = {**view, "state": state}
    if view.get("undo_summary"):
        out["undo_summary"] = scrub(view["undo_summary"])
    balance = view.get("balance")
    if balance:
        out["balance"] = {**balance, "people": [
            {**p, "name": names.get(p["name"], public_name(p["name"], p.get("hamlet"), False)),
             "person_key": _opaque(p["person_key"])} for p in balance.get("people", [])]}
    return out
