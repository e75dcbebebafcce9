"""Exception tree of ``enablement``.

Every error a user can cause derives from :class:`EnablementError`. The CLI maps
these to exit code 2 (bad input) or 1 (infeasible plan) and prints the message
without a traceback, so messages must name the file, the field and the fix.
"""

from __future__ import annotations

from .limits import PROBLEMS_SHOWN

__all__ = [
    "BatchError",
    "EnablementError",
    "InfeasibleError",
    "MarchTableError",
    "NetworkError",
    "OutputError",
    "OverlayError",
    "RoutingError",
    "ScenarioError",
    "UnknownVehicleError",
]


class EnablementError(Exception):
    """Base class of every error raised on purpose by ``enablement``."""

    exit_code: int = 2


class _ProblemsError(EnablementError, ValueError):
    """Every problem found in one input file, reported at once.

    Parameters
    ----------
    problems
        Every problem found, one line each (``file: field: message``).
    """

    what = "input"
    single_plain = False  # one problem: the bare line, without the count

    def __init__(self, problems: list[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        n = len(self.problems)
        if n == 1 and self.single_plain:
            super().__init__(self.problems[0])
            return
        head = "1 problem" if n == 1 else f"{n:,} problems"
        shown = self.problems[:PROBLEMS_SHOWN]
        lines = [f"  - {p}" for p in shown]
        if n > len(shown):  # every problem is in ``problems``; the message lists the first ones
            lines.append(f"  … and {n - len(shown):,} more (fix these first)")
        super().__init__(f"{head} in the {self.what}:\n" + "\n".join(lines))


class ScenarioError(_ProblemsError):
    """A scenario file is malformed or refers to things that do not exist."""

    what = "scenario"


class MarchTableError(ScenarioError):
    """A march table given to the checker is malformed (empty, too large, bad values)."""

    what = "march table"


class BatchError(_ProblemsError):
    """A batch file is malformed, or an output folder holds another batch's results."""

    what = "batch"
    single_plain = True


class UnknownVehicleError(ScenarioError, KeyError):
    """A vehicle type is not in the catalogue."""

    def __str__(self) -> str:  # KeyError would quote the message
        return Exception.__str__(self)


class NetworkError(EnablementError, ValueError):
    """A network cannot be built, loaded or used (e.g. a site too far from it)."""


class OverlayError(EnablementError, ValueError):
    """An overlay layer is malformed (fields, geometry, CRS or values)."""


class OutputError(EnablementError):
    """An output path cannot be written: a file where a folder goes, read-only, locked or not ours."""


class RoutingError(EnablementError):
    """No route exists for a vehicle between two places under the restrictions."""

    exit_code = 1


class InfeasibleError(EnablementError):
    """A plan cannot meet its hard constraints; the message names the cause."""

    exit_code = 1
