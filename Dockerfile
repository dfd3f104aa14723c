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
RUN useradd --create-home --uid 10001 plantbot && mkdir /data && chown plantbot /data
COPY --from=build /opt/plantbot /opt/plantbot
ENV PATH=/opt/plantbot/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    DATABASE_PATH=/data/plantbot.sqlite3
USER plantbot
WORKDIR /home/plantbot
VOLUME ["/data"]
# Long polling needs no open port. SIGTERM stops the bot cleanly; pending work resumes on start.
STOPSIGNAL SIGTERM
CMD ["plantbot", "run"]
