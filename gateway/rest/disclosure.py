"""Public disclosure over HTTP: read-only, no login, JSON and CSV, and a plain web page.

    GET /api/public/reports                          the index: every report, last publication
    GET /api/public/reports/{report}?from=&to=       its publications (current versions)
        &format=csv                                  ... as one CSV, a period column first
    GET /api/public/reports/{report}/{period}        one period's report, with every version
        ?version=N&format=csv
    GET /public, /public/{report}, /public/{report}/{period}   the same as pages
    POST /api/admin/disclosure/{report}/{period}/republish       a supervisor's correction

Only what was published by now is served: a period not yet published is unknown here. A
bad request gets 4xx with a reason code and a text, as the rest of the API.
"""

import csv
import datetime as dt
import html
import io
import re
from typing import Annotated, Literal

import msgspec
from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field

from gateway.clock import Clock
from gateway.disclosure.desk import DisclosureDesk
from gateway.disclosure.publications import Publication
from gateway.disclosure.report import Report
from gateway.rest.supervisor_auth import SupervisorAuth, User
from surveillance.http_responses import documented

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
Format = Annotated[Literal["json", "csv"], Query()]


class RepublishRequest(BaseModel):
    reason: str = Field("", description="what was corrected; required, shown publicly")


def _problem(status: int, reason: str, text: str) -> HTTPException:
    return HTTPException(status, {"reason": reason, "text": text})


def _date(name: str, value: str) -> str:
    try:
        if not _DATE.match(value):
            raise ValueError
        dt.date.fromisoformat(value)
    except ValueError:
        raise _problem(422, "bad_date", f"{name}: {value!r} is not a date YYYY-MM-DD") from None
    return value


