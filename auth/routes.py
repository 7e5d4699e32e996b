"""HTTP routes beside the Streamlit app: sign-in, sign-out and first-time setup as plain HTML forms.

Streamlit scripts cannot set cookies, so signing in happens here: the form
posts to /login, which checks the password, sets a signed HttpOnly SameSite
cookie and redirects (303) to the app, whose router restores the user from
the cookie on every page load.
"""

from __future__ import annotations

import html
import logging
import re
import secrets

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

import settings as settings_module
from auth import accounts, sessions, setup
from i18n import t
from storage import audit
from storage.db import StorageError, shared_database

log = logging.getLogger("minyi")

CSRF_COOKIE = "minyi_csrf"
LANG_COOKIE = "minyi_lang"

_STYLE = """
body{font-family:-apple-system,"PingFang SC","Microsoft YaHei","Noto Sans CJK SC",sans-serif;background:#f5f6f8;margin:0;color:#222}
main{max-width:420px;margin:8vh auto;background:#fff;padding:28px 24px;border-radius:12px;box-shadow:0 2px 12px rgba(0,0,0,.08)}
h1{font-size:1.35rem;margin:0 0 1rem}label{display:block;margin:.8rem 0 .3rem;font-size:.95rem}
input{width:100%;box-sizing:border-box;padding:.7rem;font-size:1rem;border:1px solid #ccd;border-radius:8px}
button{width:100%;margin-top:1.3rem;padding:.8rem;font-size:1.05rem;background:#c8161d;color:#fff;border:0;border-radius:8px}
.error{background:#fdecea;color:#8a1c1c;padding:.7rem;border-radius:8px;margin-bottom:.5rem}
.note{color:#555;font-size:.9rem}.lang{float:right;font-size:.85rem}a{color:#c8161d}
"""


def _settings() -> settings_module.Settings:
    return settings_module.load()


def _lang(request: Request) -> str:
    lang = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE) or _settings().lang
    return "en" if lang == "en" else "zh"


def _client_ip(request: Request) -> str | None:
    if _settings().trust_proxy:
        forwarded = request.headers.get("x-forwarded-for")
        if forwarded:
            return forwarded.split(",")[0].strip()
    return request.client.host if request.client else None


def _page(lang: str, title: str, body: str, csrf: str | None = None, status: int = 200) -> HTMLResponse:
    other = "en" if lang == "zh" else "zh"
    switch = "English" if lang == "zh" else "中文"
    doc = (
        f'<!doctype html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{html.escape(title)}</title>'
        f"<style>{_STYLE}</style></head><body><main>"
        f'<a class="lang" href="?lang={other}">{switch}</a><h1>{html.escape(title)}</h1>{body}</main></body></html>'
    )
    response = HTMLResponse(doc, status_code=status)
    response.set_cookie(LANG_COOKIE, lang, samesite="lax", httponly=False)
    if csrf:
        response.set_cookie(CSRF_COOKIE, csrf, samesite="strict", httponly=True)
    return response


def _field(label: str, name: str, kind: str = "text", value: str = "", autocomplete: str = "") -> str:
    auto = f' autocomplete="{autocomplete}"' if autocomplete else ""
    return (
        f'<label for="{name}">{html.escape(label)}</label>'
        f'<input id="{name}" name="{name}" type="{kind}" value="{html.escape(value)}"{auto}>'
    )


def _error(message: str | None) -> str:
    return f'<p class="error" role="alert">{html.escape(message)}</p>' if message else ""


def _safe_next(value: object) -> str:
    """Where to go after signing in: only a local path of this app (no open redirect)."""
    text = str(value or "/")
    if not re.fullmatch(r"/[A-Za-z0-9_\-/]*", text) or text.startswith("//"):
        return "/"
    return text


def _login_form(
    lang: str, error: str | None = None, username: str = "", status: int = 200, next_path: str = "/", notice: str | None = None
) -> HTMLResponse:
    csrf = secrets.token_urlsafe(16)
    body = (
        (f'<p class="note">{html.escape(notice)}</p>' if notice else "")
        + _error(error)
        + '<form method="post" action="/login">'
        + f'<input type="hidden" name="csrf" value="{csrf}"><input type="hidden" name="lang" value="{lang}">'
        + f'<input type="hidden" name="next" value="{html.escape(_safe_next(next_path))}">'
        + _field(t("auth.username", lang), "username", value=username, autocomplete="username")
        + _field(t("auth.password", lang), "password", "password", autocomplete="current-password")
        + f'<button type="submit">{html.escape(t("auth.submit", lang))}</button></form>'
        + f'<p class="note"><a href="/">{html.escape(t("auth.back_home", lang))}</a></p>'
    )
    return _page(lang, t("auth.title", lang), body, csrf, status)


