"""The checks of the Store's arguments, one set for both kinds of store: a bad
argument raises ``UsageError`` (an ``FsError``) before anything runs, with the
same message whether the store is a directory or a server."""
from __future__ import annotations

import math
import numbers
import os
from typing import Any, Optional, Sequence

from ._errors import UsageError


def _bad(name: str, message: str, hint: str) -> UsageError:
    return UsageError(f"{name}: {message}", code="usage", hint=hint)


def text(name: str, v: Any, hint: str = "") -> str:
    """A non-empty string."""
    if not isinstance(v, str):
        raise _bad(name, f"{v!r} is not a string", hint or f"give {name} as a string")
    if not v.strip():
        raise _bad(name, "is empty", hint or f"give {name}")
    return v


def texts(name: str, v: Any, hint: str = "") -> list[str]:
    """A list (or tuple) of non-empty strings; a lone string is refused (it would be
    read letter by letter)."""
    if isinstance(v, str) or not isinstance(v, (list, tuple)):
        raise _bad(name, f"{v!r} is not a list of names", hint or f"give {name} as a list, such as [\"a\", \"b\"]")
    return [text(name, x, hint) for x in v]


def path(name: str, v: Any) -> str:
    """A file path: a string or an os.PathLike, not empty."""
    if not isinstance(v, (str, os.PathLike)):
        raise _bad(name, f"{v!r} is not a path", f"give {name} as a path (a string or pathlib.Path)")
    return text(name, os.fspath(v))


def number(name: str, v: Any, lo: Optional[float] = None, hi: Optional[float] = None, above: bool = False) -> float:
    """A finite number, at least lo (above lo with above=True) and at most hi."""
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        raise _bad(name, f"{v!r} is not a number", f"give {name} as a number")
    f = float(v)
    if math.isnan(f) or math.isinf(f):
        raise _bad(name, f"{f} is not a finite number", f"give {name} as a finite number")
    if lo is not None and (f < lo or above and f == lo) or hi is not None and f > hi:
        where = {(True, True): f"between {lo:g} and {hi:g}", (True, False): f"{'above' if above else 'at least'} {lo:g}",
                 (False, True): f"at most {hi:g}"}[(lo is not None, hi is not None)]
        raise _bad(name, f"{f:g} is out of range", f"give {name} {where}")
    return f


def numbers_(name: str, v: Any, **bounds: Any) -> list[float]:
    """One number or a list of them (a sweep)."""
    items = list(v) if isinstance(v, (list, tuple)) else [v]
    if not items:
        raise _bad(name, "is empty", f"give {name} as a number or a list of numbers")
    return [number(name, x, **bounds) for x in items]


def integer(name: str, v: Any, lo: Optional[int] = None, hi: Optional[int] = None) -> int:
    """A whole number within bounds."""
    if isinstance(v, bool) or not isinstance(v, numbers.Integral):
        raise _bad(name, f"{v!r} is not a whole number", f"give {name} as an int")
    i = int(v)
    if lo is not None and i < lo or hi is not None and i > hi:
        raise _bad(name, f"{i} is out of range", f"give {name} from {lo} to {hi}" if hi is not None else f"give {name} of at least {lo}")
    return i


def choice(name: str, v: Any, options: Sequence[str]) -> str:
    """One of options."""
    if v not in options:
        raise _bad(name, f"{v!r} is not one of {', '.join(options)}", f"give {name} as one of {', '.join(map(repr, options))}")
    return v


def flag(name: str, v: Any) -> bool:
    """True or False."""
    if not isinstance(v, bool):
        raise _bad(name, f"{v!r} is not True or False", f"give {name}=True or {name}=False")
    return v


def optional(check: Any, name: str, v: Any, *a: Any, **kw: Any) -> Any:
    """check(name, v, ...) unless v is None."""
    return None if v is None else check(name, v, *a, **kw)
