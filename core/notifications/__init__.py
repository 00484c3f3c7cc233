"""Notifications: the outbox every message goes through (recorded before it is sent, sent once)."""
