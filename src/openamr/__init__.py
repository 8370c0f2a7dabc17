"""openamr: an open AMR system around the Iskraemeco MT372.

The package is layered (see ARCHITECTURE.md): ``codec`` (A-XDR data, OBIS, COSEM
date-time) at the bottom, then ``apdu``, ``security``, ``link``, ``association``,
``cosem``, ``meter``, and the I/O layers ``aio``, ``client``, ``cli`` on top.

``__version__`` is the one place of the version: ``pyproject.toml`` reads it as a
dynamic version, and ``openamr --version`` prints it without ``importlib.metadata``
(which alone costs more than the rest of a start).
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
