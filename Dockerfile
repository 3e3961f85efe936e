# One image for every Bazaar process: web (the default command), worker, beat and migrations
# (compose.yaml and the README's Production section show each command).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    FLASK_APP=wsgi \
    BAZAAR_INSTANCE_DIR=/var/lib/bazaar \
    PROMETHEUS_MULTIPROC_DIR=/tmp/bazaar-metrics

RUN useradd --system --uid 10001 --user-group --home-dir /var/lib/bazaar --create-home bazaar

WORKDIR /app
# The lock file first, so a code change does not reinstall the dependencies.
COPY requirements.txt ./
RUN pip install -r requirements.txt
COPY . .
# The committed .mo catalogs, compiled again from the .po files they are made from.
RUN pybabel compile -d bazaar/translations --statistics && python -m compileall -q bazaar worker

USER bazaar
EXPOSE 8000
CMD ["gunicorn", "-c", "deploy/gunicorn.conf.py", "--bind", "0.0.0.0:8000", "wsgi:app"]
