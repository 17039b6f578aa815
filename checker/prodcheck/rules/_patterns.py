"""Work that rule modules defer from import to first use.

The pre-commit hook imports every rule module to run a few file-scoped rules on a handful of
files. Compiling every module-level regular expression at import would slow each of its
starts, although most of them are never used in that run.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from functools import cache
from typing import Any, AnyStr, TypeVar, dataclass_transform, overload


def lazy(pattern: AnyStr, flags: int = 0) -> Callable[[], re.Pattern[AnyStr]]:
    """`re.compile(pattern, flags)`, deferred to the first call and then kept."""
    return cache(lambda: re.compile(pattern, flags))


_C = TypeVar("_C", bound=type)


@overload
def lazy_dataclass(cls: _C, /) -> _C: ...
@overload
def lazy_dataclass(
    *, frozen: bool = False, eq: bool = True, repr: bool = True
) -> Callable[[_C], _C]: ...
@dataclass_transform(field_specifiers=(dataclasses.field, dataclasses.Field))
def lazy_dataclass(
    cls: _C | None = None, /, *, frozen: bool = False, eq: bool = True, repr: bool = True
) -> _C | Callable[[_C], _C]:
    """`@dataclass`, with the class made a dataclass when its first instance is created.

    `dataclasses` compiles the source of each generated method (`__init__`, `__repr__`,
    `__eq__`, `__hash__`, ...), about a millisecond per class: as much as all the rest of a
    rule module's import. Until its first instance the class has no instances whose methods
    could differ, so a stand-in `__init__` turns the class into the very same dataclass (in
    place) and then runs the real `__init__`. Not for classes with dataclass bases or
    subclasses, or read through `dataclasses.fields` before they have an instance.
    """

    def defer(cls: _C) -> _C:
        if "__init__" in cls.__dict__ or any(dataclasses.is_dataclass(b) for b in cls.__mro__):
            dataclasses.dataclass(frozen=frozen, eq=eq, repr=repr)(cls)
            return cls

        def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
            if "__dataclass_fields__" not in cls.__dict__:
                del cls.__init__  # type: ignore[misc]
                dataclasses.dataclass(frozen=frozen, eq=eq, repr=repr)(cls)
            cls.__init__(self, *args, **kwargs)  # type: ignore[misc]

        cls.__init__ = __init__  # type: ignore[misc]
        return cls

    return defer if cls is None else defer(cls)
