"""Reading users' files strictly, and turning validation errors into one line per problem.

:func:`read_yaml` is the one YAML reader of every file users give (scenarios, batch
files, ``overlay.yaml`` mappings, vehicle catalogues). Its rules:

- the file's size is checked against its format's limit before a byte is parsed;
- the text must be UTF-8 (a UTF-8 byte-order mark is allowed; UTF-16/32, NUL bytes
  and invalid bytes are refused, naming the line);
- one YAML document of plain values only: mappings, lists, text, numbers, booleans,
  null and timestamps (the safe schema); any other tag (``!!python/…``, ``!!binary``,
  ``!custom``) is refused;
- a key that appears twice in one mapping is an error naming the file, the line and
  the key (a plain YAML reader silently keeps the second);
- anchors and aliases (``&name``, ``*name``) and merge keys (``<<``) are refused,
  unless the format allows them (the vehicle catalogue); then every alias counts its
  whole value against the bound on values, so a "billion laughs" file stops early;
- nesting deeper than :data:`~enablement.limits.YAML_DEPTH`, a single value longer
  than :data:`~enablement.limits.YAML_SCALAR_CHARS` and more than
  :data:`~enablement.limits.YAML_VALUES` values are refused as they are met.

The document is built from the parser's events as they come (libyaml when PyYAML
has it), without the intermediate node graph of ``yaml.safe_load``, and with the
garbage collector paused (the document is a tree: its passes over millions of new
objects made the time grow faster than the file): time and memory grow linearly
with the file, and no recursion is involved at any depth.

:func:`problems_from` turns a pydantic ``ValidationError`` into ``file: field.path:
message`` lines.
"""

from __future__ import annotations

import codecs
import gc
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from . import limits

__all__ = ["format_loc", "parse_yaml", "problems_from", "read_text", "read_yaml"]

