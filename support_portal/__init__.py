"""The composition root: settings, every address (``urls``), the Celery app, the role-dispatching
home page, ``seed_demo``, and the small ``kernel`` every app may import (it imports none)."""

from .celery import app as celery_app

__all__ = ["celery_app"]
