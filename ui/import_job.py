"""Long imports off the script thread: a progress bar and a cancel button while they run, their result after."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import streamlit as st

from services.uploads import ImportJob
from ui import state
from ui.session import t

# A small file's result is shown on the same run, without a progress bar flashing by.
WAIT_SECONDS = 5.0
POLL_SECONDS = 0.5
RUNNING = object()  # what run() returns while the job is still running or was cancelled


def digest(data: bytes) -> str:
    """What names one uploaded file's jobs: a new file starts new ones."""
    return hashlib.sha256(data).hexdigest()[:24]


def _jobs() -> dict[str, tuple[str, ImportJob]]:
    return st.session_state.setdefault(state.IMPORT_JOBS, {})


def started(slot: str, key: str) -> bool:
    """Whether ``slot`` holds a job for ``key`` (started on an earlier run, running or done)."""
    held = _jobs().get(slot)
    return held is not None and held[0] == key


def forget(slot: str) -> None:
    held = _jobs().pop(slot, None)
    if held is not None:
        held[1].cancel()


def run(slot: str, key: str, work: Callable[[Callable[[float], None]], Any], *, once: bool = False) -> Any:
    """The result of ``work(progress)`` for ``key`` (e.g. the file's digest), run once on its own thread.

    While it runs, this shows its progress and a cancel button and returns RUNNING (the rest of the page still
    renders); when it has finished the page reruns and this returns the result, or raises the work's own exception,
    here on the script thread. A cancelled job says so and returns RUNNING. Another key in the same slot (another
    file) cancels the old job. With ``once`` (a write) the outcome is handed over once and the slot emptied, so its
    message shows once and a later rerun neither repeats it nor runs the work again.
    """
    jobs = _jobs()
    held = jobs.get(slot)
    if held is None or held[0] != key:
        if held is not None:
            held[1].cancel()
        job = ImportJob(work, label=slot).start()
        jobs[slot] = (key, job)
        job.wait(WAIT_SECONDS)
    else:
        job = held[1]
    job.seen()
    if not job.done:
        _progress(slot, job)
        return RUNNING
    if once:
        jobs.pop(slot, None)
    if job.cancelled:
        st.info(t("upload.cancelled"))
        return RUNNING
    return job.outcome()


@st.fragment(run_every=POLL_SECONDS)
def _progress(slot: str, job: ImportJob) -> None:
    job.seen()
    if job.done:
        st.rerun()
    text = t("upload.waiting") if job.waiting else t("upload.running", percent=int(job.progress * 100))
    st.progress(job.progress, text=text)
    if st.button(t("upload.cancel"), key=f"{slot}.cancel"):
        job.cancel()
        st.caption(t("upload.cancelling"))
