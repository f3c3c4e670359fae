"""Actions on the speaking queue."""
