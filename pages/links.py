"""Share links for staff: create open links or single-use batches for a unit in scope, list counts, QR downloads, revoke."""

import csv
import io

import streamlit as st

import settings as settings_module
from reports.safe import safe_row
from services import share_links
from sharing.qr import link_url, qr_png, qr_svg
from storage import audit
from storage import links as link_store
from storage import orgs
from storage import surveys as survey_store
from ui import downloads, link_resources
from ui.markup import plain_values
from ui.resources import database
from ui.session import require, t

user = require("admin", "leader", "cadre")
st.title(t("links.title"))
db = database()
at = settings_module.now()
base_url = settings_module.load().public_base_url

open_surveys = [s for s in survey_store.list_surveys(db, user.scope) if s.is_open(at)]
if not open_surveys:
    st.info(t("links.no_open_surveys"))
    st.stop()
units = orgs.list_units(db, user.scope)
if not units:
    st.warning(t("links.no_units"))
    st.stop()

survey = st.selectbox(t("links.survey"), open_surveys, format_func=lambda s: f"{s.title}（{s.id}）", key="links.survey")

with st.expander(t("links.create"), expanded=False), st.form("links.create_form"):
    unit = st.selectbox(t("links.unit"), units, format_func=lambda u: f"{u.name}（{u.code}）", key="links.unit")
    mode = st.radio(t("links.mode"), ["open", "single_use"], format_func=lambda m: t(f"links.mode.{m}"),
                    key="links.mode", horizontal=True)
    count = st.number_input(t("links.count"), min_value=1, max_value=share_links.MAX_BATCH, value=50, step=1,
                            key="links.count")
    expires_on = st.date_input(t("links.expires"), value=None, min_value=at.date(), key="links.expires")
    cap = st.number_input(t("links.cap"), min_value=1, value=None, step=1, key="links.cap")
    rate = st.number_input(t("links.rate", default=settings_module.load().link_burst_per_minute), min_value=1,
                           value=None, step=1, help=t("links.rate_help"), key="links.rate")
    label = st.text_input(t("links.label"), max_chars=100, key="links.label")
    if st.form_submit_button(t("links.submit"), type="primary"):
        try:
            created = share_links.create(
                db, survey_id=survey.id, unit_code=unit.code, scope=user.scope,
                single_use=int(count) if mode == "single_use" else None, expires_on=expires_on,
                response_cap=int(cap) if cap else None, rate_limit_per_minute=int(rate) if rate else None,
                label=label, created_by=user.user_id, actor_name=user.username, base_url=base_url,
            )
            st.success(t("links.created", count=len(created.tokens)))
        except share_links.LinkRequestError as exc:
            st.error(t(exc.key, **plain_values(exc.params)))

st.subheader(t("links.list"))
link_resources.open_counter().flush(db)  # opens are counted in batches by the fill page: write the rest now
summaries = link_store.list_links(db, survey.id, user.scope)
repeats = link_store.browser_repeats(db, survey.id, user.scope)  # open links: answers again from one browser
if not summaries:
    st.info(t("links.none"))
    st.stop()


def _status(s: link_store.LinkSummary) -> str:
    if s.revoked:
        return t("links.status.revoked")
    if s.expires_at is not None and s.expires_at <= at:
        return t("links.status.expired")
    return t("links.status.active")


st.dataframe(
    [
        {t("links.col.created"): s.created_at.strftime("%Y-%m-%d %H:%M"), t("links.col.unit"): s.unit_name,
         t("links.col.mode"): t(f"links.mode_short.{s.mode}"), t("links.col.label"): s.label or "",
         t("links.col.tokens"): s.tokens, t("links.col.used"): s.used, t("links.col.opened"): s.opened,
         t("links.col.answered"): s.answered,
         t("links.col.browser_repeats"): repeats[s.token].repeats if s.token in repeats else None,
         t("links.col.expires"): (s.expires_at.date().isoformat() if s.expires_at else ""),
         t("links.col.cap"): s.response_cap, t("links.col.status"): _status(s)}
        for s in summaries
    ],
    hide_index=True,
)


def _describe(s: link_store.LinkSummary) -> str:
    kind = t(f"links.mode_short.{s.mode}")
    extra = f" ×{s.tokens}" if s.mode == "single_use" else ""
    note = f" · {s.label}" if s.label else ""
    return f"{s.created_at:%m-%d %H:%M} · {s.unit_name} · {kind}{extra}{note} · {_status(s)}"


chosen = st.selectbox(t("links.pick"), summaries, format_func=_describe, key="links.pick")
if chosen.mode == "open":
    url = link_url(base_url, chosen.token)
    st.text(t("links.url"))
    st.code(url, language=None)
    st.image(qr_png(url, scale=6), width=220)
    left, right = st.columns(2)
    left.download_button(t("links.download_png"), lambda: qr_png(url), file_name=f"qr-{chosen.token}.png",
                         mime="image/png", on_click="ignore")
    right.download_button(t("links.download_svg"), lambda: qr_svg(url), file_name=f"qr-{chosen.token}.svg",
                          mime="image/svg+xml", on_click="ignore")
else:
    batch_id = chosen.batch_id or ""

    def _sheet() -> bytes:
        return share_links.batch_sheet(db, batch_id, user.scope, instruction=t("links.sheet_instruction"),
                                       page_label=t("links.sheet_page")) or b""

    def _csv() -> bytes:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([t("links.csv_header_code"), t("links.csv_header_url"), t("links.csv_header_unit")])
        for link in link_store.links_in_batch(db, batch_id, user.scope, at):
            writer.writerow(safe_row([link.token, link_url(base_url, link.token), link.unit_name]))
        return ("\ufeff" + out.getvalue()).encode("utf-8")  # BOM: Excel opens Chinese CSV correctly

    # Single-use codes are residents' answer codes: like personal data they leave only through the signed-in
    # /download route (st.download_button's files are served from /media to anyone holding the URL).
    left, right = st.columns(2)
    with left:
        downloads.offer("links.sheet", t("links.download_sheet"), user, f"codes-{batch_id}.pdf", "application/pdf",
                        _sheet)
    with right:
        downloads.offer("links.csv", t("links.download_csv"), user, f"codes-{batch_id}.csv", downloads.CSV, _csv)

if not chosen.revoked:
    confirm = st.checkbox(t("links.revoke_confirm"), key="links.revoke_confirm")
    label = t("links.revoke_batch") if chosen.mode == "single_use" else t("links.revoke")
    if st.button(label, disabled=not confirm, key="links.revoke"):
        target = chosen.batch_id if chosen.mode == "single_use" and chosen.batch_id else chosen.token
        revoked = link_store.revoke(db, target, user.scope, settings_module.now())
        audit.record(db, "links.revoke", actor_id=user.user_id, actor_name=user.username, target=target,
                     detail={"count": revoked})
        st.toast(t("links.revoked", count=revoked))
        st.rerun()
