"""Actions on per-turn recordings: listening to one (each listen is in the audit log)."""