def _storage_failure(lang: str, exc: StorageError) -> HTMLResponse:
    return _page(lang, t("app.db_error_title", lang), _error(t(exc.code, lang, detail=exc.detail, **exc.params)), status=503)


def login_page(request: Request) -> Response:
    lang = _lang(request)
    try:
        db = shared_database(_settings().db_path)
    except StorageError as exc:
        return _storage_failure(lang, exc)
    if setup.needs_setup(db):
        return RedirectResponse(f"/setup?lang={lang}", status_code=303)
    notice = t("setup.done", lang) if request.query_params.get("setup") == "done" else None
    return _login_form(lang, next_path=request.query_params.get("next", "/"), notice=notice)


async def login_submit(request: Request) -> Response:
    form = await request.form()
    lang = "en" if form.get("lang") == "en" else _lang(request)
    username = str(form.get("username", "")).strip()
    password = str(form.get("password", ""))
    next_path = _safe_next(form.get("next"))
    if not form.get("csrf") or form.get("csrf") != request.cookies.get(CSRF_COOKIE):
        return _login_form(lang, t("auth.csrf", lang), username, 400, next_path)
    if not username or not password:
        return _login_form(lang, t("auth.missing_fields", lang), username, 400, next_path)
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(_finish_login, request, lang, username, password, next_path)


def _finish_login(request: Request, lang: str, username: str, password: str, next_path: str = "/") -> Response:
    cfg = _settings()
    try:
        db = shared_database(cfg.db_path)
        result = accounts.sign_in(db, username, password, _client_ip(request))
        if result.principal is not None:
            cookie = sessions.start_session(db, result.principal, settings_module.cookie_secret(cfg), cfg.session_hours)
    except StorageError as exc:
        return _storage_failure(lang, exc)
    except Exception:  # never a traceback or a bare 500 for someone signing in; the cause goes to the log
        log.exception("sign-in failed")
        return _login_form(lang, t("accounts.unavailable", lang), username, 503, next_path)
    if result.principal is None:
        if result.error == "accounts.throttled":
            response = _login_form(lang, t(result.error, lang, seconds=result.retry_after), username, 429, next_path)
            response.headers["Retry-After"] = str(result.retry_after)
            return response
        return _login_form(lang, t(result.error or "auth.bad_credentials", lang), username, 401, next_path)
    response = RedirectResponse(next_path, status_code=303)
    response.set_cookie(
        sessions.COOKIE_NAME, cookie, max_age=cfg.session_hours * 3600, httponly=True, samesite="lax",
        secure=cfg.public_base_url.startswith("https://"), path="/",
    )
    response.delete_cookie(CSRF_COOKIE)
    return response


def logout_page(request: Request) -> Response:
    """The sign-out confirmation: a GET never signs anyone out (a cross-site link or image could), this page's
    form POSTs with the same CSRF token as the login form."""
    lang = _lang(request)
    csrf = secrets.token_urlsafe(16)
    body = (
        f'<p class="note">{html.escape(t("accounts.sign_out_question", lang))}</p>'
        + '<form method="post" action="/logout">'
        + f'<input type="hidden" name="csrf" value="{csrf}"><input type="hidden" name="lang" value="{lang}">'
        + f'<button type="submit">{html.escape(t("accounts.sign_out_submit", lang))}</button></form>'
        + f'<p class="note"><a href="/">{html.escape(t("auth.back_home", lang))}</a></p>'
    )
    return _page(lang, t("accounts.sign_out_title", lang), body, csrf)


async def logout_submit(request: Request) -> Response:
    form = await request.form()
    lang = "en" if form.get("lang") == "en" else _lang(request)
    if not form.get("csrf") or form.get("csrf") != request.cookies.get(CSRF_COOKIE):
        return RedirectResponse(f"/logout?lang={lang}", status_code=303)  # ask again; nothing was changed
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(_finish_logout, request, lang)


def _finish_logout(request: Request, lang: str) -> Response:
    cfg = _settings()
    cookie = request.cookies.get(sessions.COOKIE_NAME)
    try:
        db = shared_database(cfg.db_path)
        principal = sessions.principal_from_cookie(db, cookie, settings_module.cookie_secret(cfg))
        sessions.end_session(db, cookie, settings_module.cookie_secret(cfg))
        if principal:
            audit.record(db, "auth.logout", actor_id=principal.user_id, actor_name=principal.username, ip=_client_ip(request))
    except Exception:  # the cookie is cleared below whatever the database says
        log.exception("sign-out could not be recorded")
    response = RedirectResponse(f"/login?lang={lang}", status_code=303)
    response.delete_cookie(sessions.COOKIE_NAME, path="/")
    response.delete_cookie(CSRF_COOKIE)
    return response


