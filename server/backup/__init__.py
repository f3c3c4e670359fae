"""Backups that restore: the database (SQLite's online backup or ``pg_dump``) and the data
folder's files in one folder with a manifest of SHA-256 sums; a restore that checks every
sum first; a nightly copy with a retention count.

``backup.py`` holds the rules (the manifest, names, retention, the schedule, the status),
``store.py`` the reading and writing around them, ``web.py`` the nightly job and
``GET /api/backups/status``.
"""
