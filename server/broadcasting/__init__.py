"""The broadcast inside the server: controls (controls.py) and per-turn recordings
(recordings.py)."""

from server.broadcasting.controls import FOLLOWED, follow_queue, setup
from server.broadcasting.recordings import expire_recordings, record_turn

__all__ = ["FOLLOWED", "expire_recordings", "follow_queue", "record_turn", "setup"]