ErrorFactory = Callable[[list[str]], Exception]
"""Makes the error a reader raises from its problem lines: ``ScenarioError``, ``BatchError``, …
(this layer does not import :mod:`enablement.errors`, so the caller names its own)."""

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's parser when PyYAML was built with it (ten times faster), else PyYAML's own."""

_TAG = "tag:yaml.org,2002:"
_STR, _MAP, _SEQ, _MERGE = f"{_TAG}str", f"{_TAG}map", f"{_TAG}seq", f"{_TAG}merge"
_KINDS = {
    f"{_TAG}int": "a whole number",
    f"{_TAG}float": "a number",
    f"{_TAG}bool": "true or false",
    f"{_TAG}null": "null",
    f"{_TAG}timestamp": "a date",
}
_SCALAR_TAGS = {_STR, *_KINDS}
_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)


def _a(what: str) -> str:
    """Put the article before a name: ``a scenario``, ``an overlay mapping``."""
    return f"{'an' if what[:1].lower() in 'aeiou' else 'a'} {what}"


def _shown(value: object, width: int = 60) -> str:
    """Show a value as messages quote it, shortened to ``width`` characters."""
    text = str(value)
    return text if len(text) <= width else text[: width - 1] + "…"


# --------------------------------------------------------------------------- bytes and text


def read_text(
    path: str | os.PathLike[str],
    fname: str,
    *,
    what: str,
    max_bytes: int,
    error: ErrorFactory,
) -> str:
    """Read a user's text file: its size checked before reading, then decoded as UTF-8.

    Parameters
    ----------
    path
        The file.
    fname
        How messages name it.
    what
        What the file is, in messages (``scenario``, ``batch``…).
    max_bytes
        The largest size allowed (a bound of :mod:`enablement.limits`).
    error
        Makes the error raised from the problem lines.

    Raises
    ------
    Exception
        Made by ``error``: the file is missing, too large, binary or not UTF-8.
    """
    p = Path(path)
    try:
        if p.is_dir():
            raise error([f"{fname}: is a folder; give the {what} file itself"])
        size = p.stat().st_size
        if size > max_bytes:
            raise error([_too_large(fname, what, limits.mib(size), max_bytes)])
        with p.open("rb") as f:
            data = f.read(max_bytes + 1)  # a pipe or device has no size: read one byte past the bound
    except OSError as exc:
        raise error([f"{fname}: cannot be read ({exc.strerror or exc})"]) from None
    if len(data) > max_bytes:
        raise error([_too_large(fname, what, f"more than {limits.mib(max_bytes)}", max_bytes)])
    return decode_text(data, fname, what=what, error=error)


def _too_large(fname: str, what: str, shown: str, max_bytes: int) -> str:
    return (
        f"{fname}: the file is {shown}, over the limit of {limits.mib(max_bytes)} for {_a(what)} file; "
        "check that it is the file you meant, or split it"
    )


def decode_text(data: bytes, fname: str, *, what: str, error: ErrorFactory) -> str:
    """Decode ``data`` as UTF-8 (a leading byte-order mark dropped); refuse other encodings."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            raise error([f"{fname}: the file is {name} text; save the {what} file as UTF-8"])
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise error(
            [
                f"{fname}: line {line}: holds NUL bytes: it is a binary file or UTF-16/32 text, "
                f"not {_a(what)} file; save it as UTF-8 text"
            ]
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        bad = data[exc.start : exc.start + 1]
        raise error(
            [f"{fname}: line {line}: byte {bad!r} is not UTF-8 text; save the {what} file as UTF-8"]
        ) from None
    return text.removeprefix("\ufeff")


# --------------------------------------------------------------------------- YAML


def read_yaml(
    path: str | os.PathLike[str],
    fname: str,
    *,
    what: str,
    max_bytes: int,
    aliases: bool = False,
    error: ErrorFactory,
) -> Any:
    """Read one YAML document from a user's file by the rules of this module.

    Parameters
    ----------
    path
        The file.
    fname
        How messages name it.
    what
        What the file is, in messages (``scenario``, ``batch``, ``overlay mapping``…).
    max_bytes
        The largest size allowed (a bound of :mod:`enablement.limits`).
    aliases
        Allow anchors, aliases and merge keys (bounded by the count of values).
    error
        Makes the error raised from the problem lines (e.g. ``ScenarioError``).

    Returns
    -------
    Any
        The document (``None`` for an empty file).

    Raises
    ------
    Exception
        Made by ``error``, listing every duplicate key, or naming the first problem
        that stops the reading (size, encoding, syntax, alias, tag, depth, length).
    """
    text = read_text(path, fname, what=what, max_bytes=max_bytes, error=error)
    return parse_yaml(text, fname, what=what, aliases=aliases, error=error)


def parse_yaml(
    text: str,
    fname: str,
    *,
    what: str,
    aliases: bool = False,
    error: ErrorFactory,
) -> Any:
    """Parse one YAML document from ``text`` by the rules of this module (see :func:`read_yaml`)."""
    loader = _Loader(text)
    builder = _Builder(loader, fname, what, aliases)
    collecting = gc.isenabled()
    gc.disable()  # the document is a tree (no cycles): the collector's passes over it only cost time
    try:
        root = builder.run()
    except _Stop:
        raise error(builder.problems) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        problem = exc.problem or str(exc)
        if "nesting depth" in problem:  # libyaml's own bound (1,000), met when it reads ahead
            builder.stop(mark, builder.too_deep)
            raise error(builder.problems) from None
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        raise error([*builder.problems, f"{fname}: {where}YAML syntax error: {problem}"]) from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, max(exc.position, 0)) + 1
        char = exc.character if isinstance(exc.character, str) else chr(exc.character)
        raise error(
            [
                *builder.problems,
                f"{fname}: line {line}: character U+{ord(char):04X} is not allowed in YAML "
                "(a control character); remove it",
            ]
        ) from None
    except yaml.YAMLError as exc:
        raise error([*builder.problems, f"{fname}: YAML syntax error: {exc}"]) from None
    finally:
        loader.dispose()
        if collecting:
            gc.enable()
    if builder.problems:
        raise error(builder.problems)
    return root


class _Stop(Exception):  # noqa: N818 - not an error: the builder's last problem says why it stopped
    pass


class _Frame:
    """A mapping or list being built: its container, anchor, first value's number and pending key."""

    __slots__ = ("anchor", "is_map", "key", "key_mark", "merges", "obj", "start")

    def __init__(self, obj: dict[Any, Any] | list[Any], anchor: str | None, start: int) -> None:
        self.obj = obj
        self.is_map = isinstance(obj, dict)
        self.anchor = anchor
        self.start = start
        self.key: Any = _NO_KEY
        self.key_mark: Any = None
        self.merges: list[dict[Any, Any]] = []


_NO_KEY = object()
_MERGE_KEY = object()
_MERGE_STR = "<<"
_MEMO_SIZE = 100_000
"""Distinct plain values remembered once read (keys and repeated values: ``unit``, ``count: 1``)."""
_MEMO_CHARS = 100
"""Longest plain value remembered."""


