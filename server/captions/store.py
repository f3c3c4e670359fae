"""Where the captions' choices are kept: per conference (on or off, shown while muted, the
turns hidden by the moderator) and per commune (the vocabulary the secretary edited), in the
commune's key/value settings; and the vocabulary the record already holds."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import (
    Commune,
    Conference,
    Participant,
    Petition,
    Setting,
    SpeakingTurn,
    User,
)
from server.domain.captions import terms_from_record

VOCABULARY_KEY = "captions:vocabulary"
HIDDEN_KEPT = 200  # hidden turns remembered per conference


def conference_key(conference_id: int) -> str:
    return f"captions:{conference_id}"


def default_settings() -> dict[str, Any]:
    return {"enabled": True, "show_when_muted": False, "hidden_turns": []}


def settings_of(row: Setting | None) -> dict[str, Any]:
    value = dict(default_settings())
    if row is not None and isinstance(row.value, dict):
        value.update({k: row.value[k] for k in value if k in row.value})
    value["hidden_turns"] = [str(t) for t in value["hidden_turns"]][-HIDDEN_KEPT:]
    return value


async def load_settings(db: AsyncSession, commune_id: int, conference_id: int) -> dict[str, Any]:
    return settings_of(await db.get(Setting, (commune_id, conference_key(conference_id))))


async def save_settings(db: AsyncSession, commune_id: int, conference_id: int,
                        value: dict[str, Any]) -> None:
    key = (commune_id, conference_key(conference_id))
    row = await db.get(Setting, key)
    if row is None:
        db.add(Setting(commune_id=commune_id, key=key[1], value=value))
    else:
        row.value = value
    await db.flush()


async def edited_terms(db: AsyncSession, commune_id: int) -> list[str]:
    row = await db.get(Setting, (commune_id, VOCABULARY_KEY))
    terms = row.value.get("terms", []) if row is not None and isinstance(row.value, dict) else []
    return [str(t) for t in terms]


async def save_terms(db: AsyncSession, commune_id: int, terms: list[str]) -> None:
    row = await db.get(Setting, (commune_id, VOCABULARY_KEY))
    if row is None:
        db.add(Setting(commune_id=commune_id, key=VOCABULARY_KEY, value={"terms": terms}))
    else:
        row.value = {"terms": terms}
    await db.flush()


async def record_terms(db: AsyncSession, commune_id: int) -> list[str]:
    """Names the record knows: the commune and its chairman, conferences' chairs, the
    commune's officials (accounts), participants and their hamlets, petitioners, their
    hamlets and the proper names inside petitions, speakers and their hamlets."""
    names: list[str] = []
    commune = await db.get(Commune, commune_id)
    if commune is not None:
        names += [commune.name, commune.place_name, commune.chairman_name]
    conf_ids = select(Conference.id).where(Conference.commune_id == commune_id)
    for row in (await db.execute(select(Conference.chair_name, Conference.front_name,
                                        Conference.council_name)
                                 .where(Conference.commune_id == commune_id))).all():
        names += list(row)
    names += (await db.execute(select(User.full_name).where(
        User.commune_id == commune_id))).scalars().all()
    for row in (await db.execute(select(Participant.full_name, Participant.hamlet).where(
            Participant.conference_id.in_(conf_ids)))).all():
        names += list(row)
    texts: list[str] = []
    for raised_by, hamlet, content in (await db.execute(
            select(Petition.raised_by, Petition.hamlet, Petition.content).where(
                Petition.commune_id == commune_id))).all():
        names += [raised_by, hamlet]
        texts.append(content)
    for row in (await db.execute(select(SpeakingTurn.display_name, SpeakingTurn.hamlet).where(
            SpeakingTurn.conference_id.in_(conf_ids)))).all():
        names += list(row)
    return terms_from_record([n for n in names if n], texts)
