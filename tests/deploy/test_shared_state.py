"""What several app processes share must be right when they start and work at the same moment: the one-time setup
code, the cookie key beside it, and the link-open counts each process batches in memory."""

from __future__ import annotations

import threading
import time

import pytest

from auth import setup
from storage import orgs, users


def _together(count: int, work) -> list[object]:
    """Run ``work(i)`` in ``count`` threads released at once; each result, or the exception it raised."""
    start = threading.Barrier(count)
    results: list[object] = [None] * count

    def one(i: int) -> None:
        start.wait()
        try:
            results[i] = work(i)
        except BaseException as exc:  # collected: the test says which were expected
            results[i] = exc

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return results


def test_the_setup_code_raced_on_the_database_makes_one_admin_and_tells_the_others(db, tmp_path):
    orgs.create_unit(db, "D01", "清河区", 1)
    code = setup.ensure_setup_code(db, tmp_path)
    results = _together(4, lambda i: setup.create_first_admin(db, code, "D01", "清河区", f"root{i}", "管理员",
                                                              "first-admin-9", tmp_path))
    admins = [r for r in results if isinstance(r, int)]
    taken = [r for r in results if isinstance(r, setup.SetupTaken)]
    assert (len(admins), len(taken)) == (1, 3), results  # a lost race is "taken", never a server error
    assert users.count_users(db, "admin") == 1


def test_processes_starting_together_print_one_setup_code_that_works(db, tmp_path):
    codes = _together(4, lambda i: setup.ensure_setup_code(db, tmp_path))
    assert all(isinstance(c, str) for c in codes), codes
    assert len(set(codes)) == 1, codes  # every terminal shows the same code
    assert (tmp_path / setup.CODE_FILE).read_text().strip() == codes[0]
    assert setup.check_setup_code(db, codes[0])


def test_processes_starting_together_share_one_cookie_key(tmp_path):
    import settings

    # measured on the old code: 81 of 200 rounds of 8 starts handed some process an empty key
    for round_ in range(20):
        folder = tmp_path / f"round{round_}"
        cfg = settings.load({"MINYI_DB": str(folder / "minyi.duckdb")})
        keys = _together(8, lambda i: settings.cookie_secret(cfg))
        assert all(isinstance(k, str) and len(k) >= 32 for k in keys), keys  # never an empty, half-written key
        assert len(set(keys)) == 1
        assert (folder / "secret.key").read_text().strip() == keys[0]


def test_link_opens_counted_in_one_process_reach_the_database_without_another_open(db, monkeypatch):
    from services import submissions
    from settings import now
    from storage import links as link_store
    from storage.db import Scope
    from tests.conftest import build_tree
    from tests.sharing.sharing_fixtures import make_link, publish

    tree = build_tree(db)
    survey_id = publish(db)
    token = make_link(db, survey_id, tree.grids[0].id)[0]

    def _opened(db, token: str) -> int:
        return next(s.opened for s in link_store.list_links(db, survey_id, Scope.everything()) if s.token == token)

    monkeypatch.setattr(submissions.OpenCounter, "FLUSH_AFTER_SECONDS", 0.3)
    counter = submissions.OpenCounter()
    for _ in range(3):
        counter.add(db, token, now())
    # the links page of another process reads the database: the three opens are there soon, though no fourth
    # open came to this process to flush them
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and _opened(db, token) != 3:
        time.sleep(0.05)
    assert _opened(db, token) == 3
    counter.close(db)


@pytest.mark.postgres
@pytest.mark.parametrize("secret", [None, "the-same-on-every-machine"])
def test_the_app_on_postgresql_says_at_start_when_the_cookie_key_is_only_this_machines(fresh_target, tmp_path,
                                                                                      capsys, secret):
    import settings
    from i18n import t
    from services.startup import start_app

    env = {"MINYI_DB": fresh_target, "MINYI_DATA_DIR": str(tmp_path), **({"MINYI_SECRET": secret} if secret else {})}
    start_app(settings.load(env))
    said = t("pgmp.secret_from_file", "zh", file=str(tmp_path / "secret.key")) in capsys.readouterr().out
    assert said is (secret is None)
