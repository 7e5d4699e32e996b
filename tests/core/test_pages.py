"""AppTest for the shell's own pages: home, account, users, units, surveys, audit."""

from __future__ import annotations

import pytest

from auth import accounts
from storage import orgs, users
from tests.conftest import TEST_PASSWORD, build_tree, make_principal, page_test
from tests.core.stored_text import live_markup, shown


@pytest.fixture
def seeded(app_db):
    tree = build_tree(app_db)
    admin = make_principal(app_db, "admin1", "admin", tree.district)
    return app_db, tree, admin


def test_home_shows_sign_in_to_the_public_and_setup_hint_before_any_admin(app_db):
    at = page_test("pages/home.py").run()
    assert not at.exception
    assert any("setup" in i.value for i in at.info)
    assert "群众请通过社区发放的链接" in at.markdown[-1].value or any("群众" in m.value for m in at.markdown)


def test_home_in_english(app_db):
    at = page_test("pages/home.py", lang="en").run()
    assert not at.exception
    assert at.title[0].value == "Minyi"


def test_home_welcomes_the_signed_in_user(seeded):
    _, _, admin = seeded
    at = page_test("pages/home.py", admin).run()
    assert not at.exception
    assert at.subheader[0].value == "欢迎，admin1"


@pytest.mark.parametrize("page", ["pages/users.py", "pages/units.py", "pages/audit.py", "pages/account.py", "pages/survey_list.py"])
def test_staff_pages_refuse_anonymous_visitors(app_db, page):
    at = page_test(page).run()
    assert not at.exception
    assert at.warning[0].value == "请先登录后再访问此页面。"
    assert not at.dataframe and not at.text_input


@pytest.mark.parametrize("page", ["pages/users.py", "pages/units.py", "pages/audit.py"])
def test_admin_pages_refuse_cadres(seeded, page):
    db, tree, _ = seeded
    cadre = make_principal(db, "cadre1", "cadre", tree.grids[0])
    at = page_test(page, cadre).run()
    assert not at.exception
    assert at.error[0].value == "您的账号无权访问此页面。"


def test_admin_adds_a_user_and_bad_password_keeps_the_form(seeded):
    db, tree, admin = seeded
    at = page_test("pages/users.py", admin).run()
    at.text_input(key="users.username").input("wangwu")
    at.text_input(key="users.display_name").input("王五")
    at.selectbox(key="users.role").select("cadre")
    at.selectbox(key="users.unit").select(tree.grids[0])
    at.text_input(key="users.password").input("short")
    at.text_input(key="users.password2").input("short")
    at.button[0].click().run()
    assert not at.exception
    assert at.error[0].value == "密码至少需要 8 个字符。"
    assert at.text_input(key="users.username").value == "wangwu"
    assert users.get_user_by_username(db, "wangwu") is None
    at.text_input(key="users.password").input("good-pass-77")
    at.text_input(key="users.password2").input("good-pass-77")
    at.button[0].click().run()
    assert at.success[0].value == "已创建用户 wangwu。"
    created = users.get_user_by_username(db, "wangwu")
    assert created is not None and created.role == "cadre" and created.org_unit_id == tree.grids[0].id
    assert accounts.sign_in(db, "wangwu", "good-pass-77").principal is not None


def test_town_admin_sees_only_their_towns_users(seeded):
    db, tree, _ = seeded
    town_admin = make_principal(db, "t1admin", "admin", tree.towns[0])
    make_principal(db, "c_t1", "cadre", tree.unit("T1C1G1"))
    make_principal(db, "c_t2", "cadre", tree.unit("T2C1G1"))
    at = page_test("pages/users.py", town_admin).run()
    assert not at.exception
    shown = set(at.dataframe[0].value["用户名"])
    assert shown == {"t1admin", "c_t1"}


def test_units_page_adds_a_grid_under_a_community(seeded):
    db, tree, admin = seeded
    at = page_test("pages/units.py", admin).run()
    community = tree.unit("T1C1")
    at.selectbox(key="units.parent").select(community)
    at.text_input(key="units.code").input("T1C1G9")
    at.text_input(key="units.name").input("新建网格")
    at.button[0].click().run()
    assert not at.exception
    unit = orgs.get_unit_by_code(db, "T1C1G9")
    assert unit is not None and unit.level == 4 and unit.parent_id == community.id


def test_units_page_shows_a_typed_name_as_text_not_markdown(seeded):
    db, tree, admin = seeded
    at = page_test("pages/units.py", admin).run()
    at.selectbox(key="units.parent").select(tree.unit("T1C1"))
    at.text_input(key="units.code").input("T1C1G8")
    at.text_input(key="units.name").input("[网格](http://evil.example)**8**")
    at.button[0].click().run()
    assert not at.exception
    assert orgs.get_unit_by_code(db, "T1C1G8").name == "[网格](http://evil.example)**8**"  # stored as typed
    message = at.success[0].value  # markdown source: every link and emphasis mark escaped, so shown literally
    assert not live_markup(message)
    assert shown(message) == "已创建 [网格](http://evil.example)**8**。"


def test_units_page_refuses_a_taken_code(seeded):
    db, tree, admin = seeded
    at = page_test("pages/units.py", admin).run()
    at.selectbox(key="units.parent").select(tree.district)
    at.text_input(key="units.code").input("T1")
    at.text_input(key="units.name").input("重复")
    at.button[0].click().run()
    assert at.error[0].value == "编码 T1 已存在。"


def test_account_page_changes_password(seeded):
    db, _, admin = seeded
    at = page_test("pages/account.py", admin).run()
    at.text_input(key="account.old").input("wrong-password")
    at.text_input(key="account.new").input("brand-new-pass-1")
    at.text_input(key="account.again").input("brand-new-pass-1")
    at.button[0].click().run()
    assert at.error[0].value == "当前密码不正确。"
    at.text_input(key="account.old").input(TEST_PASSWORD)
    at.button[0].click().run()
    assert at.success[0].value == "密码已修改。"
    assert accounts.sign_in(db, "admin1", "brand-new-pass-1").principal is not None


def test_surveys_page_lists_installed_templates(seeded):
    _, _, admin = seeded
    at = page_test("pages/survey_list.py", admin).run()
    assert not at.exception
    ids = set(at.dataframe[0].value["编号"])
    assert {"qunzhong_manyidu", "ruhu_zoufang"} <= ids


def test_audit_page_shows_sign_ins(seeded):
    db, _, admin = seeded
    accounts.sign_in(db, "admin1", "bad password")
    at = page_test("pages/audit.py", admin).run()
    assert not at.exception
    assert "auth.login_failed" in list(at.dataframe[0].value["操作"])


def test_survey_list_shows_template_errors_to_admins_only(seeded, tmp_path, monkeypatch):
    db, tree, admin = seeded
    (tmp_path / "bad.yaml").write_text("id: bad\ntitle: 坏\nquestions:\n  - id: q1\n    type: ratng\n    label: x\n", encoding="utf-8")
    from surveys import load_templates
    import ui.resources

    monkeypatch.setattr(ui.resources, "templates", lambda: load_templates(tmp_path))
    at = page_test("pages/survey_list.py", admin).run()
    assert not at.exception
    assert at.error[0].value == "以下问卷模板有错误，已跳过："
    assert any("ratng" in t.value for t in at.text)
    leader = make_principal(db, "leader1", "leader", tree.district)
    at = page_test("pages/survey_list.py", leader).run()
    assert not at.exception and not at.error
