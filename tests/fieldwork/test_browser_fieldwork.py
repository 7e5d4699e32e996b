"""A real browser: a cadre finds a household on the make-up list, records a met visit with a problem, works the
problem and closes it with the resident's confirmation on a return visit."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from storage import open_database
from tests.conftest import TEST_PASSWORD, pick, prepared_db, settle, sign_in, start_app, stop_app
from tests.fieldwork.conftest import live_window, seed_world

pytestmark = pytest.mark.browser


def _choose(page, label: str, option: str) -> None:
    box = page.locator('[data-testid="stSelectbox"]').filter(has_text=label).first
    box.click()
    page.get_by_role("option", name=option).first.click()
    settle(page, 300)


def _radio(page, question: str, option: str) -> None:
    pick(page.locator('[data-testid="stRadio"]').filter(has_text=question).first, option)


def _fill_visit_form(page) -> None:
    _radio(page, "满意程度", "满意")
    _radio(page, "是否需要回头访", "否")


def test_cadre_visit_problem_and_close_out(tmp_path, browser):
    db = prepared_db(tmp_path)
    world = seed_world(db, window=live_window())
    h101 = world.hh["H101"]
    db.close()
    app = start_app(tmp_path)
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 2400})
        sign_in(page, app.url, "cadre1", TEST_PASSWORD)

        page.goto(app.url + "/worklists")
        settle(page, 300)
        page.get_by_role("tab", name="补课访（3）").wait_for()
        page.get_by_role("tab", name="回头访（0）").wait_for()

        page.goto(app.url + "/visits")
        settle(page, 300)
        _choose(page, "显示", "待补课访（未覆盖）")
        _choose(page, "选择住户", "H101 · 张三明 · 幸福路1号 · 未走访")
        page.get_by_text("登记走访：H101").wait_for()
        _fill_visit_form(page)
        number = page.locator('[data-testid="stNumberInput"]').filter(has_text="问题数量").locator("input")
        number.fill("1")
        number.press("Enter")
        settle(page, 300)
        area = page.locator('[data-testid="stTextArea"]').filter(has_text="问题描述").locator("textarea")
        area.fill("楼道灯坏了三个月")
        area.press("Tab")
        settle(page, 300)
        page.get_by_role("button", name="保存走访记录").click()
        settle(page, 300)
        page.get_by_text("走访记录已保存").wait_for()
        page.screenshot(path=str(tmp_path / "visit_saved.png"))

        page.goto(app.url + "/worklists")
        settle(page, 300)
        page.get_by_role("tab", name="补课访（2）").wait_for()  # H101 left the make-up list
        page.get_by_role("tab", name="回头访（1）").wait_for()  # and is on the return list
        page.get_by_role("button", name="导出 Excel 纸质走访表 · 生成下载文件").first.click()  # the make-up list's sheet
        settle(page, 300)
        with page.expect_download() as download:  # fetched once through /download, never from /media
            page.locator('a[href^="/download/"]').first.click()
        assert download.value.suggested_filename.endswith(".xlsx")
        sheet = load_workbook(io.BytesIO(download.value.path().read_bytes())).active
        assert sorted(row[0] for row in sheet.iter_rows(min_row=2, values_only=True)) == ["H102", "H103"]
        settle(page, 300)

        page.goto(app.url + "/problems")
        settle(page, 300)
        for label in ("我来办理", "开始办理", "办结"):
            page.get_by_role("button", name=label, exact=True).click()
            settle(page, 300)
        page.get_by_text("已办结的问题须在回头访中由群众确认").wait_for()

        page.goto(app.url + f"/visits?hh={h101}")
        settle(page, 300)
        page.get_by_text("登记走访：H101").wait_for()
        assert page.get_by_role("checkbox", name="这是回头访").is_checked()
        _fill_visit_form(page)
        _radio(page, "办理结果的满意程度", "满意")
        page.get_by_role("button", name="保存走访记录").click()
        settle(page, 300)
        page.get_by_text("走访记录已保存").wait_for()

        page.goto(app.url + "/worklists")
        settle(page, 300)
        page.get_by_role("tab", name="回头访（0）").wait_for()
        page.screenshot(path=str(tmp_path / "worklists_after.png"))
    finally:
        stop_app(app)
    db = open_database(tmp_path / "minyi.duckdb")
    try:
        rows = db.query("SELECT state, resolution_satisfaction, description FROM problems").rows
        assert rows == [("closed", 4, "楼道灯坏了三个月")]
        actions = [r[0] for r in db.query("SELECT action FROM problem_events ORDER BY id").rows]
        assert actions == ["create", "assign", "start", "resolve", "close"]
        visits = db.query("SELECT outcome, is_return_visit FROM visits ORDER BY id").rows
        assert visits == [("met", False), ("met", True)]
        assert db.query("SELECT count(*) FROM responses WHERE household_id = ?", [h101]).single_value() == 2
        exports = db.query("SELECT actor_name, action FROM audit_log WHERE action LIKE 'export.%'").rows
        assert exports == [("cadre1", "export.worklist")]
    finally:
        db.close()


def test_admin_imports_a_gbk_registry_with_a_bad_row(tmp_path, browser):
    db = prepared_db(tmp_path)
    seed_world(db, window=live_window())
    db.close()
    registry = tmp_path / "名册.csv"
    registry.write_bytes(("户编号 ,户主姓名,联系电话,地址,所属网格,家庭人口,标签\n"
                          "H101,张三明,13812345678,幸福路1号,T1C1G1,４,低保户\n"  # known: updated (members 3 -> 4)
                          "N1,新住户,13900002222,新村1号,T1C1G2,2,独居老人\n"
                          "N2,坏电话,12345,新村2号,T1C1G2,2,\n").encode("gbk"))
    sheet = tmp_path / "走访表.csv"
    sheet.write_bytes(("户编号,户主姓名,走访日期,走访结果,满意度,问题类别,问题描述,紧急程度,需要回头访\n"
                       "H102,李四,2026-11-20,不在家,,,,,\n"
                       "N1,新住户,2026-11-20,见面,满意,治安,门禁坏了,紧急,否\n"
                       "H103,王小五,,,,,,,\n").encode("gbk"))
    app = start_app(tmp_path)
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 2000})
        sign_in(page, app.url, "admin1", TEST_PASSWORD)
        page.goto(app.url + "/households")
        settle(page, 300)
        page.get_by_text("导入住户名册").click()
        page.locator('[data-testid="stFileUploader"] input[type=file]').first.set_input_files(str(registry))
        settle(page, 300)
        page.get_by_text("共 3 行：2 行可导入，1 行有错误（文件编码：gbk）").wait_for()
        assert page.get_by_role("button", name="导入", exact=True).is_disabled()
        page.get_by_text("跳过有错误的行，只导入正确的行").click()
        settle(page, 300)
        page.get_by_role("button", name="导入", exact=True).click()
        settle(page, 300)
        page.get_by_text("导入完成：新增 1 户，更新 1 户，未变 0 户。").wait_for()
        page.screenshot(path=str(tmp_path / "imported.png"))

        # the paper path: a filled sheet comes back as visits
        page.goto(app.url + "/worklists")
        settle(page, 300)
        page.locator('[data-testid="stFileUploader"] input[type=file]').first.set_input_files(str(sheet))
        settle(page, 300)
        page.get_by_text("共 3 行：2 条走访可导入，1 行未填写结果已跳过，0 行有错误。").wait_for()
        page.get_by_role("button", name="导入走访记录").click()
        settle(page, 300)
        page.get_by_text("已导入 2 条走访记录").wait_for()
    finally:
        stop_app(app)
    db = open_database(tmp_path / "minyi.duckdb")
    try:
        rows = db.query("SELECT code, members FROM households WHERE code IN ('H101', 'N1', 'N2') ORDER BY code").rows
        assert rows == [("H101", 4), ("N1", 2)]
        assert db.query("SELECT count(*) FROM audit_log WHERE action = 'households.import'").single_value() == 1
        visits = db.query("SELECT h.code, v.outcome FROM visits v JOIN households h ON h.id = v.household_id"
                          " ORDER BY h.code").rows
        assert visits == [("H102", "not_home"), ("N1", "met")]
        assert db.query("SELECT category, description, urgency FROM problems").rows == [("治安", "门禁坏了", "high")]
    finally:
        db.close()
