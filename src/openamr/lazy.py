"""A package's names loaded with their modules on first use (PEP 562), so that
importing one module of a package does not load every other one its
``__init__`` names (``openamr.cosem``, ``openamr.security``)::

    _HOME = {"KeySet": "openamr.security.keys", ...}
    __getattr__ = names_on_first_use(__name__, _HOME)
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping


def names_on_first_use(package: str, homes: Mapping[str, str]) -> Callable[[str], object]:
    """The module ``__getattr__`` of ``package``: a name of ``homes`` (name -> the
    module that defines it) is imported when first asked for, then kept in the
    package's namespace; any other name is an AttributeError."""
    namespace = sys.modules[package].__dict__

    def __getattr__(name: str) -> object:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(home), name)
        namespace[name] = value
        return value

    return __getattr__
