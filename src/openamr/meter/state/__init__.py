"""The twin's non-volatile memory, one SQLite file per meter (ARCHITECTURE.md "Nothing
lost"; issue 4): the public face of the package.

``store.py`` is the :class:`StateStore` (schema, kv, attributes, profile rows, crash
safety); ``rows.py`` the row codec of the profile rows; ``counter.py`` the outgoing
invocation counter reserved in blocks (Green Book 9.2.7.2.4). Import from here.
"""

from openamr.meter.state.counter import OUTGOING_IC, ReservedCounter
from openamr.meter.state.rows import decode_row, decode_rows, encode_row
from openamr.meter.state.store import (
    SCHEMA_VERSION,
    Json,
    StateError,
    StateInUseError,
    StateStore,
    StateWriteError,
    Value,
)

__all__ = [
    "OUTGOING_IC",
    "SCHEMA_VERSION",
    "Json",
    "ReservedCounter",
    "StateError",
    "StateInUseError",
    "StateStore",
    "StateWriteError",
    "Value",
    "decode_row",
    "decode_rows",
    "encode_row",
]
