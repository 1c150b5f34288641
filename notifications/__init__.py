"""Telling trainees what happened to their applications: the outbox, and the senders that empty it."""
