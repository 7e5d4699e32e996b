"""The problem workflow (问题清单): states, the transitions allowed between them, and their checks.

    new ──assign──▶ assigned ──start──▶ in_progress ──resolve──▶ resolved ──confirm(satisfied)──▶ closed
     ▲                 │  ▲ reassign                    ▲                     │
     └──reject(reason)─┘                                └──confirm(dissatisfied) / reopen(reason)

A dissatisfied confirmation (the resident's rating of the resolution below
基本满意) reopens the problem to **in_progress**, not assigned: the same
assignee keeps it and must work it again, so nobody has to re-assign it and
the history stays with the person who owned it. A leader who does not accept
a resolution reopens it the same way, with a reason. Closing (销号) happens
only through a confirmation recorded on a return visit.
"""

from __future__ import annotations

from dataclasses import dataclass

STATES: tuple[str, ...] = ("new", "assigned", "in_progress", "resolved", "closed")
OPEN_STATES: tuple[str, ...] = ("new", "assigned", "in_progress", "resolved")
IN_HAND_STATES: tuple[str, ...] = ("new", "assigned", "in_progress")  # being worked on: what can be overdue
SATISFIED_LEVEL = 3  # 基本满意 on the five-level scale
SATISFACTION_LEVELS: dict[int, str] = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}

# action -> the states it may start from
ACTIONS: dict[str, tuple[str, ...]] = {
    "assign": ("new", "assigned"),
    "start": ("assigned",),
    "resolve": ("in_progress",),
    "reject": ("assigned",),
    "reopen": ("resolved",),
    "confirm": ("resolved",),
}
NEEDS_REASON: frozenset[str] = frozenset({"reject", "reopen"})


class TransitionError(ValueError):
    """A refused transition; ``code`` is an i18n key under ``problems.err.``."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class Transition:
    """A checked transition: the event to record and the state it leads to."""

    action: str  # the event's action: assign, start, resolve, reject, reopen, close
    from_state: str
    to_state: str
    note: str | None


def plan_transition(
    state: str,
    action: str,
    *,
    reason: str | None = None,
    satisfaction: int | None = None,
    on_return_visit: bool = False,
    has_assignee: bool = False,
) -> Transition:
    """Check ``action`` on a problem in ``state`` and say where it leads.

    ``confirm`` needs the resident's ``satisfaction`` (1–5) recorded on a
    return visit; satisfied (>= 基本满意) closes, dissatisfied reopens to
    in_progress. ``reject`` and ``reopen`` need a non-blank ``reason``.
    ``assign`` needs an assignee (a cadre or a unit).
    """
    if state not in STATES:
        raise TransitionError("problems.err.unknown_state", state=state)
    if action not in ACTIONS:
        raise TransitionError("problems.err.unknown_action", action=action)
    if state not in ACTIONS[action]:
        raise TransitionError("problems.err.not_allowed", action=action, state=state)
    note = (reason or "").strip() or None
    if action in NEEDS_REASON and note is None:
        raise TransitionError("problems.err.reason_required")
    if action == "assign":
        if not has_assignee:
            raise TransitionError("problems.err.assignee_required")
        return Transition("assign", state, "assigned", note)
    if action == "start":
        return Transition("start", state, "in_progress", note)
    if action == "resolve":
        return Transition("resolve", state, "resolved", note)
    if action == "reject":
        return Transition("reject", state, "new", note)
    if action == "reopen":
        return Transition("reopen", state, "in_progress", note)
    # confirm
    if not on_return_visit:
        raise TransitionError("problems.err.confirm_needs_visit")
    if satisfaction is None or satisfaction not in SATISFACTION_LEVELS:
        raise TransitionError("problems.err.satisfaction_required")
    label = SATISFACTION_LEVELS[satisfaction]
    text = f"{label}（{satisfaction}）" + (f"：{note}" if note else "")
    if satisfaction >= SATISFIED_LEVEL:
        return Transition("close", state, "closed", text)
    return Transition("reopen", state, "in_progress", text)


def allowed_actions(state: str) -> list[str]:
    """The actions a problem in ``state`` offers (confirm only appears on the visit page)."""
    return [a for a, states in ACTIONS.items() if state in states and a != "confirm"]


def is_overdue(state: str, due_on: object, today: object) -> bool:
    """Overdue: still being handled (not resolved or closed) after its due date."""
    return state in IN_HAND_STATES and due_on is not None and due_on < today  # type: ignore[operator]
