"""The alert REST endpoints through FastAPI's TestClient, on SQLite and PostgreSQL.

The store lives on its `StoreThread`, as in the gateway; the test records alerts through
it. The user comes from an `X-User: name/role` header, standing in for the gateway's
authentication.
"""

from collections.abc import Iterator
from typing import Annotated

import pytest
from fastapi import FastAPI, Header
from fastapi.testclient import TestClient

from settlement.database import open_database
from surveillance.alerts_api import alerts_router
from surveillance.store_thread import StoreThread
from tests.surveillance.alert_builders import CLERK, LI, OPEN, WANG, Person, S, sighting

SPOOF = sighting("spoofing", accounts=("A1",), start_s=0, end_s=60, score=90, order_ids=(1, 2))
LAYER = sighting("layering", accounts=("A1", "A3"), start_s=200, end_s=210, score=75)
RAMP = sighting("ramping", accounts=("A3",), start_s=300, end_s=600, score=60)
FLOOD = sighting(
    "message_flooding", accounts=("A6",), instrument="", start_s=800, end_s=801, score=20
)


def current_user(x_user: Annotated[str, Header()]) -> Person:
    name, _, role = x_user.partition("/")
    return Person(name, role)


def as_(user: Person) -> dict[str, str]:
    return {"X-User": f"{user.name}/{user.role}"}


class Clock:
    """Each reading one second later, from the open."""

    def __init__(self):
        self.now = OPEN + 1000 * S

    def __call__(self) -> int:
        self.now += S
        return self.now


class Desk:
    def __init__(self, client: TestClient, store: StoreThread, clock: Clock):
        self.client = client
        self.store = store
        self.clock = clock

    def post(self, path: str, user: Person = LI, **body) -> tuple[int, dict]:
        response = self.client.post("/api" + path, json=body, headers=as_(user))
        return response.status_code, response.json()

    def get(self, path: str, user: Person = LI, **params) -> dict:
        response = self.client.get("/api" + path, params=params, headers=as_(user))
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture
def desk(database_url: str) -> Iterator[Desk]:
    store = StoreThread(lambda: open_database(database_url))
    store.run(lambda alerts: alerts.record([SPOOF, LAYER, RAMP, FLOOD], OPEN + 900 * S))
    clock = Clock()
    app = FastAPI()
    app.include_router(alerts_router(store, current_user, clock))
    with TestClient(app) as client:
        yield Desk(client, store, clock)
    store.close()


def _ids(page: dict) -> list[str]:
    return [alert["id"] for alert in page["alerts"]]


def test_the_queue_lists_highest_score_first_with_the_alert_fields(desk):
    page = desk.get("/alerts")
    assert (page["total"], page["limit"], page["offset"]) == (4, 50, 0)
    assert _ids(page) == [SPOOF.id, LAYER.id, RAMP.id, FLOOD.id]
    first = page["alerts"][0]
    assert first["status"] == "new" and first["assignee"] == "" and first["disposition"] is None
    assert first["accounts"] == ["A1"] and first["order_ids"] == [1, 2]
    assert first["evidence"] == {"size_multiple": 7.5, "threshold": 5.0, "orders": 2}
    assert first["window_start"] == SPOOF.window_start and first["reason"] == SPOOF.reason


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"pattern": "layering"}, [LAYER.id]),
        ({"account": "A3"}, [LAYER.id, RAMP.id]),
        ({"min_score": 60, "max_score": 80}, [LAYER.id, RAMP.id]),
        ({"instrument": "TJEA2026", "account": "A1"}, [SPOOF.id, LAYER.id]),
        ({"since": OPEN + 205 * S, "until": OPEN + 800 * S}, [LAYER.id, RAMP.id, FLOOD.id]),
        ({"status": ["new", "closed"], "limit": 2, "offset": 1}, [LAYER.id, RAMP.id]),
    ],
)
def test_the_queue_filters_and_pages(desk, params, expected):
    assert _ids(desk.get("/alerts", **params)) == expected


