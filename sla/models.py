"""Response-time SLA policies, calendars and deadline arithmetic (SPEC §4)."""
