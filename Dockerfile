# One image for the API and the worker (docker-compose.yml picks the command).
# The viewers Cockpit and Tasklist draw with come from npm (web/package-lock.json).
FROM node:20-slim AS web
WORKDIR /web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund && touch node_modules/.installed

FROM python:3.11-slim AS base
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl \
 && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml README.md ./
COPY clients/python ./clients/python
COPY baton ./baton
COPY bpmn_compiler ./bpmn_compiler
COPY workflows ./workflows
COPY activities ./activities
COPY api ./api
COPY store ./store
COPY letsflow ./letsflow
COPY contracts ./contracts
COPY core ./core
COPY dmn ./dmn
COPY expressions ./expressions
COPY operations ./operations
COPY web/pages ./web/pages
COPY web/src ./web/src
COPY --from=web /web/node_modules ./web/node_modules
ENV BATON_WEB_DIR=/app/web
RUN pip install ./clients/python . && useradd --system --uid 10001 baton
USER baton
EXPOSE 8000
CMD ["baton", "serve"]
