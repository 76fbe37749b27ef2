# A small, non-root image that runs `webex-bot serve` on port 3000.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install --no-cache-dir --prefix=/install .

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 webexbot
COPY --from=build /install /usr/local
USER webexbot
WORKDIR /home/webexbot
ENV PYTHONUNBUFFERED=1 \
    DATABASE_URL=sqlite+aiosqlite:////home/webexbot/data/webex-bot.db
RUN mkdir -p /home/webexbot/data
VOLUME ["/home/webexbot/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:3000/healthz', timeout=2).status == 200 else 1)"
CMD ["webex-bot", "serve", "--host", "0.0.0.0", "--port", "3000"]
