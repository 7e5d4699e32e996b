"""Every st.file_uploader in the app, given the zip bomb, shows the refusal in the user's language, raises nothing
and creates nothing."""

from __future__ import annotations

import functools

import pytest

from storage import campaigns as campaign_store
from tests.conftest import build_tree, make_principal, page_test
from tests.uploads import bombs

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
REFUSED = "该 Excel 文件的压缩比异常"


@functools.lru_cache(maxsize=1)
def bomb() -> bytes:
    return bombs.zip_bomb(100)


@pytest.fixture
def admin(app_db):
    tree = build_tree(app_db)
    return app_db, tree, make_principal(app_db, "admin1", "admin", tree.district)


def _errors(at) -> list[str]:
    return [e.value for e in at.error]


@pytest.mark.parametrize("key", ["households.upload", "households.units_upload"])
def test_households_page_uploaders_refuse_the_bomb(admin, key):
    db, _, user = admin
    at = page_test("pages/households.py", user)
    at.run()
    at.file_uploader(key=key).set_value(("名册.xlsx", bomb(), XLSX)).run()
    assert not at.exception, at.exception
    assert any(REFUSED in e for e in _errors(at))
    assert db.query("SELECT count(*) FROM households").single_value() == 0


def test_survey_import_page_refuses_the_bomb_as_an_xlsform(admin):
    db, _, user = admin
    before = db.query("SELECT count(*) FROM surveys").single_value()
    at = page_test("pages/survey_import.py", user)
    at.run()
    at.file_uploader(key="import.survey.file").set_value(("form.xlsx", bomb(), XLSX)).run()
    at.button(key="import.survey.button").click().run()
    assert not at.exception, at.exception
    assert any(REFUSED in e for e in _errors(at))
    assert db.query("SELECT count(*) FROM surveys").single_value() == before


def test_survey_import_page_refuses_the_bomb_as_paper_responses(admin):
    db, _, user = admin
    from services import authoring

    authoring.import_yaml(db, user, "id: paper\ntitle: 纸质\nquestions:\n  - {id: overall, type: rating, label: 总体}\n",
                          publish_now=True)
    at = page_test("pages/survey_import.py", user, lang="en")
    at.run()
    at.selectbox(key="import.paper.survey").set_value("paper")
    at.file_uploader(key="import.paper.file").set_value(("paper.xlsx", bomb(), XLSX)).run()
    at.button(key="import.paper.check").click().run()
    assert not at.exception, at.exception
    assert any("as a zip bomb is; it was not read" in e for e in _errors(at))


def test_worklists_page_refuses_the_bomb_as_a_filled_visit_sheet(admin):
    db, tree, user = admin
    from settings import now

    today = now().date()
    campaign_store.create_campaign(db, user.scope, name="冬季大走访", unit_ids=[tree.district.id], starts_on=today,
                                   ends_on=today)
    at = page_test("pages/worklists.py", user)
    at.run()
    assert not at.exception, at.exception
    at.file_uploader(key="worklists.upload").set_value(("走访表.xlsx", bomb(), XLSX)).run()
    assert not at.exception, at.exception
    assert any(REFUSED in e for e in _errors(at))


def test_builder_subject_list_uploader_refuses_the_bomb(admin):
    _, _, user = admin
    at = page_test("pages/builder.py", user)
    at.run()
    at.selectbox(key="builder.new.kind").set_value("evaluation").run()
    at.file_uploader(key="builder.new.subjects_file").set_value(("名单.xlsx", bomb(), XLSX)).run()
    assert not at.exception, at.exception
    assert any(REFUSED in e for e in _errors(at))
