"""Exceptions: each carries the message and hint fs prints, its error code and
its exit code; the kind of failure is the exception's type."""
from __future__ import annotations

import re
import warnings
from typing import Any, Optional


class FsError(Exception):
    """An error from fs, locally or from a server.

    Attributes: ``message`` (what ``fs: error:`` says), ``code`` (``invalid``,
    ``not_found``, ``conflict``, ...), ``hint``, ``detail`` (lines, such as the
    excerpt of a definition file), ``errors`` (several problems at once) and
    ``exit_code`` (the command line's).

    >>> try:
    ...     store.feature("nope")
    ... except fs_features.FsError as e:
    ...     print(e.code, e.hint)
    """

    exit_code = 1

    def __init__(self, message: str, code: str = "internal", hint: Optional[str] = None,
                 detail: Optional[list[str]] = None, errors: Optional[list["FsError"]] = None):
        super().__init__(message)
        self.message, self.code, self.hint = message, code, hint
        self.detail = detail or []
        self.errors = errors or []

    def __str__(self) -> str:
        text = self.message
        if self.detail:
            text += "\n" + "\n".join(self.detail)
        if self.hint:
            text += "\nhint: " + self.hint
        return text


class UsageError(FsError):
    """A bad argument (the command line's exit code 2)."""
    exit_code = 2


class GateFailed(FsError):
    """The run failed its quality gate (exit code 3); it is recorded all the same: ``.run``."""
    exit_code = 3

    def __init__(self, message: str, run: Any = None, **kw: Any):
        super().__init__(message, code="gate_failed", **kw)
        self.run = run


class NotReproducible(FsError):
    """The rebuild of a run is not identical (exit code 4); ``.report`` says what differs."""
    exit_code = 4

    def __init__(self, message: str, report: Optional[dict] = None, **kw: Any):
        super().__init__(message, code="not_reproducible", **kw)
        self.report = report or {}


class ValidationFailed(FsError):
    """Data does not meet its expectations (exit code 5); ``.violations`` lists them."""
    exit_code = 5

    def __init__(self, message: str, violations: Optional[list] = None, **kw: Any):
        super().__init__(message, code="validation_failed", **kw)
        self.violations = violations or []


class NoStore(FsError):
    """No store at the path, or no server at the URL (exit code 10)."""
    exit_code = 10


class StoreBusy(FsError):
    """Another fs process holds the store (exit code 11)."""
    exit_code = 11


class StoreDamaged(FsError):
    """The store's files are damaged; nothing was changed (exit code 12)."""
    exit_code = 12


class PermissionDenied(FsError):
    """The server refused: no token, an unknown one, too small a role, or a path outside its data roots."""


class Interrupted(FsError):
    """The command was interrupted or the job cancelled; nothing was changed (exit code 130)."""
    exit_code = 130


_BY_CODE = {"usage": UsageError, "no_store": NoStore, "locked": StoreBusy, "damaged": StoreDamaged, "forbidden": PermissionDenied,
            "unauthorized": PermissionDenied, "canceled": Interrupted}
_BY_EXIT = {2: UsageError, 10: NoStore, 11: StoreBusy, 12: StoreDamaged, 130: Interrupted}


class FsWarning(UserWarning):
    """What fs warns of: a fit that did not converge, a mostly null feature, an R2 of 0
    from a constant test target... Shown by Jupyter; ``warnings.simplefilter("error",
    fs_features.FsWarning)`` makes them errors."""


def warn(notices: "list[str]") -> None:
    """Raises fs's warnings (``warning: ...`` notices) as FsWarning, in Python's words."""
    for n in notices:
        if n.startswith("warning: "):
            warnings.warn(pythonize(n[len("warning: "):]), FsWarning, stacklevel=3)


# Flags that take no value: in Python they are keyword arguments set to True.
_SWITCHES = {"drop-nulls", "stratify", "positive", "timings", "dry-run", "allow-version-mismatch", "keep-entities"}
# Commands a hint may name, and their Store method.
_COMMANDS = [
    ("fs features list", "store.features()"), ("fs features show", "store.feature(NAME)"), ("fs features diff", "store.diff(A, B)"),
    ("fs features sets", "store.feature_sets()"), ("fs runs list", "store.runs()"), ("fs runs show", "store.run(ID)"),
    ("fs register", "store.register(FILE)"), ("fs materialize", "store.training_set(...)"), ("fs train", "store.train(...)"),
    ("fs lineage", "store.lineage(ID)"), ("fs impact", "store.impact(NAME)"), ("fs reproduce", "store.reproduce(RUN)"),
    ("fs profile", "store.profile(...)"), ("fs validate", "store.validate(...)"), ("fs init", "fs_features.Store.init()"),
]
# A flag and its value, unless the next word is the sentence going on
# ("--c does not apply to --task regression").
_SUBJECT = re.compile(r" (?:does|is|are|must|needs|applies)\b")  # the flag is the sentence's subject
_FLAG = re.compile(r"--([a-z][a-z0-9-]*)(?:[ =](?!(?:does|is|are|must|needs|applies|and|or|to|with)\b)([^\s,;)]+))?")


def pythonize(text: Optional[str]) -> Optional[str]:
    """A message or hint of fs in the words of its Python caller: a flag becomes the
    keyword argument (``--drop-nulls`` is ``drop_nulls=True``, ``--alpha 0.5`` is
    ``alpha=0.5``) and a command the Store method."""
    if not text:
        return text
    for cmd, method in _COMMANDS:
        text = re.sub(re.escape(cmd) + r"(?![a-z_-])", method, text)

    def flag(m: "re.Match[str]") -> str:
        name, value = m.group(1), m.group(2)
        arg = name.replace("-", "_")
        if name in _SWITCHES:
            return f"{arg}=True" + (f" {value}" if value else "")
        if value:
            return f"{arg}={value}"
        return arg if _SUBJECT.match(m.string, m.end()) else f"{arg}="
    return _FLAG.sub(flag, text)


def from_body(body: dict, exit_code: Optional[int] = None) -> FsError:
    """The exception for an error body, as the API and ``FS_ERRORS=json`` write it, with
    its message and hint in Python's words."""
    cls = _BY_CODE.get(body.get("code", ""), _BY_EXIT.get(exit_code or 1, FsError))
    errors = [from_body(e) for e in body.get("errors") or []]
    return cls(pythonize(body.get("message", "fs failed")), code=body.get("code", "internal"), hint=pythonize(body.get("hint")),
               detail=body.get("detail"), errors=errors)
