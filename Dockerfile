# syntax=docker/dockerfile:1
# Build: docker build -t hrv-session .
# Run:   docker run -p 8000:8000 -e HRV_DATABASE_URL=postgresql://... hrv-session

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY pyproject.toml README.md requirements.lock ./
COPY hrv ./hrv
COPY app ./app
RUN pip install --upgrade pip wheel && pip install -c requirements.lock ".[service]"

FROM python:3.11-slim AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HRV_HOST=0.0.0.0 \
    HRV_PORT=8000 \
    HRV_DATABASE_URL=sqlite:////data/hrv.db
RUN groupadd --system hrv && useradd --system --gid hrv --home-dir /data hrv \
    && mkdir -p /data && chown hrv:hrv /data
COPY --from=build /opt/venv /opt/venv
USER hrv
WORKDIR /data
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=4).status == 200 else 1)"
CMD ["hrv-service", "serve", "--workers", "2"]
