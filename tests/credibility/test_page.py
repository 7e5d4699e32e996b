"""The credibility page: leaders see their area's flags with reasons and masked rows; admins confirm or dismiss."""

from __future__ import annotations

import pytest

import demo
from auth.principal import Principal
from storage import credibility as store
from storage import users
from storage.db import Scope
from tests.conftest import page_test
from tests.credibility.conftest import HOUSEHOLDS, SEED, TODAY, plant_patterns

PAGE = "pages/credibility.py"


@pytest.fixture
def site(app_db):
    demo.load_demo(app_db, households=HOUSEHOLDS, seed=SEED, today=TODAY)
    return plant_patterns(app_db)


def _principal(db, username) -> Principal:
    return Principal.from_user(users.get_user_by_username(db, username))


def _run_check(at):
    at.run(timeout=90)
    assert not at.exception
    at.button(key="cred.run").click().run(timeout=90)
    assert not at.exception
    return at


def _table(at, index=0) -> str:
    return at.dataframe[index].value.to_csv()


def test_a_cadre_is_turned_away(site):
    at = page_test(PAGE, _principal(site.db, "cadre_0001"))
    at.run(timeout=60)
    assert [e.value for e in at.error] == ["您的账号无权访问此页面。"]
    assert not at.dataframe and not at.button


def test_a_leader_sees_the_flags_with_reasons_and_masked_households_but_cannot_decide(site):
    at = _run_check(page_test(PAGE, _principal(site.db, "leader")))
    assert at.success and "新增" in at.success[0].value
    table = _table(at)
    assert "评分全部相同" in table and "分钟内记录了" in table and "走访满意率" in table
    pace = next(f for f in store.list_flags(site.db, Scope.everything(), "open") if f.kind == "visit_pace")
    at.selectbox(key="cred.flag").set_value(pace.id).run(timeout=90)
    assert not at.exception
    rows = _table(at, 1)
    names = [r["head_name"] for r in store.flag_rows(site.db, Scope.everything(), pace.id)]
    assert names and all(name not in rows for name in names if len(name) > 1)
    assert "*" in rows
    assert any(c.value == "只有管理员可以确认或驳回提示。" for c in at.caption)
    assert not [b for b in at.button if b.label == "确认并作废这些记录"]


def test_an_admin_confirms_a_flag_only_with_a_reason(site):
    admin = _principal(site.db, "admin")
    at = _run_check(page_test(PAGE, admin))
    flag = next(f for f in store.list_flags(site.db, Scope.everything(), "open")
                if f.kind == "response_straight_lining" and set(site.straight_lined) <= set(f.row_ids))
    at.selectbox(key="cred.flag").set_value(flag.id).run(timeout=90)
    confirm = next(b for b in at.button if b.label == "确认并作废这些记录")
    confirm.click().run(timeout=90)
    assert not at.exception
    assert at.error and at.error[0].value == "请填写处理理由。"
    assert store.get_flag(site.db, Scope.everything(), flag.id).state == "open"
    at.text_input(key=f"cred.reason.{flag.id}").input("核实为同一人代填")
    next(b for b in at.button if b.label == "确认并作废这些记录").click().run(timeout=90)
    assert not at.exception
    assert at.success and at.success[-1].value == f"已确认，作废 {len(flag.row_ids)} 份答卷。"
    decided = store.get_flag(site.db, Scope.everything(), flag.id)
    assert decided.state == "confirmed" and decided.decided_by == admin.user_id
    voided = site.db.query("SELECT count(*) FROM responses WHERE voided_at IS NOT NULL AND id IN "
                           "(SELECT unnest(?::BIGINT[]))", [list(flag.row_ids)]).single_value()
    assert voided == len(flag.row_ids)


def test_a_setting_changed_on_the_page_changes_what_the_check_flags(site):
    at = page_test(PAGE, _principal(site.db, "admin"))
    at.run(timeout=90)
    at.number_input(key="cred.set.visit_pace.max_visits").set_value(40).run(timeout=90)
    assert any("超过 40 户" in c.value for c in at.caption)
    at.button(key="cred.run").click().run(timeout=90)
    assert not at.exception
    kinds = {f.kind for f in store.list_flags(site.db, Scope.everything())}
    assert "visit_pace" not in kinds and "response_straight_lining" in kinds


def test_the_page_on_an_area_with_no_data_yet_says_so(app_db):
    from tests.conftest import build_tree, make_principal

    tree = build_tree(app_db)
    at = page_test(PAGE, make_principal(app_db, "new_leader", "leader", tree.unit("T1")))
    at.run(timeout=60)
    assert not at.exception
    at.button(key="cred.run").click().run(timeout=60)
    assert not at.exception
    assert at.success[0].value == "核查完成，新增 0 条提示。"
    assert [i.value for i in at.info] == ["当前范围内没有提示。"]
