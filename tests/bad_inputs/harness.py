"""The bad-input catalogue's harness: run the command on one bad input, as a user would, and judge it.

Every case runs ``enablement.cli.main`` in this process (fast enough for hundreds of
cases), with its output captured and a wall-clock alarm: a case *crashes* when an
exception other than ``SystemExit`` escapes or a traceback is printed, *hangs* when
the alarm rings, and is *silently accepted* when it exits 0 where it should not.
A good case exits with its code (2 bad input, 1 infeasible) and one message that
names what the catalogue says it must name (the file, the field, the fix).
"""

from __future__ import annotations

import contextlib
import io
import signal
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Case", "Outcome", "check", "run"]


class _Hang(Exception):  # noqa: N818 - the alarm's signal
    pass


@dataclass(frozen=True)
class Outcome:
    """What a command did: its exit code, what it printed, and whether it crashed or hung."""

    code: int
    out: str
    err: str
    crashed: bool = False
    hung: bool = False

    @property
    def text(self) -> str:
        """Everything printed, stdout then stderr."""
        return self.out + self.err


def run(args: Sequence[str], *, timeout_s: int = 60) -> Outcome:
    """Run ``enablement ARGS`` in this process, with a wall-clock limit."""
    from enablement.cli import main

    out, err = io.StringIO(), io.StringIO()

    def ring(_signum: int, _frame: object) -> None:
        raise _Hang

    previous = signal.signal(signal.SIGALRM, ring)
    signal.alarm(timeout_s)
    crashed = hung = False
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as exc:  # argparse: usage and exit 2
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
            except _Hang:
                code, hung = -1, True
            except BaseException:  # noqa: BLE001 - anything else is a crash the catalogue reports
                code, crashed = -1, True
                err.write(traceback.format_exc())
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    return Outcome(code, out.getvalue(), err.getvalue(), crashed, hung)


@dataclass(frozen=True)
class Case:
    """One bad input: how to make it, the exit code it must give, and words its message must hold.

    Attributes
    ----------
    id
        A short name (the test id).
    make
        Given a fresh folder, writes what the case needs and returns the command's arguments.
    code
        The exit code it must give: 2 (bad input) or 1 (infeasible).
    words
        Words the message must contain (case-insensitive): the file, the field, the fix.
    timeout_s
        Wall-clock limit; beyond it the case hangs.
    """

    id: str
    make: Callable[[Path], Sequence[str]]
    code: int = 2
    words: tuple[str, ...] = ()
    timeout_s: int = 60
    marks: tuple[object, ...] = field(default=(), compare=False)


def check(case: Case, folder: Path) -> Outcome:
    """Run a case and assert what the catalogue promises: no traceback, no hang, its code, its words."""
    outcome = run(case.make(folder), timeout_s=case.timeout_s)
    assert not outcome.hung, f"{case.id}: hung for more than {case.timeout_s} s"
    assert not outcome.crashed and "Traceback (most recent call last)" not in outcome.text, (
        f"{case.id}: crashed\n{outcome.text[-3000:]}"
    )
    assert outcome.code == case.code, f"{case.id}: exit {outcome.code}, expected {case.code}\n{outcome.text}"
    text = outcome.text.lower()
    missing = [w for w in case.words if w.lower() not in text]
    assert not missing, f"{case.id}: the message lacks {missing}\n{outcome.text}"
    return outcome
