# syntax=docker/dockerfile:1
# Build stage: install Plantbot and its dependencies into a virtualenv.
FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
RUN python -m venv /opt/plantbot
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY storage ./storage
COPY plantid ./plantid
COPY sandbox ./sandbox
RUN /opt/plantbot/bin/pip install .

# Runtime stage: only the virtualenv, run as an unprivileged user, data on a volume.
FROM python:3.11-slim
# A numeric user (and group) id: the runtime can check it is not root without /etc/passwd.
RUN groupadd --gid 10001 plantbot \
    && useradd --uid 10001 --gid 10001 --create-home plantbot \
    && mkdir /data \
    && chown 10001:10001 /data
COPY --from=build /opt/plantbot /opt/plantbot
# DATABASE_PATH points at the volume; .env.example leaves it unset so this value wins.
ENV PATH=/opt/plantbot/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    DATABASE_PATH=/data/plantbot.sqlite3
USER 10001:10001
WORKDIR /home/plantbot
VOLUME ["/data"]
# Long polling needs no open port. With HEALTH_PORT set, or in webhook mode (WEBHOOK_URL and
# LISTEN_PORT), the check asks the bot's /healthz; otherwise there is nothing to ask and it passes.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-m", "bot.healthcheck"]
# SIGTERM stops the bot cleanly; pending work resumes on start.
STOPSIGNAL SIGTERM
CMD ["plantbot", "run"]