def test_filters_by_status_and_assignee_follow_the_workflow(desk):
    desk.post(f"/alerts/{RAMP.id}/assign", comment="please look", assignee=WANG.name)
    assert _ids(desk.get("/alerts", status="in_review")) == [RAMP.id]
    assert _ids(desk.get("/alerts", assignee=WANG.name)) == [RAMP.id]
    assert desk.get("/alerts", status="new")["total"] == 3


def test_a_supervisor_works_an_alert_to_a_warning_letter(desk):
    heard = []
    desk.store.run(
        lambda alerts: alerts.subscribe(
            lambda stored, entry: heard.append((entry.action, stored.status))
        )
    )
    steps = [
        ("review", LI, {"comment": "taking it"}, "in_review"),
        ("comments", LI, {"comment": "bid 7.5x the median"}, "in_review"),
        ("escalate", LI, {"comment": "three times today", "assignee": WANG.name}, "escalated"),
        ("close", WANG, {"comment": "first offence", "disposition": "warning_letter"}, "closed"),
    ]
    for path, user, body, status in steps:
        code, alert = desk.post(f"/alerts/{SPOOF.id}/{path}", user, **body)
        assert (code, alert["id"], alert["status"]) == (200, SPOOF.id, status)
    detail = desk.get(f"/alerts/{SPOOF.id}")
    assert detail["alert"]["status"] == "closed"
    assert detail["alert"]["disposition"] == "warning_letter"
    assert detail["alert"]["assignee"] == WANG.name
    trail = detail["trail"]
    assert [(e["action"], e["actor"], e["to_status"]) for e in trail] == [
        ("raised", "surveillance", "new"),
        ("start_review", LI.name, "in_review"),
        ("comment", LI.name, "in_review"),
        ("escalate", LI.name, "escalated"),
        ("close", WANG.name, "closed"),
    ]
    assert [e["comment"] for e in trail[1:]] == [body["comment"] for _, _, body, _ in steps]
    assert [e["ts"] for e in trail[1:]] == [OPEN + (1000 + n) * S for n in range(1, 5)]
    assert heard == [
        ("start_review", "in_review"),
        ("comment", "in_review"),
        ("escalate", "escalated"),
        ("close", "closed"),
    ]


def _close(desk: Desk, alert_id: str) -> None:
    desk.post(f"/alerts/{alert_id}/review", comment="mine")
    desk.post(f"/alerts/{alert_id}/close", comment="hedge", disposition="no_action")


@pytest.mark.parametrize(
    ("prepare", "path", "user", "body", "status", "reason"),
    [
        (
            _close,
            "close",
            LI,
            {"comment": "again", "disposition": "no_action"},
            409,
            "already_closed",
        ),
        (_close, "assign", LI, {"comment": "reopen", "assignee": WANG.name}, 409, "already_closed"),
        (None, "close", LI, {"comment": "fine", "disposition": "no_action"}, 409, "review_first"),
        (None, "escalate", LI, {"comment": "urgent"}, 409, "review_first"),
        (None, "review", LI, {}, 422, "no_comment"),
        (None, "review", LI, {"comment": "  "}, 422, "no_comment"),
        (None, "assign", LI, {"comment": "yours"}, 422, "bad_assignee"),
        (None, "review", CLERK, {"comment": "let me"}, 403, "not_supervisor"),
        (None, "comments", CLERK, {"comment": "hello"}, 403, "not_supervisor"),
    ],
)
def test_a_refused_step_answers_why_and_changes_nothing(
    desk, prepare, path, user, body, status, reason
):
    if prepare:
        prepare(desk, SPOOF.id)
    before = desk.get(f"/alerts/{SPOOF.id}")
    code, answer = desk.post(f"/alerts/{SPOOF.id}/{path}", user, **body)
    assert code == status
    assert answer["detail"]["reason"] == reason and answer["detail"]["message"]
    assert desk.get(f"/alerts/{SPOOF.id}") == before


def test_a_closing_without_a_known_disposition_is_refused_by_validation(desk):
    desk.post(f"/alerts/{SPOOF.id}/review", comment="mine")
    before = desk.get(f"/alerts/{SPOOF.id}")
    code, answer = desk.post(f"/alerts/{SPOOF.id}/close", comment="done", disposition="fine")
    assert code == 422
    assert answer["detail"][0]["loc"] == ["body", "disposition"]
    assert desk.get(f"/alerts/{SPOOF.id}") == before


