"""The speaking queue inside the server: its in-memory state and transports."""
