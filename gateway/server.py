"""The HTTP side of the gateway: one FastAPI application for REST, metrics and health.

The FIX websocket, the market-data feed and the dashboard mount here too, so a member, a
supervisor and Prometheus all reach the exchange on one port.
"""

from collections.abc import Callable

from fastapi import FastAPI, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from engine.reference import ReferenceData
from gateway.admin_api import RegistryRead, admin_router
from gateway.clock import Clock
from gateway.gateway_service import GatewayService
from gateway.public_api import public_router
from gateway.supervisor_auth import SupervisorAuth


def create_app(
    reference: ReferenceData,
    gateway: GatewayService,
    auth: SupervisorAuth,
    clock: Clock,
    read_registry: RegistryRead,
    health: Callable[[], dict],
) -> FastAPI:
    app = FastAPI(
        title="tcx — Tianjin carbon exchange",
        summary="Reference data, market data and supervisors' administration",
        version="0.1.0",
    )
    app.include_router(public_router(reference))
    app.include_router(admin_router(gateway, reference, auth, clock, read_registry))

    @app.get("/health", tags=["operations"])
    async def healthcheck() -> JSONResponse:
        status = health()
        return JSONResponse(status, status_code=200 if status["ok"] else 503)

    @app.get("/metrics", tags=["operations"], include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return app
