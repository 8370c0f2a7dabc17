"""openamr: an open AMR system around the Iskraemeco MT372.

The package is layered (see ARCHITECTURE.md): ``codec`` (A-XDR data, OBIS, COSEM
date-time) at the bottom, then ``apdu``, ``security``, ``link``, ``association``,
``cosem``, ``meter``, and the I/O layers ``aio``, ``client``, ``cli`` on top.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("openamr")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = ["__version__"]
