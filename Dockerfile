# syntax=docker/dockerfile:1
# articlebot: the Telegram bot (or, with another command, a `chroma run` server of the same chromadb).
# Built from uv.lock by the same command CI uses (`make sync`, i.e. `uv sync --locked`), without dev tools.
ARG PYTHON_VERSION=3.11

FROM python:${PYTHON_VERSION}-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends make && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# The image's own Python only: uv must never download another interpreter.
ENV UV_PYTHON_DOWNLOADS=never UV_LINK_MODE=copy UV_COMPILE_BYTECODE=1
COPY Makefile pyproject.toml uv.lock README.md LICENSE ./
COPY articlebot/ articlebot/
COPY bot/ bot/
COPY retrieval/ retrieval/
COPY prompts/ prompts/
COPY articles/ articles/
RUN --mount=type=cache,target=/root/.cache/uv make sync SYNC_ARGS=--no-dev

FROM python:${PYTHON_VERSION}-slim AS runtime
RUN useradd --system --uid 10001 --user-group --create-home --home-dir /home/articlebot articlebot
WORKDIR /app
COPY --from=build /app /app
RUN rm -rf /app/.tools && mkdir -p /app/var /app/chroma && chown articlebot:articlebot /app/var /app/chroma
ENV PATH=/app/.venv/bin:$PATH PYTHONUNBUFFERED=1 \
    ARTICLEBOT_DATA_DIR=/app/var ARTICLEBOT_METRICS_LISTEN=0.0.0.0 ARTICLEBOT_WEBHOOK_LISTEN=0.0.0.0
USER articlebot
# Index, chat history and stats (with a Chroma server, only history and stats).
VOLUME ["/app/var"]
# 8443: webhook mode (behind a TLS proxy); 9464: /healthz and /metrics.
EXPOSE 8443 9464
HEALTHCHECK --interval=30s --timeout=15s --start-period=120s --retries=3 CMD ["articlebot", "health"]
CMD ["articlebot", "run"]
