"""Actions on the deadline reminders: send today's e-mail reminders now."""