def _line(mark: Any) -> int:
    return int(mark.line) + 1 if mark is not None else 0


class _Builder:
    """Builds the document from the parser's events, checking the rules as they come."""

    def __init__(self, loader: yaml.SafeLoader, fname: str, what: str, aliases: bool) -> None:
        self.loader = loader
        self.fname = fname
        self.what = what
        self.aliases = aliases
        self.problems: list[str] = []
        self.stack: list[_Frame] = []
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.values = 0
        self.memo: dict[str, Any] = {}

    def stop(self, mark: Any, text: str) -> _Stop:
        self.problems.append(f"{self.fname}: line {_line(mark)}: {text}")
        return _Stop()

    def run(self) -> Any:  # noqa: C901 - one loop over every event, kept flat for speed
        """Every event of the stream; returns the document."""
        root: Any = None
        documents = 0
        get: Callable[[], Any] = self.loader.get_event
        stack = self.stack
        memo = self.memo
        scalar_event, alias_event = yaml.ScalarEvent, yaml.AliasEvent
        map_start, seq_start = yaml.MappingStartEvent, yaml.SequenceStartEvent
        map_end, seq_end = yaml.MappingEndEvent, yaml.SequenceEndEvent
        max_values = limits.YAML_VALUES
        while True:
            event = get()
            kind = type(event)
            if kind is scalar_event:
                self.values += 1
                if self.values > max_values:
                    raise self.too_many(event.start_mark)
                if event.anchor is not None:
                    self.anchor(event.anchor, event.start_mark)
                if event.tag is None and event.implicit[0] and event.style is None:
                    # a plain scalar: resolved once per distinct text
                    raw = event.value
                    value = memo.get(raw, _NO_KEY)
                    if value is _NO_KEY:
                        value = self.scalar(event)
                        if len(raw) <= _MEMO_CHARS and len(memo) < _MEMO_SIZE:
                            memo[raw] = value
                else:
                    value = self.scalar(event)
                if event.anchor is not None:
                    self.anchors[event.anchor] = (value, 1)
            elif kind is map_start or kind is seq_start:
                self.collection_start(event, kind is map_start)
                continue
            elif kind is map_end or kind is seq_end:
                frame = stack.pop()
                value = self.finish(frame) if frame.merges else frame.obj
                if frame.anchor is not None:
                    self.anchors[frame.anchor] = (value, self.values - frame.start)
            elif kind is alias_event:
                value = self.alias(event.anchor, event.start_mark)
            elif kind is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    msg = f"a second YAML document ('---'); {_a(self.what)} file holds one document"
                    raise self.stop(event.start_mark, msg)
                continue
            elif kind is yaml.StreamEndEvent:
                return root
            else:  # stream start, document end
                continue
            if not stack:
                root = value
                continue
            frame = stack[-1]
            if not frame.is_map:
                frame.obj.append(_MERGE_STR if value is _MERGE_KEY else value)  # type: ignore[union-attr]
            elif frame.key is _NO_KEY:
                self.key(frame, value, event.start_mark)
            else:
                key, frame.key = frame.key, _NO_KEY
                if key is _MERGE_KEY:
                    self.merge(frame, value)
                    continue
                obj = frame.obj
                if key in obj:
                    self.duplicate(frame, key)
                obj[key] = _MERGE_STR if value is _MERGE_KEY else value

    @property
    def too_deep(self) -> str:
        return (
            f"nested deeper than {limits.YAML_DEPTH} levels of mappings and lists; {_a(self.what)} "
            "file needs a handful: check the brackets and indentation"
        )

    def too_many(self, mark: Any) -> _Stop:
        msg = (
            f"more than {limits.YAML_VALUES:,} values (counting what every alias repeats): "
            f"over the limit for {_a(self.what)} file; check that it is the file you meant"
        )
        return self.stop(mark, msg)

    def _no_aliases(self, written: str, mark: Any) -> _Stop:
        msg = (
            f"{written}: YAML anchors and aliases (&name, *name) are not allowed "
            f"in {_a(self.what)} file; write each value out in full"
        )
        return self.stop(mark, msg)

    def anchor(self, anchor: str, mark: Any) -> None:
        if not self.aliases:
            raise self._no_aliases(f"anchor '&{_shown(anchor)}'", mark)

    def alias(self, anchor: str, mark: Any) -> Any:
        if not self.aliases:
            raise self._no_aliases(f"alias '*{_shown(anchor)}'", mark)
        if anchor not in self.anchors:
            raise self.stop(mark, f"alias '*{_shown(anchor)}' names no anchor defined before it")
        value, size = self.anchors[anchor]
        self.values += size
        if self.values > limits.YAML_VALUES:
            raise self.too_many(mark)
        return value

    def collection_start(self, event: Any, mapping: bool) -> None:
        mark = event.start_mark
        if event.anchor is not None:
            self.anchor(event.anchor, mark)
        tag = event.tag
        if tag is not None and tag not in ("!", _MAP if mapping else _SEQ):
            shown = _shown(tag.replace(_TAG, "!!"))
            raise self.stop(mark, f"tag '{shown}' is not allowed on a {'mapping' if mapping else 'list'}")
        if len(self.stack) >= limits.YAML_DEPTH:
            raise self.stop(mark, self.too_deep)
        self.values += 1
        if self.values > limits.YAML_VALUES:
            raise self.too_many(mark)
        self.stack.append(_Frame({} if mapping else [], event.anchor, self.values - 1))

    def scalar(self, event: Any) -> Any:
        value: str = event.value
        if len(value) > limits.YAML_SCALAR_CHARS:
            msg = (
                f"a value of {len(value):,} characters, over the limit of {limits.YAML_SCALAR_CHARS:,}; "
                "shorten it (is it a file pasted in?)"
            )
            raise self.stop(event.start_mark, msg)
        tag = event.tag
        if tag is None or tag == "!":
            tag = self.loader.resolve(yaml.ScalarNode, value, event.implicit)  # type: ignore[no-untyped-call]
        elif tag not in _SCALAR_TAGS:
            shown = _shown(tag.replace(_TAG, "!!"))
            msg = f"tag '{shown}' is not allowed; write plain text, numbers, true/false or dates"
            raise self.stop(event.start_mark, msg)
        if tag == _STR:
            return value
        if tag == _MERGE:
            return _MERGE_KEY
        node = yaml.ScalarNode(tag, value, event.start_mark, event.end_mark, event.style)
        try:
            return self.loader.yaml_constructors[tag](self.loader, node)
        except (ValueError, KeyError, AttributeError, TypeError, OverflowError, yaml.YAMLError) as exc:
            why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            msg = (
                f"'{_shown(value)}' cannot be read as {_KINDS.get(tag, tag)} ({_shown(why, 80)}); "
                "write it as plain text or a number"
            )
            raise self.stop(event.start_mark, msg) from None

    def key(self, frame: _Frame, value: Any, mark: Any) -> None:
        if isinstance(value, dict | list):
            raise self.stop(mark, "a mapping key must be plain text or a number, not a mapping or list")
        if value is _MERGE_KEY and not self.aliases:
            msg = f"merge key '<<' is not allowed in {_a(self.what)} file; write the keys out in full"
            raise self.stop(mark, msg)
        frame.key, frame.key_mark = value, mark

    def duplicate(self, frame: _Frame, key: Any) -> None:
        self.problems.append(
            f"{self.fname}: line {_line(frame.key_mark)}: key '{_shown(key)}' appears twice in one "
            "mapping; the second would silently replace the first"
        )

    def merge(self, frame: _Frame, value: Any) -> None:
        sources = value if isinstance(value, list) else [value]
        if not sources or not all(isinstance(s, dict) for s in sources):
            raise self.stop(frame.key_mark, "merge key '<<' needs a mapping or a list of mappings")
        frame.merges.extend(sources)

    def finish(self, frame: _Frame) -> dict[Any, Any] | list[Any]:
        merged: dict[Any, Any] = {}
        for source in reversed(frame.merges):  # the first merged mapping wins, the node's own keys over all
            merged.update(source)
        merged.update(frame.obj)
        return merged


# --------------------------------------------------------------------------- pydantic


def format_loc(loc: tuple[int | str, ...]) -> str:
    """Field path as users write it: ``movements[2].via.site``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + ("from" if part == "from_" else _shown(part))
    return out or "(top level)"


def problems_from(exc: ValidationError, fname: str, prefix: tuple[int | str, ...] = ()) -> list[str]:
    """Every error of ``exc`` as ``fname: path: message``, with ``prefix`` before each path."""
    problems = []
    for err in exc.errors(include_url=False):
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            message = "unknown field; check its spelling against the documented format"
        problems.append(f"{fname}: {format_loc((*prefix, *tuple(err['loc'])))}: {message}")
    return problems
