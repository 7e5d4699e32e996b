"""AppTest of the staff share-links page: create within scope, list with counts, downloads, revoke."""

from __future__ import annotations

import pytest

from settings import now
from services import submissions
from tests.sharing.sharing_fixtures import make_link, publish
from storage import links as link_store
from tests.conftest import build_tree, make_principal, page_test

FILE = "pages/links.py"


@pytest.fixture
def world(app_db):
    tree = build_tree(app_db)
    survey_id = publish(app_db)
    return app_db, tree, survey_id


def _select_survey(at, survey_id: str):
    box = at.selectbox(key="links.survey")
    box.select(next(o for o in box.options if survey_id in o)).run()
    return at


def test_cadre_creates_single_use_batch_for_own_grid_only(world):
    db, tree, survey_id = world
    grid = tree.unit("T1C1G1")
    cadre = make_principal(db, "cadre1", "cadre", grid)
    at = page_test(FILE, cadre)
    at.run()
    assert not at.exception
    _select_survey(at, survey_id)
    units = at.selectbox(key="links.unit").options
    assert units == ["1社区第1网格（T1C1G1）"]  # nothing outside the cadre's subtree
    at.radio(key="links.mode").set_value("single_use")
    at.number_input(key="links.count").set_value(5)
    next(b for b in at.button if b.label == "生成").click().run()
    assert not at.exception
    assert at.success[0].value == "已生成 5 个链接。"
    rows = db.query("SELECT mode, count(*), count(DISTINCT batch_id), min(org_unit_id) FROM share_links GROUP BY mode").rows
    assert rows == [("single_use", 5, 1, grid.id)]
    frame = at.dataframe[0].value
    assert frame["编码数"].tolist() == [5] and frame["答卷数"].tolist() == [0]


def test_list_counts_opened_and_answered_and_revoke(world):
    db, tree, survey_id = world
    town = tree.unit("T1")
    leader = make_principal(db, "leader1", "leader", town)
    token = make_link(db, survey_id, tree.unit("T1C2").id)[0]
    make_link(db, survey_id, tree.unit("T2C1").id)  # another town: not listed for this leader
    for i in range(3):
        link_store.record_open(db, token, now())
    opened = submissions.open_link(db, token, now())
    for key in ("a", "b"):
        assert submissions.submit(db, token=token, survey=opened.survey, version=opened.version,
                                  raw={"overall": 4, "services": {"water": 4, "power": 4}}, client_key=key,
                                  started_at=None, at=now()).status == "stored"
    at = page_test(FILE, leader)
    at.run()
    _select_survey(at, survey_id)
    assert not at.exception
    frame = at.dataframe[0].value
    assert len(frame) == 1
    assert frame["打开次数"].tolist() == [3] and frame["答卷数"].tolist() == [2]
    assert [c.value for c in at.code] == [f"http://localhost:8501/fill?t={token}"]
    at.checkbox(key="links.revoke_confirm").check().run()
    at.button(key="links.revoke").click().run()
    assert not at.exception
    assert link_store.get_link(db, token, now()).revoked_at is not None
    assert db.query("SELECT count(*) FROM audit_log WHERE action = 'links.revoke'").single_value() == 1


def test_resident_without_sign_in_is_stopped(world):
    at = page_test(FILE)
    at.run()
    assert not at.exception
    assert at.warning[0].value == "请先登录后再访问此页面。"
    assert len(at.dataframe) == 0


def test_opens_counted_by_the_fill_page_show_in_the_list(world):
    db, tree, survey_id = world
    token = make_link(db, survey_id, tree.unit("T1C1").id)[0]
    for _ in range(2):  # two residents open the link
        fill = page_test("pages/fill.py", t=token)
        fill.run()
        assert not fill.exception and fill.radio
    admin = make_principal(db, "admin1", "admin", tree.district)
    at = page_test(FILE, admin)
    at.run()
    _select_survey(at, survey_id)
    frame = at.dataframe[0].value
    assert frame["打开次数"].tolist() == [2] and frame["答卷数"].tolist() == [0]


def test_single_use_codes_leave_only_through_the_signed_in_download_route(world):
    """Single-use codes are residents' answer codes: the batch sheet and CSV are never put in Streamlit's public
    /media store (st.download_button) but behind a single-use /download ticket for the signed-in user."""
    db, tree, survey_id = world
    grid = tree.unit("T1C1G1")
    cadre = make_principal(db, "cadre1", "cadre", grid)
    at = page_test(FILE, cadre)
    at.run()
    _select_survey(at, survey_id)
    at.radio(key="links.mode").set_value("single_use")
    at.number_input(key="links.count").set_value(3)
    next(b for b in at.button if b.label == "生成").click().run()
    assert not at.exception and at.get("download_button") == []
    at.button(key="links.csv.prepare").click().run()
    assert not at.exception and at.get("download_button") == []
    tickets = db.query("SELECT user_id, filename, data FROM download_tickets").rows
    assert len(tickets) == 1 and tickets[0][0] == cadre.user_id and tickets[0][1].endswith(".csv")
    codes = {r[0] for r in db.query("SELECT token FROM share_links").rows}
    assert codes and all(code in bytes(tickets[0][2]).decode("utf-8-sig") for code in codes)
