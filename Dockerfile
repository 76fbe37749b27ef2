# syntax=docker/dockerfile:1
# A small, non-root image that runs `webex-bot serve` on port 3000. The default target is the production
# image, without the Webex emulator and the sandbox; the `emulator` target serves the emulator alone
# (compose.yaml's `emulator` profile). Build: docker build -t webex-bot .

# Pinned by version tag and by the digest of its multi-architecture index (Debian 12, Python 3.11, the
# Python the constraints are compiled for). A newer base is a deliberate change: update both together.
ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm@sha256:65a93d69fa75478d554f4ad27c85c1e69fa184956261b4301ebaf6dbb0a3543d

FROM ${PYTHON_IMAGE} AS base
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# The dependency layer: only pyproject.toml and constraints.txt reach it, so a code change reuses it.
FROM base AS dependencies
WORKDIR /src
COPY pyproject.toml constraints.txt ./
RUN python -c "import tomllib; print(*tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies'], sep='\n')" > requirements.txt \
 && python -m venv /opt/webex-bot \
 && /opt/webex-bot/bin/python -m pip install --no-cache-dir --requirement requirements.txt --constraint constraints.txt

# The code: one wheel with everything, one without the emulator and the sandbox (development tools).
FROM base AS source
WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY bot ./bot

FROM source AS wheel-full
RUN python -m pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM source AS wheel-production
RUN rm -r bot/emulator bot/sandbox \
 && python -m pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM base AS runtime
RUN groupadd --gid 10001 webexbot \
 && useradd --create-home --uid 10001 --gid 10001 webexbot
COPY --from=dependencies /opt/webex-bot /opt/webex-bot
ENV PATH=/opt/webex-bot/bin:$PATH
WORKDIR /home/webexbot

# Tries the bot against a local Webex site; never part of a production deployment.
FROM runtime AS emulator
RUN --mount=type=bind,from=wheel-full,source=/wheels,target=/wheels \
    pip install --no-cache-dir --no-deps /wheels/*.whl
USER 10001:10001
EXPOSE 8900
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD ["python", "-c", "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8900/healthz', timeout=2).status == 200 else 1)"]
CMD ["webex-bot", "emulator", "--host", "0.0.0.0", "--port", "8900"]

FROM runtime AS production
ARG PYTHON_IMAGE
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="webex-bot" \
      org.opencontainers.image.description="A Slack app that lets people schedule and run their Webex meetings from chat." \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.base.name="${PYTHON_IMAGE}"
RUN --mount=type=bind,from=wheel-production,source=/wheels,target=/wheels \
    pip install --no-cache-dir --no-deps /wheels/*.whl \
 && mkdir -p /home/webexbot/data \
 && chown 10001:10001 /home/webexbot/data
USER 10001:10001
ENV DATABASE_URL=sqlite+aiosqlite:////home/webexbot/data/webex-bot.db
VOLUME ["/home/webexbot/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
  CMD ["python", "-c", "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:3000/healthz', timeout=2).status == 200 else 1)"]
# uvicorn drains on SIGTERM: requests in flight finish, then commands still running get
# SHUTDOWN_GRACE_SECONDS (25 s). Docker's own stop timeout is 10 s: run with --stop-timeout 45
# (compose.yaml sets stop_grace_period) or the drain is cut by SIGKILL.
STOPSIGNAL SIGTERM
CMD ["webex-bot", "serve", "--host", "0.0.0.0", "--port", "3000"]
