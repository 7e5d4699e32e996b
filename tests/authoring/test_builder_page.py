"""Builder page (AppTest): create a survey with every question type and a menu-built condition, publish,
edit into version 2, and responses keep the version they answered."""

from __future__ import annotations

from tests.conftest import build_tree, make_principal, page_test
from tests.core.stored_text import shown
from services import authoring, paper_import
from storage import surveys as survey_store
from surveys import constants as c


def click(at, key):
    at.button(key=key).click().run()
    assert not at.exception, at.exception
    return at


def test_build_publish_and_version_two(app_db):
    tree = build_tree(app_db)
    admin = make_principal(app_db, "admin1", "admin", tree.district)
    at = page_test("pages/builder.py", admin)
    at.run()
    assert not at.exception
    at.text_input(key="builder.new.title").set_value("社区服务问卷")
    at.text_input(key="builder.new.id").set_value("shequ_fuwu")
    click(at, "builder.new.create")
    assert at.selectbox(key="builder.choose").value == "shequ_fuwu"
    assert "已创建问卷 shequ_fuwu" in shown([s.value for s in at.success][0])  # the markdown as the user reads it

    for question_type in c.QUESTION_TYPES:
        at.selectbox(key="builder.add.type").set_value(question_type)
        at.text_input(key="builder.add.id").set_value(f"q_{question_type}")
        at.text_input(key="builder.add.label").set_value(f"题目 {question_type}")
        click(at, "builder.add.button")
    draft = authoring.working_definition(app_db, "shequ_fuwu")
    assert [q["id"] for q in draft["pages"][0]["questions"]] == ["intro_note"] + [f"q_{t}" for t in c.QUESTION_TYPES]

    # A condition chosen from menus: show q_text only when q_single_choice is 选项2 (value c2).
    click(at, "builder.edit.q_text")
    click(at, "builder.q.q_text.cond_add")
    at.selectbox(key="builder.q.q_text.cond0_q").set_value("q_single_choice").run()
    assert at.selectbox(key="builder.q.q_text.cond0_op").options == ["等于", "不等于", "是其中之一", "不是其中任何一个", "已作答", "未作答"]
    at.selectbox(key="builder.q.q_text.cond0_v").set_value("c2")
    at.checkbox(key="builder.q.q_text.required").check()
    click(at, "builder.q.q_text.save")
    text_q = authoring.working_definition(app_db, "shequ_fuwu")["pages"][0]["questions"][6]
    assert text_q == {"id": "q_text", "type": "text", "label": "题目 text", "required": True,
                      "show_if": {"question": "q_single_choice", "op": "eq", "value": "c2"}}
    # The phone preview renders the draft as residents will see it.
    assert "1\\. 题目 single\\_choice" in [m.value for m in at.markdown]  # numbered, markdown-escaped

    click(at, "builder.publish")
    assert survey_store.get_survey(app_db, "shequ_fuwu").current_version == 1
    click(at, "builder.status.open")
    assert survey_store.get_survey(app_db, "shequ_fuwu").status == "open"
    first = paper_import.plan_import(app_db, admin, "shequ_fuwu", "unit,q_rating\nT1C1G1,5\n".encode(), "a.csv")
    paper_import.run_import(app_db, admin, first)

    # Editing the published survey: a draft of version 2; version 1 keeps being answered until publishing.
    click(at, "builder.edit.q_number")
    at.text_area(key="builder.q.q_number.label").set_value("您家有几口人？")
    at.checkbox(key="builder.q.q_number.integer").check()
    click(at, "builder.q.q_number.save")
    assert any("第 2 版草稿" in i.value for i in at.info)
    assert survey_store.get_survey(app_db, "shequ_fuwu").current_version == 1
    click(at, "builder.publish")
    assert survey_store.get_survey(app_db, "shequ_fuwu").current_version == 2
    second = paper_import.plan_import(app_db, admin, "shequ_fuwu", "unit,q_rating\nT1C1G2,4\n".encode(), "b.csv")
    paper_import.run_import(app_db, admin, second)
    assert app_db.query("SELECT survey_version FROM responses WHERE survey_id = 'shequ_fuwu' ORDER BY id").rows == [(1,), (2,)]
    assert [v.version for v in survey_store.list_versions(app_db, "shequ_fuwu")] == [1, 2]
    assert survey_store.version_definition(app_db, "shequ_fuwu", 1)["pages"][0]["questions"][7]["label"] == "题目 number"

    # The versions tab compares by question id.
    table = at.dataframe[-1].value
    assert dict(zip(table.iloc[:, 0], table.iloc[:, 1]))["q_number"] == "设置改变"


