"""Creating links through the service: scope, open surveys, limits, the batch's printable sheet."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from services import share_links
from settings import now
from storage import links as link_store
from storage import surveys as survey_store
from tests.sharing.sharing_fixtures import publish


def test_batch_of_single_use_codes_and_its_sheet(db, tree):
    survey_id = publish(db)
    town = tree.unit("T1")
    created = share_links.create(db, survey_id=survey_id, unit_code="T1C1G2", scope=town.scope, single_use=14,
                                 expires_on=now().date(), base_url="https://m.example.cn")
    assert created.mode == "single_use" and len(set(created.tokens)) == 14
    assert created.urls[0] == f"https://m.example.cn/fill?t={created.tokens[0]}"
    stored = link_store.links_in_batch(db, created.batch_id, town.scope, now())
    assert [link.token for link in stored] == sorted(created.tokens)
    # "expires on" a day means: until the end of that day
    assert stored[0].expires_at == dt.datetime.combine(now().date() + dt.timedelta(days=1), dt.time())
    assert link_store.links_in_batch(db, created.batch_id, tree.unit("T2").scope, now()) == []  # other town
    pdf = share_links.batch_sheet(db, created.batch_id, town.scope, instruction="扫码", page_label="{page}/{pages}")
    assert pdf is not None and pdf.startswith(b"%PDF")
    assert len(re.findall(rb"/Type /Page\b(?!s)", pdf)) == 2  # 14 cards, 12 per page
    assert db.query("SELECT action, target FROM audit_log").rows == [("links.create", survey_id)]


@pytest.mark.parametrize(
    "kwargs, key",
    [
        (dict(unit_code="T2C1"), "links.error.unit_out_of_scope"),
        (dict(unit_code="NOPE"), "links.error.unit_out_of_scope"),
        (dict(single_use=0), "links.error.batch_size"),
        (dict(single_use=share_links.MAX_BATCH + 1), "links.error.batch_size"),
        (dict(response_cap=0), "links.error.cap"),
        (dict(expires_on=dt.date(2020, 1, 1)), "links.error.expired_date"),
    ],
)
def test_bad_requests_are_refused_with_a_message_key(db, tree, kwargs, key):
    survey_id = publish(db)
    args = dict(survey_id=survey_id, unit_code="T1C1", scope=tree.unit("T1").scope) | kwargs
    with pytest.raises(share_links.LinkRequestError) as err:
        share_links.create(db, **args)
    assert err.value.key == key
    assert db.query("SELECT count(*) FROM share_links").single_value() == 0


def test_links_only_for_open_surveys(db, tree):
    survey_id = publish(db)
    survey_store.set_status(db, survey_id, "closed")
    with pytest.raises(share_links.LinkRequestError) as err:
        share_links.create(db, survey_id=survey_id, unit_code="T1", scope=tree.district.scope)
    assert err.value.key == "links.error.survey_not_open"
