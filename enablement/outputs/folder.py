"""An output folder that always holds one complete plan: checked and locked first, swapped in whole.

A plan's files are never written into the output folder ``DIR`` itself. Every name
used sits beside it, in its parent ``P`` (one file system, so renames are atomic):

``P/.DIR.lock``
    The lock file. A run takes an exclusive ``fcntl.flock`` on it before solving and
    holds it until the new plan is in place; a second run on ``DIR`` finds it taken
    and stops at once (:class:`OutputError`, exit 2). The kernel drops the lock when
    its holder dies, even by ``kill -9``. The holder deletes the file when it is done;
    a run that opened the file just before it was deleted sees that the path no
    longer names the file it locked and locks afresh.
``P/.DIR.tmp-PID-TOKEN/``
    The staging folder. The plan's files are written into it, then the manifest
    last: ``summary.json`` with the size and SHA-256 of every other file. Then the
    files and the folder are flushed to disk (``fsync``).
``P/.DIR.old-PID-TOKEN/``
    The previous plan, moved aside for an instant on file systems that cannot swap
    two folders (below).

The swap:

1. ``DIR`` missing or empty: ``rename(staging, DIR)``, one atomic step.
2. ``DIR`` holds a plan: ``renameat2(staging, DIR, RENAME_EXCHANGE)`` (Linux; ext4,
   XFS, Btrfs, tmpfs and others) swaps the two names in one atomic step: a process
   that opens ``DIR/map.html`` gets the previous plan's map before that instant and
   the new plan's after it, and no instant exists where ``DIR`` holds a mix, a
   part or nothing. The staging name then holds the previous plan, which is
   deleted.
3. Where the exchange is not supported (another system, NFS and some other file
   systems): ``rename(DIR, old)`` then ``rename(staging, DIR)``. Between the two
   renames (two system calls, microseconds apart) ``DIR`` does not exist: a reader
   opening ``DIR/map.html`` then gets "no such file" and, trying again, the new
   plan, never a file of the other plan. A run killed between the two leaves
   ``DIR`` missing and the complete previous plan in ``old``; the next run on
   ``DIR`` moves it back first (under the lock) and then goes on.

A rename of a folder over a non-empty folder fails on Linux (and is not atomic
where it exists), which is why neither step relies on it. A reader who opens
several files of ``DIR`` one after the other while a run swaps may get them from
two plans; each file is whole, and ``summary.json``'s manifest (see
:func:`verify_manifest`) tells whether a set belongs together.

Leftovers: holding the lock proves that no other run is writing ``DIR``, so every
``.DIR.tmp-*`` and ``.DIR.old-*`` beside it belongs to a run that died (killed,
power cut); the next run removes them all (after moving an ``old`` back where
``DIR`` is missing). The process id in the names is for people, not for the rule:
process ids are reused. The hidden temporary files that earlier versions left
inside ``DIR`` go with the folder they are in.

What is refused, before solving: ``DIR`` is a file, is read-only, is a mount point
(it cannot be renamed), or holds files that are not a plan's (an entry neither
named in its manifest nor one of the names a plan has); ``P`` cannot be created
or written. Nothing is deleted then. When ``DIR`` is a symbolic link to a folder,
the folder it points to is the one replaced, and the link stays.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import re
import secrets
import shutil
import stat
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType

from .._io import exchange_paths, fsync_path
from ..errors import OutputError

__all__ = [
    "OutputError",
    "OutputFolder",
    "check_output_file",
    "file_manifest",
    "open_output_folder",
    "verify_manifest",
]

log = logging.getLogger(__name__)

MANIFEST_KEY = "manifest"
_PART = re.compile(r"\.(?P<name>.+)\.(?P<kind>tmp|old)-(?P<pid>\d+)-(?P<token>[0-9a-f]+)\Z")
_FIX = "choose another output folder (--out)"


def _checkpoint(stage: str) -> None:
    """Mark a point of the write phase; does nothing (tests replace it to stop a run there).

    Parameters
    ----------
    stage
        ``locked``, ``staging``, ``file NAME`` (each file once written),
        ``complete`` (manifest written and flushed), ``aside`` (the previous plan
        moved aside, only where folders cannot be exchanged) or ``swapped``.
    """


class OutputFolder:
    """An output folder locked for one run: a plan is written in :meth:`stage`, swapped in by :meth:`commit`.

    Use it as a context manager (or call :meth:`close`): leaving it removes an
    uncommitted staging folder and releases the lock.

    Attributes
    ----------
    path
        The folder as named by the caller; paths shown to users are under it.
    target
        The folder replaced: ``path`` made absolute, with symbolic links resolved.
    """

    def __init__(self, path: Path, target: Path, lock_path: Path, lock_fd: int) -> None:
        self.path = path
        self.target = target
        self._lock_path = lock_path
        self._lock_fd: int | None = lock_fd
        self._staging: Path | None = None

    def __enter__(self) -> OutputFolder:
        return self

    def __exit__(
        self, _type: type[BaseException] | None, _exc: BaseException | None, _tb: TracebackType | None
    ) -> None:
        self.close()

    def _beside(self, kind: str, token: str) -> Path:
        return self.target.parent / f".{self.target.name}.{kind}-{os.getpid()}-{token}"

    def stage(self) -> Path:
        """Create an empty staging folder beside the target and return it.

        Returns
        -------
        pathlib.Path
            The folder to write the plan's files into (a fresh one each call; an
            uncommitted earlier one is removed).
        """
        self._require_lock()
        self.discard()
        while True:
            staging = self._beside("tmp", secrets.token_hex(4))
            try:
                staging.mkdir()
            except FileExistsError:  # pragma: no cover - 32 random bits met a leftover of this pid
                continue
            break
        with contextlib.suppress(OSError):  # keep the folder's permissions (e.g. group-writable)
            staging.chmod(stat.S_IMODE(self.target.stat().st_mode))
        self._staging = staging
        _checkpoint("staging")
        return staging

    def commit(self) -> None:
        """Flush the staging folder to disk and swap it in for the target (see the module's notes).

        Raises
        ------
        RuntimeError
            Nothing is staged.
        """
        self._require_lock()
        staging = self._staging
        if staging is None:
            msg = "nothing staged: call stage() and write the files first"
            raise RuntimeError(msg)
        for entry in staging.iterdir():
            fsync_path(entry)
        fsync_path(staging)
        _checkpoint("complete")
        previous: Path | None = None
        try:
            os.rename(staging, self.target)  # the target missing or an empty folder: atomic
        except OSError:
            if not self.target.is_dir():
                raise
            if exchange_paths(staging, self.target):
                previous = staging
            else:
                previous = self._beside("old", staging.name.rsplit("-", 1)[1])
                os.rename(self.target, previous)
                try:
                    _checkpoint("aside")
                    os.rename(staging, self.target)
                except BaseException:  # e.g. interrupted: the previous plan goes back at once
                    if not os.path.lexists(self.target):
                        os.rename(previous, self.target)
                    raise
        self._staging = None
        fsync_path(self.target.parent)
        _checkpoint("swapped")
        if previous is not None:
            shutil.rmtree(previous, ignore_errors=True)

    def discard(self) -> None:
        """Remove the staging folder when one is left uncommitted."""
        if self._staging is not None:
            shutil.rmtree(self._staging, ignore_errors=True)
            self._staging = None

    def close(self) -> None:
        """Remove an uncommitted staging folder and release the lock (again: nothing)."""
        self.discard()
        if self._lock_fd is not None:
            with contextlib.suppress(FileNotFoundError):
                self._lock_path.unlink()  # while still held: see the module's notes
            os.close(self._lock_fd)
            self._lock_fd = None

    def _require_lock(self) -> None:
        if self._lock_fd is None:
            msg = f"the output folder {self.path} was closed; open it again with prepare_output"
            raise RuntimeError(msg)


def open_output_folder(
    folder: str | os.PathLike[str], *, manifest: str, known: Iterable[str] = ()
) -> OutputFolder:
    """Check that ``folder`` can take a new plan, lock it, and clean what dead runs left.

    Parameters
    ----------
    folder
        The output folder (created at commit when missing; its parents now).
    manifest
        Name of the file inside the folder whose ``manifest`` key lists the files
        of the plan it holds.
    known
        Names the folder's files may have without a manifest (those of a plan
        written before manifests existed, and their hidden temporary files).

    Returns
    -------
    OutputFolder
        The folder, locked until closed.

    Raises
    ------
    OutputError
        The folder is a file, read-only, a mount point, holds files that are not a
        plan's, another run holds its lock, or its parent cannot be created or
        written. Nothing is deleted then.
    """
    path = Path(folder)
    target = Path(os.path.realpath(path))
    if not target.name:
        msg = f"cannot write a plan to {path}: the plan replaces the folder, so {_FIX} below it"
        raise OutputError(msg)
    if target.exists() and not target.is_dir():
        msg = f"the output folder {path} is a file, not a folder: {_FIX} or move the file away"
        raise OutputError(msg)
    parent = target.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        msg = f"cannot create {parent}, the folder that holds {path}: {exc.strerror or exc}; {_FIX}"
        raise OutputError(msg) from None
    not_writable = f"cannot write beside the output folder {path}: {parent} is read-only"
    not_writable += f" (the plan is written next to it, then swapped in); make it writable or {_FIX}"
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(not_writable)
    lock_path = parent / f".{target.name}.lock"
    try:
        fd = _lock(lock_path, path)
    except PermissionError:
        raise OutputError(not_writable) from None
    except OSError as exc:
        msg = f"cannot create the lock file {lock_path} for {path}: {exc.strerror or exc}; {_FIX}"
        raise OutputError(msg) from None
    out = OutputFolder(path, target, lock_path, fd)
    try:
        _recover(target)
        _check_target(path, target, manifest, set(known))
    except BaseException:
        out.close()
        raise
    _checkpoint("locked")
    return out


def _lock(lock_path: Path, shown: Path) -> int:
    """Take the lock file's exclusive lock without waiting; return its descriptor."""
    while True:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip()
            os.close(fd)
            who = f"another run (pid {holder})" if holder.isdigit() else "another run"
            msg = f"{who} is writing the output folder {shown}: wait for it to finish, or {_FIX}"
            raise OutputError(msg) from None
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(lock_path))
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)  # its holder deleted the file we opened as it finished: lock the new one
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return fd


