"""Run in its own process by test_zip_bomb: feeds a zip bomb to every upload path (the services the pages call, then
the CLI commands) while a resident thread keeps submitting to a share link; prints one JSON line with what each
path answered, the process's peak memory, and the residents' submissions meanwhile."""

from __future__ import annotations

import contextlib
import io
import json
import os
import resource
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def _peak_mb() -> float:
    """The process's peak resident memory (VmHWM) in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _reset_peak() -> None:
    """Start VmHWM again from the current resident memory (Linux: clear_refs 5)."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def main(data_dir: str, unpacked_mb: int) -> None:
    os.environ["MINYI_DB"] = str(Path(data_dir) / "minyi.duckdb")
    import settings
    from fieldwork import registry
    from services import authoring, evaluation, paper_import, submissions
    from services import fieldwork as fw
    from services.startup import prepare
    from settings import now
    from storage import surveys as survey_store
    from storage.db import Scope, open_database
    from tests.conftest import build_tree, make_principal
    from tests.sharing.sharing_fixtures import make_link
    from tests.uploads import bombs

    bomb = bombs.zip_bomb(unpacked_mb, sheets=("survey",))
    import gc

    gc.collect()
    db = open_database(os.environ["MINYI_DB"])
    prepare(db, settings.load())
    tree = build_tree(db)
    admin = make_principal(db, "admin1", "admin", tree.district)
    authoring.import_yaml(db, admin, "id: paper\ntitle: 纸质\nquestions:\n  - {id: overall, type: rating, label: 总体}\n",
                          publish_now=True)
    survey_store.set_status(db, "paper", "open")
    token = make_link(db, "paper", tree.grids[0].id)[0]
    opened = submissions.open_link(db, token, now())
    path = Path(data_dir) / "bomb.xlsx"
    path.write_bytes(bomb)

    stop = threading.Event()
    latencies: list[float] = []
    outcomes: list[str] = []

    def resident() -> None:  # a resident submitting every 20 ms while the uploads are handled
        while not stop.is_set():
            started = time.perf_counter()
            result = submissions.submit(db, token=token, survey=opened.survey, version=opened.version,
                                        raw={"overall": 4}, client_key=str(uuid.uuid4()), started_at=None, at=now())
            latencies.append(time.perf_counter() - started)
            outcomes.append(result.status)
            time.sleep(0.02)

    stages = {"before the uploads": _peak_mb()}
    _reset_peak()  # from here on the peak is what the uploads and the residents cost on top of what is resident
    thread = threading.Thread(target=resident)
    thread.start()
    answered: dict[str, str] = {}
    runs = {
        "households": lambda: fw.check_households(db, Scope.everything(), bomb, "bomb.xlsx"),
        "org tree": lambda: registry.parse_units(bomb, "bomb.xlsx", {}),
        "visit sheet": lambda: fw.read_visit_sheet(db, Scope.everything(), bomb, "bomb.xlsx", categories=[],
                                                   today=now().date(), window=None),
        "paper responses": lambda: paper_import.plan_import(db, admin, "paper", bomb, "bomb.xlsx"),
        "evaluation subjects": lambda: evaluation.subject_names_from_table(bomb, "bomb.xlsx"),
        "xlsform": lambda: authoring.import_xlsform(db, admin, bomb, filename="bomb.xlsx"),
    }
    for name, run in runs.items():
        try:
            run()
            answered[name] = "read"
        except Exception as exc:  # what a page shows: the refusal's code
            answered[name] = getattr(exc, "code", type(exc).__name__)
    time.sleep(0.3)
    stop.set()
    thread.join()
    stored = db.query("SELECT count(*) FROM responses WHERE link_token = ?", [token]).single_value()
    db.close()
    stages["during the services"] = _peak_mb()

    from cli.main import main as cli

    for name, argv in {
        "cli import-households": ["import-households", str(path)],
        "cli import-units": ["import-units", str(path)],
        "cli import-survey": ["import-survey", str(path)],
        "cli import-responses": ["import-responses", "paper", str(path)],
    }.items():
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = cli(argv)
        answered[name] = f"{code}: {err.getvalue().strip().splitlines()[-1] if err.getvalue().strip() else ''}"

    stages["during the services and the CLI"] = _peak_mb()
    print(json.dumps({
        "peak_rss_mb_by_stage": stages,
        "bomb_bytes": len(bomb),
        "answered": answered,
        "peak_rss_mb": stages["during the services and the CLI"],
        "submits": len(outcomes),
        "submits_stored": outcomes.count("stored"),
        "stored": stored,
        "slowest_submit_s": max(latencies) if latencies else None,
    }, ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
