"""Names a package exports but loads only when first asked for (PEP 562).

`linkcheck`, `linkcheck.extract` and `linkcheck.report` are imported by every start of the
command, `--help` included; what they re-export from heavier modules is loaded on first use.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any


def lazy_exports(package: str, sources: Mapping[str, Iterable[str]]) -> Callable[[str], Any]:
    """A module `__getattr__` for `package`: `sources` maps a module to the names it provides."""
    module_of = {name: module for module, names in sources.items() for name in names}

    def __getattr__(name: str) -> Any:
        module = module_of.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(module), name)

    return __getattr__
