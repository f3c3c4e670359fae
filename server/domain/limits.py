"""Every text length limit, in characters (after NFC normalisation), in one place.

The input models (server/api/schemas.py and the other parts' models), the database
columns (server/db/models.py, ...), the queue rules and the phone registration form all
read their bound from here, so a text the rules accept always fits its column. Widening
a limit that is also a column width needs a migration (server/db/migrations/versions/).
"""

from __future__ import annotations

# ---- people and places ------------------------------------------------------------------

PERSON_NAME = 200  # a person's full name: participant, petitioner, speaker, official, chair
HAMLET = 200  # thôn / bon / tổ dân phố
POSITION = 200  # a person's position or organisation ("Trưởng bon", an official's role)
PHONE = 20  # as typed; stored as digits and an optional "+"
SALUTATION = 50  # how a person is addressed: "Ông", "Bà", "đồng chí", a free title
LANGUAGE = 50  # a speaker's language, when an interpreter is needed

# ---- conferences --------------------------------------------------------------------------

CONFERENCE_TITLE = 300
VENUE = 300
URL = 500  # the online conference's address
LONG_TEXT = 10_000  # content, purpose, how to attend; a petition's content; an answer's text
PUBLIC_SLUG = 32  # the random part of a conference's public address

# ---- petitions and answers ----------------------------------------------------------------

ORGANISATION = 300  # the authority a petition is addressed to, the unit an answer assigns
FIELD_CODE = 40  # a petition field's code: [a-z0-9_-]
FIELD_NAME = 200
SEARCH_QUERY = 200

# ---- the speaking queue -------------------------------------------------------------------

TOPIC = 1000  # what a citizen wants to speak about
REASON = 500  # why an action was taken (rejecting, skipping, ...); also in the audit log
TURN_ID = 100  # a turn's id: by default the id of the command that registered it
COMMAND_ID = TURN_ID  # a command that registers a turn gives the turn its id
PETITION_REF = 100  # a petition's id as the queue carries it (a string)
# The key that tells one speaker from another: "name:<folded name>|<folded hamlet>" or
# "official:<name>". Folding may lengthen a text (ligatures), hence the margin.
PERSON_KEY = 3 * (PERSON_NAME + HAMLET) + 20
# The planned length of each phase of the run-of-show, in whole minutes (not a text length)
PHASE_MINUTES_MIN = 1
PHASE_MINUTES_MAX = 480

# ---- transcripts --------------------------------------------------------------------------

TRANSCRIPT = 50_000  # a turn's transcript
ASR_ENGINE = 50  # the name of the speech recognition engine that drafted a transcript
VOCABULARY_TERM = 100  # one term of the commune's vocabulary (a name, a hamlet)
VOCABULARY_TERMS = 500  # terms the secretary may add to the vocabulary
CAPTION_LINE = 2_000  # one caption line (a sentence, cut if the speaker never pauses)

# ---- the commune --------------------------------------------------------------------------

COMMUNE_NAME = 200  # "Xã Đức An"
ISSUING_BODY = 200  # "ỦY BAN NHÂN DÂN XÃ ĐỨC AN"
BODY_CODE = 20  # "UBND", in document numbers
PLACE_NAME = 100  # "Đức An", in "Đức An, ngày ..."
PROVINCE = 200
HIGHER_AUTHORITY = 200
RULE_PROFILE = 50  # the key of a rule profile ("cong-van-457")

# ---- accounts and devices -----------------------------------------------------------------

USERNAME = 64
USERNAME_MIN = 3
PASSWORD = 200
PASSWORD_MIN = 8
PASSWORD_HASH = 255  # an argon2 hash string
DEVICE_NAME = 200
SHA256_HEX = 64  # digests of tokens, cookies and files; CSRF tokens
# Who did something, as the audit log and the queue history keep it: "user:<id>:<name>"
# or "device:<id>:<name>" (server/auth.py, Actor.label).
ACTOR = PERSON_NAME + 100

# ---- documents, bulletins, reminders ------------------------------------------------------

DOCUMENT_NUMBER = 50  # "12/TB-UBND"
RECIPIENT = 300  # to whom a document was sent
NOTE = 500  # a note on a dispatch
BULLETIN_TITLE = 300
FILE_NAME = 255  # an uploaded file's original name
FILE_PATH = 500  # a stored file's path, relative to the data folder
MEDIA_TYPE = 50
ERROR = 500  # why a background job failed, as shown to people
EMAIL = 254  # RFC 5321
SMTP_HOST = 200
SMTP_USER = 200
SMTP_PASSWORD = 200
REMINDER_KEY = 120  # "conference:3:conclusion_notice"
REMINDER_RECIPIENTS = 1000  # the addresses a reminder went to, kept for the record (cut)

# ---- keys and codes stored by the server --------------------------------------------------

CODE = 20  # an enumeration's value: a role, a status, a kind, a format
LONG_CODE = 30  # a document's kind, a dispatch channel
SETTING_KEY = 80
AUDIT_ACTION = 80  # "queue.register_turn"
AUDIT_ENTITY = 40  # "speaking_turn"
AUDIT_ENTITY_ID = TURN_ID  # a row's id (an integer, or a turn's id, the longest)


def catalogue() -> dict[str, int]:
    """Every limit by lower-case name (served to the tablet as GET /api/catalogue)."""
    return {name.lower(): value for name, value in globals().items()
            if name.isupper() and isinstance(value, int) and not isinstance(value, bool)}