def _recover(target: Path) -> None:
    """Put back a previous plan a killed run left aside, and remove every leftover of dead runs."""
    parts: list[tuple[str, Path]] = []
    with os.scandir(target.parent) as entries:
        for entry in entries:
            m = _PART.match(entry.name)
            if m is not None and m["name"] == target.name:
                parts.append((m["kind"], Path(entry.path)))
    if not os.path.lexists(target):
        aside = sorted((p for kind, p in parts if kind == "old"), key=lambda p: p.stat().st_mtime_ns)
        if aside:
            os.rename(aside[-1], target)
            parts.remove(("old", aside[-1]))
            log.warning("put back the previous plan in %s: a run was killed while swapping it", target)
    for _kind, p in parts:
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink(missing_ok=True)
        log.info("removed %s, left by a run that died", p)


def _check_target(path: Path, target: Path, manifest: str, known: set[str]) -> None:
    """Refuse a target that cannot be replaced or that holds files not of a plan."""
    if not target.exists():
        return
    if os.path.ismount(target):
        msg = (
            f"the output folder {path} is a mount point, which cannot be swapped for a new plan: "
            f"write into a folder inside it (e.g. --out {path / 'plan'})"
        )
        raise OutputError(msg)
    if not os.access(target, os.W_OK | os.X_OK):
        msg = f"the output folder {path} is read-only: make it writable (chmod u+w {path}) or {_FIX}"
        raise OutputError(msg)
    foreign = _foreign(target, manifest, known)
    if foreign:
        shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
        msg = (
            f"the output folder {path} holds files that enablement did not write ({shown}): "
            f"nothing was deleted; {_FIX} that is new or empty, or move those files away"
        )
        raise OutputError(msg)


