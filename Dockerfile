# The support portal image: web (gunicorn), Celery worker and Celery beat all run from it.
# docker-compose.yml sets the production settings through environment variables.
FROM python:3.11-slim

# PYTHONPATH: import the project from /app, not from the copy `pip install .` puts in
# site-packages. settings.BASE_DIR comes from __file__, and templates/, static/ and locale/
# exist only in /app.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app \
    MPLCONFIGDIR=/tmp/matplotlib

# gettext provides msgfmt for compilemessages; Pango, HarfBuzz's subsetter and DejaVu are what
# WeasyPrint needs to print the monthly service reviews (Makefile `pdf-libs` installs the same).
RUN apt-get update \
    && apt-get install --yes --no-install-recommends gettext \
       libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 portal \
    && useradd --system --uid 10001 --gid portal --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin portal

WORKDIR /app

# Dependencies first, so changes to templates or tests don't reinstall them.
COPY pyproject.toml ./
COPY support_portal ./support_portal
COPY accounts ./accounts
COPY tickets ./tickets
COPY sla ./sla
RUN pip install . \
    && rm -rf build ./*.egg-info

COPY . .

# Build-time steps only. The throwaway SECRET_KEY exists just for these two RUN commands, and
# DEBUG stays unset so collectstatic writes the hashed manifest that production serves. The
# source, static files and messages stay root-owned. The app user can write only to var/.
RUN SECRET_KEY=build-only python manage.py compilemessages -v 0
RUN SECRET_KEY=build-only python manage.py collectstatic --noinput -v 0
RUN mkdir -p /app/var/private \
    && chown -R portal:portal /app/var

USER portal

EXPOSE 8000

CMD ["gunicorn", "support_portal.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
