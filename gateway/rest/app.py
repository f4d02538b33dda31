"""The HTTP side of the exchange: one FastAPI application for whatever runs in the process.

The gateway contributes the FIX websocket and the supervisors' administration, surveillance
the alerts, market data and the dashboard; every process answers /health and /metrics, so
members, supervisors and Prometheus each reach what they need on one port.
"""

from collections.abc import Callable, Sequence

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from surveillance.registry_connection import RegistryUnavailable


def create_app(routers: Sequence[APIRouter], health: Callable[[], dict]) -> FastAPI:
    app = FastAPI(
        title="tcx — Tianjin carbon exchange",
        summary="Reference data, market data, surveillance and administration",
        version="0.1.0",
    )
    for router in routers:
        app.include_router(router)

    @app.exception_handler(RegistryUnavailable)
    async def registry_unavailable(_: Request, exc: RegistryUnavailable) -> JSONResponse:
        detail = f"the registry database is unavailable, nothing was changed; retry: {exc}"
        return JSONResponse({"detail": detail}, status_code=503, headers={"Retry-After": "5"})

    @app.get("/health", tags=["operations"])
    async def healthcheck() -> JSONResponse:
        status = health()
        return JSONResponse(status, status_code=200 if status["ok"] else 503)

    @app.get("/metrics", tags=["operations"], include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return app