def _read_manifest(path: Path) -> dict[str, object] | None:
    """Return the ``manifest`` key of a JSON file, or None when it has none (or is no JSON)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    listed = data.get(MANIFEST_KEY) if isinstance(data, dict) else None
    return listed if isinstance(listed, dict) else None


def _foreign(target: Path, manifest: str, known: set[str]) -> list[str]:
    """Entries of ``target`` that no plan of ours has: not listed, not a plan's name, not our temporary."""
    listed = _read_manifest(target / manifest) or {}
    ours = known | set(listed) | {manifest}
    # the per-file temporaries of earlier versions: .STEM.RANDOM.tmp.SUFFIX, for each name a plan has
    stems = "|".join(re.escape(Path(n).stem) for n in sorted(ours))
    temporary = re.compile(rf"\.(?:{stems})\.[^/]+\.tmp(?:\.[A-Za-z0-9]+)?\Z")
    return sorted(n for n in os.listdir(target) if n not in ours and not temporary.match(n))


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def file_manifest(
    folder: str | os.PathLike[str], *, exclude: Iterable[str] = ()
) -> dict[str, dict[str, object]]:
    """Return the size and SHA-256 of every file in ``folder``, by name.

    Parameters
    ----------
    folder
        The folder.
    exclude
        Names left out (the manifest's own file).

    Returns
    -------
    dict
        ``{name: {"size": bytes, "sha256": hex digest}}``, sorted by name.
    """
    left_out = set(exclude)
    files = sorted(p for p in Path(folder).iterdir() if p.name not in left_out)
    return {p.name: {"size": p.stat().st_size, "sha256": _sha256(p)} for p in files}


