"""The share-link submit use case: validate, score, claim the link and store the response in one transaction."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import duckdb

from services.survey_catalog import survey_version
from sharing.states import LinkFacts, LinkState, evaluate
from storage import links as link_store
from storage.db import Database, StorageUnavailable, is_write_conflict
from storage.responses import NewResponse, write_response_tx, write_responses_tx
from surveys import AnswerError, Survey, answer_rows, satisfaction_summary, validate_answers

log = logging.getLogger("minyi.submissions")

# A capped link or a single-use token is claimed by a row UPDATE; concurrent
# submissions on the same row conflict and retry until the winner committed.
CLAIM_ATTEMPTS = 10


class SubmitUnavailable(StorageUnavailable):
    """Nothing was stored (the commit failed, or conflicts never settled): the resident is told the service is
    unavailable and that the answers are kept, and may press Submit again (same client key: never stored twice)."""


@dataclass(frozen=True)
class OpenedLink:
    """What the fill page needs after resolving a token."""

    state: LinkState
    link: link_store.ShareLink | None = None
    survey: Survey | None = None
    version: int | None = None


@dataclass(frozen=True)
class SubmitResult:
    status: str  # 'stored' | 'duplicate' | 'invalid' | 'refused'
    response_id: int | None = None
    errors: Mapping[str, list[AnswerError]] = field(default_factory=dict)
    state: LinkState = LinkState.OK

    @property
    def accepted(self) -> bool:
        """Stored now or earlier under the same client key: show the thank-you."""
        return self.status in ("stored", "duplicate")


class OpenCounter:
    """Counts link opens in memory and writes them in batches.

    One INSERT + commit per resident who opens a QR code cost ~2 ms of server
    CPU; batching makes it ~2 ms per FLUSH_EVERY opens. A batch is written at the
    latest FLUSH_AFTER_SECONDS after its first open, by a timer when no later open
    comes: the links page of another process reads the counts from the database.
    Opens still pending when the process is killed are lost: they are a statistic,
    not a response.
    """

    FLUSH_EVERY = 50
    FLUSH_AFTER_SECONDS = 5.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: list[tuple[str, datetime]] = []
        self._oldest = 0.0
        self._timer: threading.Timer | None = None

    def add(self, db: Database, token: str, at: datetime) -> None:
        """Count one open; flush when enough are pending or the oldest waited long enough."""
        with self._lock:
            if not self._pending:
                self._oldest = time.monotonic()
            self._pending.append((token, at))
            due = len(self._pending) >= self.FLUSH_EVERY or time.monotonic() - self._oldest >= self.FLUSH_AFTER_SECONDS
            batch = self._pending if due else []
            if due:
                self._pending = []
            elif self._timer is None:
                # not a daemon: a process that is stopping writes its last opens before it exits (a daemon thread
                # cut off inside the database driver at exit aborted the interpreter)
                self._timer = threading.Timer(self.FLUSH_AFTER_SECONDS, self._flush_late, (db,))
                self._timer.start()
        if batch:
            link_store.record_opens(db, batch)

    def _flush_late(self, db: Database) -> None:
        with self._lock:
            self._timer = None
        try:
            self.flush(db)
        except Exception:  # a statistic: retried with the next batch, never raised into a timer thread
            log.warning("could not write link opens", exc_info=True)

    def flush(self, db: Database) -> None:
        with self._lock:
            batch, self._pending = self._pending, []
        try:
            link_store.record_opens(db, batch)
        except Exception:
            with self._lock:  # kept for the next flush
                self._pending[:0] = batch
            raise

    def close(self, db: Database) -> None:
        """Stop the timer and write what is pending (a process shutting down)."""
        with self._lock:
            timer, self._timer = self._timer, None
        if timer is not None:
            timer.cancel()
        self.flush(db)


def facts_of(link: link_store.ShareLink | None) -> LinkFacts | None:
    if link is None:
        return None
    return LinkFacts(link.mode, link.revoked_at, link.expires_at, link.used_at, link.response_cap, link.claimed,
                     link.survey_open)


def open_link(db: Database, token: str | None, at: datetime) -> OpenedLink:
    """Resolve a (normalized) token to its state, link and the survey version to show.

    A storage failure is logged with its cause and raised as StorageUnavailable (the page says it cannot open the
    survey right now); it is never taken for a state of the link.
    """
    if token is None:
        return OpenedLink(LinkState.UNKNOWN)
    try:
        link = link_store.get_link(db, token, at)
        state = evaluate(facts_of(link), at)
        if link is None or state is not LinkState.OK:
            return OpenedLink(state, link)
        loaded = survey_version(db, link.survey_id)
    except duckdb.Error as exc:
        log.error("opening link %s failed: %s", token, exc, exc_info=exc)
        raise StorageUnavailable(str(exc)) from exc
    if loaded is None:
        return OpenedLink(LinkState.CLOSED, link)
    survey, version = loaded
    return OpenedLink(LinkState.OK, link, survey, version)


def submit(
    db: Database,
    *,
    token: str,
    survey: Survey,
    version: int,
    raw: Mapping[str, Any],
    client_key: str,
    started_at: datetime | None,
    at: datetime,
    writer: "GroupWriter | None" = None,
    browser_id: str | None = None,
) -> SubmitResult:
    """Validate and store one resident's response to a share link.

    Idempotent by ``client_key`` (a retry or double tap returns 'duplicate'
    with the first response's id). The link's state is re-checked, and a
    single-use token or a cap is claimed, inside the same transaction as the
    insert, so a raced token is accepted exactly once and a cap never
    overshoots. Answers to hidden questions are dropped by validation.
    With a ``writer`` the response joins the writer's next group commit
    (returns once it is committed). ``browser_id`` (services.drafts.browser_id)
    marks the response so repeats from one browser can be counted per link.
    """
    check = validate_answers(survey, raw)
    if not check.ok:
        return SubmitResult("invalid", errors=check.errors)
    score = satisfaction_summary(survey, check.clean)
    duration = (at - started_at).total_seconds() if started_at is not None else None
    response = NewResponse(
        client_key=client_key, survey_id=survey.id, survey_version=version, org_unit_id=0, channel="link",
        submitted_at=at, answers=answer_rows(survey, check.clean), sat_n=score.sat_n, sat_ok=score.sat_ok,
        sat_index_sum=score.sat_index_sum, nps_score=score.nps, link_token=token, started_at=started_at,
        duration_seconds=duration, browser_id=browser_id,
    )
    if writer is not None:
        return writer.store(token, response, at)
    return store_with_retries(db, response, token, at)


def _retryable(exc: BaseException) -> bool:
    """A race another transaction won (the link row claimed, the same client key committed): worth another try."""
    return isinstance(exc, link_store.ClaimConflict) or is_write_conflict(exc)


def store_with_retries(db: Database, response: NewResponse, token: str, at: datetime) -> SubmitResult:
    """Store one validated response in its own transaction, retrying write conflicts.

    A result is returned only once its transaction has committed. Any other storage failure (a full disk, a
    duplicate id, anything unexpected) is logged with its cause and raised as SubmitUnavailable: it is never
    reported as a state of the link.
    """
    client_key = response.client_key
    for attempt in range(CLAIM_ATTEMPTS):
        try:
            return _store(db, response, token, at)
        except Exception as exc:
            if not _retryable(exc):
                log.error("storing response %s on link %s failed: %s", client_key, token, exc, exc_info=exc)
                raise SubmitUnavailable(str(exc)) from exc
            # Another transaction holds the link row or the same client key right
            # now. Try again: once it commits, this attempt finds the client key
            # stored (a double tap), the token used, or the cap reached.
        time.sleep(0.005 * (attempt + 1))
    existing = link_store.existing_response_id(db, client_key)
    if existing is not None:
        return SubmitResult("duplicate", existing)
    link = link_store.get_link(db, token, at)
    state = evaluate(facts_of(link), at)
    if state is not LinkState.OK:  # the race was lost to a resident who used the token or reached the cap
        return SubmitResult("refused", state=state)
    log.error("storing response %s on link %s still conflicted after %d attempts", client_key, token, CLAIM_ATTEMPTS)
    raise SubmitUnavailable(f"write conflicts on link {token} did not settle")


class _Refused(Exception):
    """Raised inside the submit transaction to roll back the inserted response."""

    def __init__(self, state: LinkState) -> None:
        super().__init__(state.value)
        self.state = state


def _store(db: Database, response: NewResponse, token: str, at: datetime) -> SubmitResult:
    """One attempt: re-check the link, insert (idempotent by client key), claim if
    single-use or capped; a refused claim rolls the insert back."""
    try:
        with db.transaction() as tx:
            facts = link_store.submit_facts_tx(tx, token, at)
            state = evaluate(_facts(facts), at)
            if facts is None or state is not LinkState.OK or facts.survey_id != response.survey_id:
                existing = link_store.existing_response_id(tx, response.client_key)
                if existing is not None:  # e.g. a double tap after this very response used the token
                    return SubmitResult("duplicate", existing)
                return SubmitResult("refused", state=state if state is not LinkState.OK else LinkState.UNKNOWN)
            written = write_response_tx(tx, replace(response, org_unit_id=facts.org_unit_id))
            if not written.created:
                return SubmitResult("duplicate", written.response_id)
            single_use = facts.mode == "single_use"
            if (single_use or facts.response_cap is not None) and not link_store.claim_tx(
                tx, token, at, single_use, facts.response_cap
            ):
                raise _Refused(LinkState.USED if single_use else LinkState.CAPPED)
            return SubmitResult("stored", written.response_id)
    except _Refused as refused:
        return SubmitResult("refused", state=refused.state)


def _facts(facts: link_store.SubmitFacts | None) -> LinkFacts | None:
    if facts is None:
        return None
    return LinkFacts(facts.mode, facts.revoked_at, facts.expires_at, facts.used_at, facts.response_cap, facts.claimed,
                     facts.survey_open)


@dataclass
class _Pending:
    token: str
    response: NewResponse
    at: datetime
    done: threading.Event = field(default_factory=threading.Event)
    result: SubmitResult | None = None  # set only once the transaction that decided it has committed
    error: BaseException | None = None  # why nothing was stored


class GroupWriter:
    """One writer thread storing link responses in shared transactions (group commit).

    Each resident's session thread hands its validated response over and
    waits; the writer takes everything queued, re-checks each link inside one
    transaction and stores all responses with two multi-row INSERTs. While a
    commit runs, the next residents queue up, so batches grow with load and a
    lone resident waits for no timer. Measured here: ~12 ms of CPU for a
    response in its own transaction, ~2.5 ms each in a batch of 10. A
    response is acknowledged only after its commit; single-use tokens and
    capped links (which need a row claim) are stored one by one as before.

    When the shared transaction fails, at any statement or at COMMIT (a full
    disk), nothing of it was stored and no resident of the batch has been
    answered yet: the failure is logged and each response is tried again in
    a transaction of its own; one that fails again is answered with
    SubmitUnavailable (the page keeps the answers and the resident can press
    Submit again: the client key makes that the same response).
    """

    MAX_BATCH = 64
    WAIT_SECONDS = 30.0

    def __init__(self, db: Database) -> None:
        self._db = db
        self._queue: queue.Queue[_Pending | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="minyi-response-writer", daemon=True)
        self._thread.start()

    def store(self, token: str, response: NewResponse, at: datetime) -> SubmitResult:
        """Queue one response and wait for its commit; SubmitUnavailable when nothing could be stored (or the
        writer did not answer in time: then it may still commit, and a second Submit finds it as a duplicate)."""
        item = _Pending(token, response, at)
        self._queue.put(item)
        if not item.done.wait(self.WAIT_SECONDS):
            log.error("the response writer did not answer within %.0f s (response %s)", self.WAIT_SECONDS,
                      response.client_key)
            raise SubmitUnavailable("the response writer did not answer")
        if item.result is None:
            raise SubmitUnavailable(str(item.error or "not stored")) from item.error
        return item.result

    def close(self) -> None:
        """Stop the writer thread after the responses already queued."""
        self._queue.put(None)
        self._thread.join(self.WAIT_SECONDS)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            stop = False
            while len(batch) < self.MAX_BATCH:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                    break
                batch.append(item)
            try:
                self._store_group(batch)
            except Exception as exc:  # never leave a resident waiting on a dead writer
                log.exception("the response writer failed")
                for item in batch:
                    if item.result is None and item.error is None:
                        item.error = exc
            finally:
                for item in batch:
                    item.done.set()
            if stop:
                return

    def _store_group(self, batch: list[_Pending]) -> None:
        """Store a batch, setting each item's result only after the commit that decided it."""
        try:
            decided, alone = self._store_batch(batch)
        except Exception as exc:
            if _retryable(exc):  # e.g. a client key raced in from the single-use path: routine
                log.info("group commit of %d responses lost a race, storing each on its own: %s", len(batch), exc)
            else:
                log.warning("group commit of %d responses failed, storing each on its own: %s", len(batch), exc,
                            exc_info=exc)
            decided, alone = [], batch
        for item, result in decided:  # committed: now they may be told
            item.result = result
        for item in alone:
            try:
                item.result = store_with_retries(self._db, item.response, item.token, item.at)
            except Exception as exc:  # logged by store_with_retries; the waiting session says "answers kept"
                item.error = exc

    def _store_batch(self, batch: list[_Pending]) -> tuple[list[tuple[_Pending, SubmitResult]], list[_Pending]]:
        """One shared transaction: returns (item, result) pairs decided by it, valid once it has committed (this
        returns only then), and the items that need a transaction of their own (single-use or capped links)."""
        alone: list[_Pending] = []
        decided: list[tuple[_Pending, SubmitResult]] = []
        with self._db.transaction() as tx:
            facts: dict[str, link_store.SubmitFacts | None] = {}
            grouped: dict[str, list[_Pending]] = {}
            unit_of: dict[str, int] = {}
            for item in batch:
                if item.token not in facts:
                    facts[item.token] = link_store.submit_facts_tx(tx, item.token, item.at)
                f = facts[item.token]
                state = evaluate(_facts(f), item.at)
                if f is None or state is not LinkState.OK or f.survey_id != item.response.survey_id:
                    existing = link_store.existing_response_id(tx, item.response.client_key)
                    decided.append((item, SubmitResult("duplicate", existing) if existing is not None else
                                    SubmitResult("refused", state=state if state is not LinkState.OK else LinkState.UNKNOWN)))
                elif f.mode == "single_use" or f.response_cap is not None:
                    alone.append(item)
                else:
                    grouped.setdefault(item.response.client_key, []).append(item)
                    unit_of[item.response.client_key] = f.org_unit_id
            firsts = [items[0] for items in grouped.values()]
            written = write_responses_tx(
                tx, [replace(i.response, org_unit_id=unit_of[i.response.client_key]) for i in firsts])
            for items, result in zip(grouped.values(), written):
                for n, item in enumerate(items):
                    created = result.created and n == 0
                    decided.append((item, SubmitResult("stored" if created else "duplicate", result.response_id)))
        return decided, alone