def _setup_form(lang: str, error: str | None = None, values: dict[str, str] | None = None, status: int = 200) -> HTMLResponse:
    v = values or {}
    csrf = secrets.token_urlsafe(16)
    body = (
        f'<p class="note">{html.escape(t("setup.intro", lang))}</p>'
        + _error(error)
        + '<form method="post" action="/setup">'
        + f'<input type="hidden" name="csrf" value="{csrf}"><input type="hidden" name="lang" value="{lang}">'
        + _field(t("setup.code", lang), "code", value=v.get("code", ""), autocomplete="off")
        + _field(t("setup.unit_name", lang), "unit_name", value=v.get("unit_name", ""))
        + _field(t("setup.unit_code", lang), "unit_code", value=v.get("unit_code", ""))
        + _field(t("auth.username", lang), "username", value=v.get("username", "admin"), autocomplete="username")
        + _field(t("auth.display_name", lang), "display_name", value=v.get("display_name", ""))
        + _field(t("auth.password", lang), "password", "password", autocomplete="new-password")
        + _field(t("auth.password_again", lang), "password2", "password", autocomplete="new-password")
        + f'<button type="submit">{html.escape(t("setup.submit", lang))}</button></form>'
    )
    return _page(lang, t("setup.title", lang), body, csrf, status)


def setup_page(request: Request) -> Response:
    lang = _lang(request)
    try:
        db = shared_database(_settings().db_path)
    except StorageError as exc:
        return _storage_failure(lang, exc)
    if not setup.needs_setup(db):
        return RedirectResponse(f"/login?lang={lang}", status_code=303)
    return _setup_form(lang)


async def setup_submit(request: Request) -> Response:
    form = await request.form()
    lang = "en" if form.get("lang") == "en" else _lang(request)
    values = {k: str(form.get(k, "")).strip() for k in ("code", "unit_name", "unit_code", "username", "display_name")}
    password, password2 = str(form.get("password", "")), str(form.get("password2", ""))
    if not form.get("csrf") or form.get("csrf") != request.cookies.get(CSRF_COOKIE):
        return _setup_form(lang, t("auth.csrf", lang), values, 400)
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(_finish_setup, request, lang, values, password, password2)


def _finish_setup(request: Request, lang: str, values: dict[str, str], password: str, password2: str) -> Response:
    cfg = _settings()
    try:
        db = shared_database(cfg.db_path)
    except StorageError as exc:
        return _storage_failure(lang, exc)
    if not setup.needs_setup(db):
        return RedirectResponse(f"/login?lang={lang}", status_code=303)
    if not all(values.values()) or not password:
        return _setup_form(lang, t("setup.missing", lang), values, 400)
    if not setup.check_setup_code(db, values["code"]):
        audit.record(db, "setup.bad_code", ip=_client_ip(request))
        return _setup_form(lang, t("setup.bad_code", lang), values, 401)
    if password != password2:
        return _setup_form(lang, t("auth.password_mismatch", lang), values, 400)
    try:
        accounts.check_new_account(values["username"], password)
    except ValueError as exc:
        return _setup_form(lang, t(str(exc), lang), values, 400)
    try:
        setup.create_first_admin(db, values["code"], values["unit_code"], values["unit_name"], values["username"],
                                 values["display_name"], password, cfg.data_dir, _client_ip(request))
    except setup.SetupTaken:
        return _page(lang, t("setup.title", lang), _error(t("accounts.setup_taken", lang))
                     + f'<p class="note"><a href="/login?lang={lang}">{html.escape(t("app.sign_in", lang))}</a></p>',
                     status=409)
    except ValueError:  # the username belongs to an existing (non-admin) account
        return _setup_form(lang, t("auth.username_taken", lang), values, 400)
    return RedirectResponse(f"/login?lang={lang}&setup=done", status_code=303)


def health(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


ROUTES = [
    Route("/login", login_page, methods=["GET"]),
    Route("/login", login_submit, methods=["POST"]),
    Route("/logout", logout_page, methods=["GET"]),
    Route("/logout", logout_submit, methods=["POST"]),
    Route("/setup", setup_page, methods=["GET"]),
    Route("/setup", setup_submit, methods=["POST"]),
    Route("/healthz", health, methods=["GET"]),
]

__all__ = ["ROUTES"]