def verify_manifest(folder: str | os.PathLike[str], manifest: str = "summary.json") -> list[str]:
    """Check that ``folder`` holds exactly the files its manifest lists, each with its size and hash.

    Parameters
    ----------
    folder
        A plan's output folder.
    manifest
        The file holding the manifest.

    Returns
    -------
    list of str
        Every problem found (a file missing, changed or not listed); empty when the
        folder holds one complete plan.
    """
    root = Path(folder)
    listed = _read_manifest(root / manifest)
    if listed is None:
        return [f"{root / manifest}: missing, or without a {MANIFEST_KEY!r} key"]
    problems = []
    found = file_manifest(root, exclude=[manifest])
    for name, want in sorted(listed.items()):
        if name not in found:
            problems.append(f"{name}: listed but missing")
        elif found[name] != want:
            problems.append(f"{name}: size or SHA-256 differs from the manifest")
    problems += [f"{name}: not listed in the manifest" for name in sorted(set(found) - set(listed))]
    return problems


def check_output_file(path: str | os.PathLike[str]) -> Path:
    """Check that a single output file (e.g. a route map) can be written at ``path``, before computing it.

    Parameters
    ----------
    path
        The file to write (its missing parent folders are created when it is written).

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    OutputError
        ``path`` is a folder or a read-only file, or its folder cannot be created
        or written.
    """
    p = Path(path)
    if p.is_dir():
        msg = f"{p} is a folder: name the file to write in it (e.g. {p / 'route.html'})"
        raise OutputError(msg)
    ancestor = Path(os.path.abspath(p)).parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        msg = f"cannot write {p}: {ancestor} is a file, so the folder {p.parent} cannot be created"
        raise OutputError(msg + "; choose another place")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        msg = f"cannot write {p}: {ancestor} is read-only; make it writable or choose another place"
        raise OutputError(msg)
    if p.exists() and not os.access(p, os.W_OK):
        msg = f"cannot write {p}: the file is read-only; make it writable or choose another place"
        raise OutputError(msg)
    return p
