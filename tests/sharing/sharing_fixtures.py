"""Helpers for share-link tests: a survey with every question type, published and open, and links to it."""

from __future__ import annotations

from datetime import datetime

from settings import now
from sharing.tokens import new_token, new_tokens
from storage import links as link_store
from storage import surveys as survey_store
from storage.db import Database, Scope
from surveys import load_survey_text, survey_to_dict

ALL_TYPES_YAML = """
id: all_types
title: 全题型测评
intro: 测试用问卷。
pages:
  - id: p1
    title: 第一部分
    questions:
      - {id: overall, type: rating, label: 总体评价, required: true}
      - id: why
        type: multi_choice
        label: 不满意的原因
        required: true
        max_choices: 2
        show_if: {question: overall, op: le, value: 2}
        choices:
          - {value: slow, label: 处理慢}
          - {value: rude, label: 态度差}
          - {value: other, label: 其他}
      - id: side
        type: single_choice
        label: 您住在哪一侧
        choices:
          - {value: east, label: 东区}
          - {value: west, label: 西区}
  - id: p2
    title: 第二部分
    questions:
      - {id: note1, type: note, label: 以下各项请如实填写。}
      - id: services
        type: matrix
        label: 各项服务
        required: true
        rows:
          - {id: water, label: 供水}
          - {id: power, label: 供电}
      - {id: recommend, type: nps, label: 推荐程度}
      - {id: members, type: number, label: 家庭人数, integer: true, min: 1, max: 20}
      - {id: moved_in, type: date, label: 入住日期}
      - {id: comment, type: text, label: 意见建议, multiline: true, max_length: 200}
"""


def publish(db: Database, yaml_text: str = ALL_TYPES_YAML) -> str:
    survey = load_survey_text(yaml_text, "test.yaml")
    survey_store.create_survey(db, survey.id, survey.title, survey.kind, source="test")
    survey_store.publish_version(db, survey.id, survey_to_dict(survey))
    survey_store.set_status(db, survey.id, "open")
    return survey.id


def make_link(db: Database, survey_id: str, unit_id: int, *, mode: str = "open", expires_at: datetime | None = None,
              response_cap: int | None = None, revoked: bool = False, count: int = 1) -> list[str]:
    tokens = new_tokens(count) if mode == "single_use" else [new_token()]
    link_store.create_links(db, survey_id, unit_id, mode, tokens, now(), batch_id=new_token() if mode == "single_use" else None,
                            expires_at=expires_at, response_cap=response_cap)
    if revoked:
        for token in tokens:
            link_store.revoke(db, token, Scope.everything(), now())
    return tokens


# The thank-you a resident sees once the response is stored (pages/fill.py).
THANKS = "提交成功，感谢您的参与！\n\n您的意见已如实记录，将作为改进工作的重要依据。可以关闭本页面了。"
