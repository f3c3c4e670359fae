"""After the conference: deadlines and official documents (command-line side)."""
