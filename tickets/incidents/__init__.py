"""Major incidents (SPEC §13): one problem hitting many customers, handled once — the staff
pages and API, the fan-out of updates to every linked ticket (Celery), and the banner that the
contacts of affected companies see on every page."""
