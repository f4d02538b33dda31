"""The refusals an HTTP operation may answer, named in the OpenAPI document so a caller
(and schemathesis) knows every status it can get. Each router lists those it gives."""

_DESCRIPTIONS = {
    401: "no credentials, unknown user, wrong password, or not a supervisor's login",
    403: "a supervisor's action this user may not take",
    404: "no such instrument, account, alert, pattern or statement",
    409: "the alert is not in a state that allows this action",
    422: "the request is refused: its `detail` names the reason",
    429: "too many failed logins from this address: retry after Retry-After seconds",
    503: "the registry database is unavailable; nothing was changed, retry",
    504: "the engine did not answer in time; the command may still be applied",
}


def documented(*codes: int) -> dict[int | str, dict]:
    """FastAPI `responses=` for these status codes."""
    return {code: {"description": _DESCRIPTIONS[code]} for code in codes}
