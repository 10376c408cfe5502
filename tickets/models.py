"""Tickets, comments, attachments and the timeline (SPEC §3)."""