def test_an_unknown_alert_is_404(desk):
    assert desk.client.get("/api/alerts/spoofing-missing", headers=as_(LI)).status_code == 404
    code, answer = desk.post("/alerts/spoofing-missing/review", comment="mine")
    assert (code, answer["detail"]["reason"]) == (404, "unknown_alert")


def test_a_merged_duplicate_id_opens_the_kept_alert(desk):
    duplicate = sighting("spoofing", accounts=("A1",), start_s=30, end_s=120, score=95)
    desk.store.run(lambda alerts: alerts.record([duplicate], OPEN + 950 * S))
    detail = desk.get(f"/alerts/{duplicate.id}")
    assert detail["alert"]["id"] == SPOOF.id and detail["alert"]["score"] == 95
    assert detail["trail"][-1]["action"] == "merged"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/alerts"),
        ("get", f"/alerts/{SPOOF.id}"),
        ("get", "/parameters"),
        ("get", "/parameters/spoofing"),
    ],
)
def test_only_supervisors_read(desk, method, path):
    response = desk.client.request(method, "/api" + path, headers=as_(CLERK))
    assert response.status_code == 403
    assert response.json()["detail"]["reason"] == "not_supervisor"


def test_a_request_without_a_user_is_refused(desk):
    assert (
        desk.client.get("/api/alerts").status_code == 422
    )  # the test's dependency wants the header


def test_bad_query_values_are_refused(desk):
    response = desk.client.get("/api/alerts", params={"min_score": 101}, headers=as_(LI))
    assert response.status_code == 422
    response = desk.client.get("/api/alerts", params={"status": "open"}, headers=as_(LI))
    assert response.status_code == 422


def test_parameters_are_listed_changed_with_an_audit_and_read_back(desk):
    sets = desk.get("/parameters")
    assert len(sets) == 14
    spoofing = next(s for s in sets if s["pattern"] == "spoofing")
    assert spoofing["version"] == 1 and spoofing["values"]["size_multiple"] == 5.0
    response = desk.client.patch(
        "/api/parameters/spoofing",
        json={"values": {"size_multiple": 6.5}, "comment": "too many alerts on thin books"},
        headers=as_(WANG),
    )
    assert response.status_code == 200
    assert response.json()["version"] == 2 and response.json()["values"]["size_multiple"] == 6.5
    detail = desk.get("/parameters/spoofing")
    assert detail["current"]["version"] == 2
    (change,) = detail["history"]
    assert (change["actor"], change["comment"], change["ts"]) == (
        WANG.name,
        "too many alerts on thin books",
        OPEN + 1001 * S,
    )
    assert (
        change["previous"]["size_multiple"] == 5.0 and change["parameters"]["size_multiple"] == 6.5
    )


@pytest.mark.parametrize(
    ("pattern", "body", "user", "status", "reason"),
    [
        ("spoofing", {"values": {"size_multiple": 0}, "comment": "why"}, LI, 422, "bad_parameter"),
        ("spoofing", {"values": {"size": 6}, "comment": "typo"}, LI, 422, "bad_parameter"),
        ("spoofing", {"values": {"size_multiple": 6.0}}, LI, 422, "no_comment"),
        (
            "spoofing",
            {"values": {"size_multiple": 6.0}, "comment": "x"},
            CLERK,
            403,
            "not_supervisor",
        ),
        ("wash", {"values": {"x": 1}, "comment": "new"}, LI, 404, "unknown_pattern"),
    ],
)
def test_a_bad_parameter_change_answers_why_and_changes_nothing(
    desk, pattern, body, user, status, reason
):
    response = desk.client.patch(f"/api/parameters/{pattern}", json=body, headers=as_(user))
    assert response.status_code == status
    assert response.json()["detail"]["reason"] == reason
    detail = desk.get("/parameters/spoofing")
    assert detail["current"]["version"] == 1 and detail["history"] == []
