# syntax=docker/dockerfile:1.7
# One image for every Skyway deployable: DJANGO_SETTINGS_MODULE picks flights, reservations,
# gateway or platform at run time. Build: docker build -t skyway:$(git rev-parse --short HEAD) .

ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm

# ---- builder: compilers and headers live here only (mysqlclient needs them) ----
FROM ${PYTHON_IMAGE} AS builder
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential=12.9 libmariadb-dev=1:10.11.* pkg-config=1.8.* \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /build
COPY requirements.txt .
# Wheels for every pinned runtime dependency; the runtime stage installs them without compiling.
RUN pip wheel --wheel-dir /wheels -r requirements.txt

# ---- runtime: slim, non-root, no compilers ----
FROM ${PYTHON_IMAGE} AS runtime
ARG RELEASE_ID=dev
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=settings.platform \
    SKYWAY_VAR_DIR=/tmp/skyway \
    RELEASE_ID=${RELEASE_ID} \
    PORT=8000
# libmariadb3 is the only native library mysqlclient needs at run time.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libmariadb3=1:10.11.* \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 skyway \
    && useradd --system --uid 10001 --gid skyway --no-create-home --home-dir /app --shell /usr/sbin/nologin skyway
COPY --from=builder /wheels /wheels
RUN pip install --no-index --find-links /wheels /wheels/*.whl && rm -rf /wheels
WORKDIR /app
COPY --chown=root:root manage.py ./
COPY --chown=root:root settings ./settings
COPY --chown=root:root skyway ./skyway
COPY --chown=root:root flights ./flights
COPY --chown=root:root reservations ./reservations
COPY --chown=root:root gateway ./gateway
# Static files are collected at build time (whitenoise serves them). DEBUG=1 exists only for this
# RUN step (it lets settings load without a SECRET_KEY) and is not part of the image's environment.
RUN DEBUG=1 python manage.py collectstatic --noinput \
    && python -m compileall -q /app
# Code is owned by root and read-only for the app user; writable state goes to /tmp (an emptyDir in k8s),
# the launcher's Prometheus multiprocess directory included (/tmp/skyway/metrics/serve-<pid>, docs/adr/0123).
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/ping' % os.environ.get('PORT', '8000'), timeout=2)"]
# The one launcher (docs/adr/0060): it reads PORT, WEB_WORKERS, WEB_THREADS and WEB_GRACEFUL_TIMEOUT
# from the environment (defaults per deployable) and execs the server, which then gets the signals.
CMD ["python", "-m", "skyway.serve", "--host", "0.0.0.0"]
