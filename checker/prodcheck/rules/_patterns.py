"""Work that rule modules defer from import to first use.

The pre-commit hook imports every rule module to run a few file-scoped rules on a handful of
files. Compiling every module-level regular expression at import would slow each of its
starts, although most of them are never used in that run.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache


def lazy(pattern: str, flags: int = 0) -> Callable[[], re.Pattern[str]]:
    """`re.compile(pattern, flags)`, deferred to the first call and then kept."""
    return cache(lambda: re.compile(pattern, flags))
