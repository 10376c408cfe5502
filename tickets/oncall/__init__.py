"""The on-call rota and paging (SPEC §11): rotations, overrides and the paging policy (API,
the ``/oncall/`` page), the pages list and acknowledgement, escalation and webhook delivery
(Celery). The paging rules themselves live in the ticket core (``tickets.paging``,
``tickets.rota``)."""
