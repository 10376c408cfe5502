"""The kernel: plumbing every feature shares and no feature owns.

``errors`` (domain errors services raise), ``api`` (the JSON error format, pagination, strict
PATCH input), ``queueing`` (after-commit Celery nudges that never fail a request), ``files``
(upload hashing and the one download response for private files), ``forms`` (service errors
onto forms), ``transactions`` (a transaction retried on deadlock or serialization failure),
``parsers`` (JSON bodies with size and depth limits) and ``probes`` (figures apps add to
``/readyz``). It imports Django, DRF and Celery only — never ``accounts``, ``tickets`` or
``sla`` — so every app may import it (an import contract in ``pyproject.toml`` checks this).
"""
