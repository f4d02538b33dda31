"""REST for warning letters: download an alert's letter, and record that it was sent.

    GET  /api/alerts/{id}/warning-letter        the printable letter (HTML), as a download;
                                                ?inline=true to show it (and print it)
    POST /api/alerts/{id}/warning-letter/sent   {"comment": how and to whom}: a trail step

Both need a supervisor; an alert not closed as a warning letter answers 409.
"""

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse

from surveillance.alerts_api import AlertView, Step, refusals
from surveillance.http_responses import documented
from surveillance.store_thread import StoreThread
from surveillance.warning_letter import letter_html
from surveillance.workflow import Action, User, require_supervisor


def warning_letters_router(
    store: StoreThread, current_user: Callable[..., User], clock: Callable[[], int]
) -> APIRouter:
    router = APIRouter(
        prefix="/api/alerts", tags=["surveillance"], responses=documented(401, 403, 404, 409, 429)
    )
    Supervisor = Annotated[User, Depends(current_user)]

    @router.get("/{alert_id}/warning-letter", response_class=HTMLResponse)
    async def letter(alert_id: str, user: Supervisor, inline: bool = False) -> HTMLResponse:
        now = clock()
        with refusals():
            require_supervisor(user)
            page = await store(
                lambda alerts: letter_html(alerts.get(alert_id), alerts.trail(alert_id), now)
            )
        disposition = "inline" if inline else "attachment"
        return HTMLResponse(
            page,
            headers={
                "Content-Disposition": f'{disposition}; filename="warning-letter-{alert_id}.html"'
            },
        )

    @router.post("/{alert_id}/warning-letter/sent")
    async def sent(alert_id: str, body: Step, user: Supervisor) -> AlertView:
        now = clock()
        with refusals():
            stored = await store(
                lambda alerts: alerts.act(alert_id, Action.LETTER_SENT, user, body.comment, now)
            )
        return AlertView.of(stored)

    return router