def _utc(ns: int) -> str:
    return dt.datetime.fromtimestamp(ns / 1e9, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def publication_json(publication: Publication) -> dict:
    return msgspec.structs.asdict(publication) | {
        "published_utc": _utc(publication.published_ts),
        "superseded_utc": _utc(publication.superseded_ts) if publication.superseded_ts else None,
        "table": msgspec.structs.asdict(publication.table),
    }


def _csv(publications: list[Publication]) -> Response:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if publications:
        writer.writerow(["period", "version", "published_utc", *publications[0].table.columns])
    for publication in publications:
        published = _utc(publication.published_ts)
        for row in publication.table.rows:
            writer.writerow([publication.period, publication.version, published, *row])
    return Response(out.getvalue(), media_type="text/csv")


def disclosure_router(desk: DisclosureDesk, auth: SupervisorAuth, clock: Clock) -> APIRouter:
    router = APIRouter(tags=["public disclosure"], responses=documented(404, 503))
    Supervisor = Annotated[User, Depends(auth)]

    def known(name: str) -> Report:
        report = desk.reports.get(name)
        if report is None:
            raise _problem(404, "unknown_report", f"no report {name!r}; see /api/public/reports")
        return report

    async def index() -> list[dict]:
        now = clock.now()

        def read(source) -> list[dict]:
            entries = []
            for report in desk.reports.values():
                latest = source.publications.periods(report.name, now=now)[:1]
                entries.append(
                    {
                        "name": report.name,
                        "title": report.title,
                        "schedule": report.schedule,
                        "description": report.description,
                        "last_period": latest[0].period if latest else None,
                        "last_published_utc": _utc(latest[0].published_ts) if latest else None,
                    }
                )
            return entries

        return await desk(read)

    async def periods(name: str, first: str, last: str) -> list[Publication]:
        known(name)
        first = _date("from", first) if first else ""
        last = _date("to", last) if last else "9999-12-31"
        if first > last:
            raise _problem(422, "bad_range", f"from {first} is after to {last}")
        now = clock.now()
        return await desk(lambda source: source.publications.periods(name, first, last, now))

    async def versions(name: str, period: str) -> list[Publication]:
        known(name)
        _date("period", period)
        now = clock.now()
        found = await desk(lambda source: source.publications.versions(name, period))
        found = [p for p in found if p.published_ts <= now]
        if not found:
            raise _problem(404, "no_publication", f"{name} has no publication for {period}")
        return found

    @router.get("/api/public/reports")
    async def reports_index() -> list[dict]:
        return await index()

    @router.get("/api/public/reports/{name}")
    async def report_periods(
        name: str,
        first: Annotated[str, Query(alias="from")] = "",
        last: Annotated[str, Query(alias="to")] = "",
        format: Format = "json",
    ) -> Response:
        found = await periods(name, first, last)
        if format == "csv":
            return _csv(found)
        return Response(
            msgspec.json.encode([publication_json(p) for p in found]), media_type="application/json"
        )

    @router.get("/api/public/reports/{name}/{period}")
    async def report_period(
        name: str, period: str, version: Annotated[int, Query(ge=1)] | None = None,
        format: Format = "json",
    ) -> Response:  # fmt: skip
        found = await versions(name, period)
        chosen = (
            found[0] if version is None else next((p for p in found if p.version == version), None)
        )
        if chosen is None:
            raise _problem(404, "no_publication", f"{name} {period} has no version {version}")
        if format == "csv":
            return _csv([chosen])
        body = publication_json(chosen) | {
            "versions": [
                {"version": p.version, "published_utc": _utc(p.published_ts), "reason": p.reason,
                 "superseded_utc": _utc(p.superseded_ts) if p.superseded_ts else None}
                for p in found
            ]
        }  # fmt: skip
        return Response(msgspec.json.encode(body), media_type="application/json")

    @router.post(
        "/api/admin/disclosure/{name}/{period}/republish",
        status_code=201,
        responses=documented(401, 429),
    )
    async def republish(name: str, period: str, request: RepublishRequest, user: Supervisor):
        known(name)
        _date("period", period)
        reason = request.reason.strip()
        if not reason:
            raise _problem(422, "no_reason", "say what the correction is: a reason is required")
        try:
            corrected = await desk.republish(name, period, clock.now(), user.name, reason)
        except LookupError as missing:
            raise _problem(404, "no_publication", str(missing)) from None
        return publication_json(corrected)

    @router.get("/public", response_class=HTMLResponse, include_in_schema=False)
    async def index_page() -> HTMLResponse:
        entries = "".join(
            f"<li><a href='/public/{e['name']}'><strong>{_e(e['title'])}</strong></a> "
            f"<small>({_e(e['schedule'])})</small><br>{_e(e['description'])}<br><small>"
            + (
                f"last: {_e(e['last_period'])}, published {_e(e['last_published_utc'])}"
                if e["last_period"]
                else "not published yet"
            )
            + "</small></li>"
            for e in await index()
        )
        body = (
            "<h1>Tianjin carbon exchange: public reports</h1>"
            "<p>Published at the close of trading days; every correction is kept. "
            "JSON and CSV: <a href='/api/public/reports'>/api/public/reports</a>.</p>"
            f"<ul id='index' class='reports'>{entries}</ul>"
        )
        return _page("Public reports", body)

    @router.get("/public/{name}", response_class=HTMLResponse, include_in_schema=False)
    async def report_page(name: str) -> HTMLResponse:
        report = known(name)
        found = await periods(name, "", "")
        links = "".join(
            f"<li><a href='/public/{name}/{p.period}'>{p.period}</a> "
            f"<small>published {_utc(p.published_ts)}"
            f"{' · corrected' if p.version > 1 else ''}</small></li>"
            for p in found
        )
        latest = _table(found[0]) if found else "<p>Nothing published yet.</p>"
        body = (
            f"<p><a href='/public'>← All reports</a></p><h1>{_e(report.title)}</h1>"
            f"<p>{_e(report.description)}</p>{latest}<h2>Every period</h2>"
            f"<ul id='periods'>{links}</ul>"
            f"<p><a href='/api/public/reports/{name}?format=csv'>All periods as CSV</a></p>"
        )
        return _page(report.title, body)

    @router.get("/public/{name}/{period}", response_class=HTMLResponse, include_in_schema=False)
    async def period_page(name: str, period: str) -> HTMLResponse:
        report = known(name)
        found = await versions(name, period)
        history = "".join(
            f"<li class='{'current' if p.current else 'superseded'}'>version {p.version}, "
            f"published {_utc(p.published_ts)} by {_e(p.published_by)}"
            f"{': ' + _e(p.reason) if p.reason else ''}"
            f"{' — superseded ' + _utc(p.superseded_ts) if p.superseded_ts else ' — current'}</li>"
            for p in found
        )
        superseded = "".join(
            f"<details><summary>Version {p.version} (superseded)</summary>{_table(p)}</details>"
            for p in found[1:]
        )
        body = (
            f"<p><a href='/public/{name}'>← {_e(report.title)}</a></p>"
            f"<h1>{_e(report.title)}: {period}</h1>{_table(found[0])}"
            f"<h2>Versions</h2><ul id='versions'>{history}</ul>{superseded}"
            f"<p><a href='/api/public/reports/{name}/{period}?format=csv'>CSV</a> · "
            f"<a href='/api/public/reports/{name}/{period}'>JSON</a></p>"
        )
        return _page(f"{report.title} {period}", body)

    return router


def _e(text: object) -> str:
    return html.escape(str(text))


def _cell(value: object) -> str:
    if value is None:
        return "<td class='none'>—</td>"
    if isinstance(value, int):
        return f"<td class='num'>{value:,}</td>"
    return f"<td>{_e(value)}</td>"


def _table(publication: Publication) -> str:
    table = publication.table
    head = "".join(f"<th>{_e(c.replace('_', ' '))}</th>" for c in table.columns)
    rows = "".join("<tr>" + "".join(map(_cell, row)) + "</tr>" for row in table.rows)
    if not rows:
        rows = f"<tr><td colspan='{len(table.columns)}'>None.</td></tr>"
    notes = "".join(f"<li>{_e(note)}</li>" for note in table.notes)
    return (
        f"<p class='when'>Period {publication.period}, version {publication.version}, "
        f"published {_utc(publication.published_ts)}</p>"
        f"<div class='scroll'><table class='report'><thead><tr>{head}</tr></thead>"
        f"<tbody>{rows}</tbody></table></div><ul class='notes'>{notes}</ul>"
    )


_STYLE = (
    "body{font:15px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1100px;padding:12px;"
    "color:#1d2733}h1{font-size:1.3em}table{border-collapse:collapse;width:100%}"
    "th,td{border-bottom:1px solid #dde3ea;padding:5px 8px;text-align:left;vertical-align:top}"
    "th{background:#f3f6f9;font-weight:600}.num{text-align:right;font-variant-numeric:"
    "tabular-nums}.none{color:#889}.scroll{overflow-x:auto}.superseded{color:#667}"
    "small,.when,.notes{color:#556}a{color:#0b57d0}.reports{list-style:none;padding:0}"
    ".reports li{border-bottom:1px solid #dde3ea;padding:10px 0}"
)


def _page(title: str, body: str) -> HTMLResponse:
    return HTMLResponse(
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{_e(title)} · TCX</title><style>{_STYLE}</style></head>"
        f"<body>{body}</body></html>"
    )
