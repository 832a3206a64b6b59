# syntax=docker/dockerfile:1
# One image for every wiseevp service; docker-compose.yml picks the command:
#   python -m ev_wrapper | python -m evse_wrapper | python -m rt_monitor | python -m rt_monitor migrate
#   | wiseevp <cmd>
# The build stage installs the locked uv workspace (uv.lock); the runtime stage is a slim
# Python with that virtual environment only, run as an unprivileged user.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm
ARG UV_IMAGE=ghcr.io/astral-sh/uv:0.13.8

FROM ${UV_IMAGE} AS uv

# -- manifests: what dependency resolution needs (pyproject.toml files, uv.lock), so that
#    the dependency layer below is rebuilt when they change, not on every source edit
FROM ${PYTHON_IMAGE} AS manifests
WORKDIR /src
COPY . .
RUN find . -type f ! -name pyproject.toml ! -name uv.lock ! -name README.md -delete \
    && find . -mindepth 1 -type d -empty -delete

# -- build: the locked dependencies, then the workspace packages (not editable)
FROM ${PYTHON_IMAGE} AS build
COPY --from=uv /uv /usr/local/bin/uv
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3.11 \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /src
COPY --from=manifests /src ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --locked --no-dev --all-packages --no-install-workspace
COPY . .
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --locked --no-dev --all-packages --no-editable

# -- runtime: slim, no build tools, no sources, non-root
FROM ${PYTHON_IMAGE} AS runtime
RUN groupadd --system --gid 10001 wiseevp \
    && useradd --system --uid 10001 --gid wiseevp --no-create-home \
       --home-dir /nonexistent --shell /usr/sbin/nologin wiseevp
COPY --from=build /app/.venv /app/.venv
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    WISEEVP_HTTP_HOST=0.0.0.0 \
    WISEEVP_HTTP_PORT=8080
WORKDIR /app
USER 10001:10001
EXPOSE 8080
CMD ["wiseevp"]
