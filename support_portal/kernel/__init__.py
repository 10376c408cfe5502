"""The kernel: plumbing every feature shares and no feature owns.

``errors`` (domain errors services raise), ``api`` (the JSON error format, pagination, strict
PATCH input), ``queueing`` (after-commit Celery nudges that never fail a request), ``files``
(upload hashing and the one download response for private files) and ``forms`` (service errors
onto forms). It imports Django, DRF and Celery only — never ``accounts``, ``tickets`` or
``sla`` — so every app may import it (an import contract in ``pyproject.toml`` checks this).
"""
