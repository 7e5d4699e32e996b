"""The authenticated download route: an export of personal data, fetched once by the signed-in user who prepared it.

Pages never hand such bytes to st.download_button (Streamlit serves those from /media/<id> to anyone with the
URL). They keep the file behind a single-use ticket (storage/downloads.py) and link to /download/<ticket>; this
route checks the signed session cookie as the sign-in routes do, hands the file only to the ticket's own user,
deletes it as it does and records the fetch in the audit log.
"""

from __future__ import annotations

import html
import os
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import Route

import settings as settings_module
from auth import sessions
from i18n import t
from storage import audit, downloads
from storage.db import StorageError, shared_database

PATH = "/download/"


def download_url(ticket: str) -> str:
    """The app path that serves one ticket."""
    return PATH + ticket


def _lang(request: Request) -> str:
    lang = request.cookies.get("minyi_lang") or settings_module.load().lang
    return "en" if lang == "en" else "zh"


def _refusal(lang: str, key: str, status: int) -> HTMLResponse:
    title = html.escape(t("download.title", lang))
    doc = (f'<!doctype html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">'
           f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title></head>'
           f'<body><h1>{title}</h1><p role="alert">{html.escape(t(key, lang))}</p>'
           f'<p><a href="/login">{html.escape(t("app.sign_in", lang))}</a></p></body></html>')
    return HTMLResponse(doc, status_code=status, headers={"Cache-Control": "no-store"})


def _serve(request: Request, ticket: str) -> Response:
    cfg = settings_module.load()
    lang = _lang(request)
    try:
        db = shared_database(cfg.db_path)
        principal = sessions.principal_from_cookie(db, request.cookies.get(sessions.COOKIE_NAME),
                                                   settings_module.cookie_secret(cfg))
        if principal is None:
            return _refusal(lang, "download.sign_in", 401)
        found = downloads.claim_ticket(db, ticket, principal.user_id)
        if found is None:
            return _refusal(lang, "download.gone", 404)
        size = len(found.data)
        if found.path is not None:  # a file kept outside the database (a backup): served in place, never deleted
            try:
                size = os.stat(found.path).st_size
            except OSError:
                return _refusal(lang, "download.gone", 404)
        audit.record(db, "download.fetch", actor_id=principal.user_id, actor_name=principal.username,
                     target=found.filename, detail={"bytes": size})
    except StorageError:
        return _refusal(lang, "download.unavailable", 503)
    disposition = f"attachment; filename*=UTF-8''{quote(found.filename)}"
    headers = {"Content-Disposition": disposition, "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
    if found.path is not None:
        return FileResponse(found.path, media_type=found.mime, headers=headers)
    return Response(found.data, media_type=found.mime, headers=headers)


async def download(request: Request) -> Response:
    return await run_in_threadpool(_serve, request, str(request.path_params["ticket"]))


ROUTES = [Route(PATH + "{ticket}", download, methods=["GET"])]

__all__ = ["ROUTES", "download_url"]