def test_leader_sees_only_own_surveys_and_cadre_is_refused(app_db):
    tree = build_tree(app_db)
    leader = make_principal(app_db, "leader1", "leader", tree.towns[0])
    at = page_test("pages/builder.py", leader)
    at.run()
    assert not at.exception and at.info[0].value == "还没有您可以编辑的问卷。请先新建一个。"
    at.text_input(key="builder.new.title").set_value("民主评议")
    at.text_input(key="builder.new.id").set_value("pingyi")
    at.selectbox(key="builder.new.kind").set_value("evaluation").run()
    at.text_area(key="builder.new.subjects").set_value("张三\n李四\n")
    click(at, "builder.new.create")
    assert at.selectbox(key="builder.choose").options == ["民主评议 (pingyi)"]
    survey = authoring.check_definition(authoring.working_definition(app_db, "pingyi"))
    assert survey.kind == "evaluation" and [r.label for r in survey.questions[0].rows] == ["张三", "李四"]
    cadre = make_principal(app_db, "cadre1", "cadre", tree.grids[0])
    refused = page_test("pages/builder.py", cadre)
    refused.run()
    assert refused.error[0].value == "您的账号无权访问此页面。"


def test_settings_lists_reorder_delete_schedule_duplicate_and_template_copy(app_db):
    tree = build_tree(app_db)
    admin = make_principal(app_db, "admin1", "admin", tree.district)
    at = page_test("pages/builder.py", admin)
    at.run()
    at.text_input(key="builder.new.title").set_value("满意度副本")
    at.text_input(key="builder.new.id").set_value("copy1")
    at.selectbox(key="builder.new.template").set_value("qunzhong_manyidu")
    click(at, "builder.new.create")
    assert at.selectbox(key="builder.choose").value == "copy1"
    survey = authoring.check_definition(authoring.working_definition(app_db, "copy1"))
    assert survey.title == "满意度副本" and survey.question_ids()[:2] == ["overall", "dissatisfied_reasons"]

    # Satisfaction questions chosen in settings; a shared choice list added.
    at.multiselect(key="builder.s.copy1.counted").set_value(["overall"])
    at.selectbox(key="builder.s.copy1.level").set_value(4)
    click(at, "builder.s.save")
    draft = authoring.working_definition(app_db, "copy1")
    assert draft["satisfied_level"] == 4
    ratings = {q["id"]: q.get("counts_toward_satisfaction", q["type"] == "rating")
               for p in draft["pages"] for q in p["questions"] if q["type"] in ("rating", "matrix")}
    assert [qid for qid, on in ratings.items() if on] == ["overall"]
    at.text_input(key="builder.lists.copy1.name.").set_value("colours")
    at.text_area(key="builder.lists.copy1.lines.").set_value("红\nb|蓝|2")
    click(at, "builder.lists.save")
    assert authoring.working_definition(app_db, "copy1")["choice_lists"]["colours"] == [
        {"value": "c1", "label": "红"}, {"value": "b", "label": "蓝", "score": 2}]

    # Reorder across a page edge, then delete.
    click(at, "builder.down.dissatisfied_reasons")
    pages = authoring.working_definition(app_db, "copy1")["pages"]
    assert [q["id"] for q in pages[0]["questions"]] == ["overall"] and pages[1]["questions"][0]["id"] == "dissatisfied_reasons"
    click(at, "builder.up.dissatisfied_reasons")
    click(at, "builder.delete.dissatisfied_reasons")
    assert "dissatisfied_reasons" not in [q["id"] for p in authoring.working_definition(app_db, "copy1")["pages"] for q in p["questions"]]

    click(at, "builder.publish")
    assert not at.error
    at.checkbox(key="builder.sched.has_open").check()
    click(at, "builder.sched.save")
    from storage import surveys as store

    assert store.get_survey(app_db, "copy1").opens_at is not None
    at.text_input(key="builder.dup.id").set_value("copy2")
    click(at, "builder.dup.button")
    assert at.selectbox(key="builder.choose").value == "copy2"
    assert authoring.check_definition(authoring.working_definition(app_db, "copy2")).question_ids()[0] == "overall"
    click(at, "builder.status.archived")
    assert store.get_survey(app_db, "copy2").status == "archived"
