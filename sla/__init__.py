"""The response-time SLA (SPEC §4), in two halves that never import each other's way:

* the pure half that ``tickets`` calls: ``calendars`` and ``deadlines`` (arithmetic, no Django),
  ``models`` (policies, calendars, holidays as data), ``policies`` (a ticket's target and
  deadlines);
* the jobs half that imports ``tickets``: ``jobs`` (warnings and breaches flagged exactly once)
  and ``tasks`` (Celery beat's entry point).
"""
