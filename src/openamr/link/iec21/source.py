"""What the meter side serves: the readout list and the registers, supplied by the caller.

The meter's object model lives elsewhere (the twin derives the readout list from the
same declarations the LCD scrolls); the optical server only needs this small protocol.
:class:`StaticSource` is an in-memory implementation for tests and demonstrations.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from openamr.link.iec21.messages import DataSet, IdentificationMessage


@dataclass(frozen=True, slots=True)
class Refusal:
    """A refused R1/W1: answered with the error message ``STX (text) ETX BCC`` (6.3.10).

    The text is at most 32 characters without ``( ) * / !`` and should start with
    ``ERR`` so HHUs recognise it (``ERROR``, ``ERROR04``...).
    """

    text: str = "ERROR"


class ReadoutSource(Protocol):
    """The data the optical port serves; implemented by the meter (or a test)."""

    def readout(self) -> Sequence[DataSet]:
        """The data readout list, in display order: one data set per data line."""
        ...

    def read(self, address: str) -> DataSet | Refusal:
        """Programming mode R1: the data set at ``address`` or a refusal."""
        ...

    def write(self, address: str, value: str) -> Refusal | None:
        """Programming mode W1: None when written, else a refusal."""
        ...


@dataclass(slots=True)
class StaticSource:
    """A :class:`ReadoutSource` over a dict of registers; writes to ``writable`` only.

    >>> src = StaticSource.of([("1.8.0", "001234.567", "kWh")], writable={"1.8.0"})
    >>> src.write("1.8.0", "000000.000") is None
    True
    >>> src.read("1.8.0")
    DataSet(address='1.8.0', value='000000.000', unit='kWh')
    """

    registers: dict[str, DataSet] = field(default_factory=dict)
    writable: set[str] = field(default_factory=set)

    @classmethod
    def of(
        cls, rows: Iterable[tuple[str, str, str] | DataSet], writable: Iterable[str] = ()
    ) -> StaticSource:
        sets = [r if isinstance(r, DataSet) else DataSet(*r) for r in rows]
        return cls({s.address: s for s in sets}, set(writable))

    def readout(self) -> Sequence[DataSet]:
        return list(self.registers.values())

    def read(self, address: str) -> DataSet | Refusal:
        return self.registers.get(address) or Refusal("ERROR")

    def write(self, address: str, value: str) -> Refusal | None:
        current = self.registers.get(address)
        if current is None or address not in self.writable:
            return Refusal("ERROR")
        self.registers[address] = DataSet(address, value, current.unit)
        return None


def iskraemeco_identification(
    model: str = "MT372", version: str = "1004", baud_char: str = "5"
) -> IdentificationMessage:
    """The Iskraemeco identification ``/ISK5\\2MT372-1004``.

    Form taken from ``/ISK5\\2ME371-2105`` and ``/ISK5\\2MT382-1008`` (docs/mt372.md
    section 6): ISK, 9600 Bd ('5'), mode E capable (``\\2``), model-version.
    """
    return IdentificationMessage("ISK", baud_char, f"{model}-{version}", enhanced="2")


#: The readout of MT372.md section 6, for demonstrations and tests.
EXAMPLE_READOUT: tuple[DataSet, ...] = (
    DataSet("C.1.0", "12345678"),
    DataSet("0.9.1", "102030"),
    DataSet("0.9.2", "240115"),
    DataSet("1.8.0", "001234.567", "kWh"),
    DataSet("1.8.1", "000800.000", "kWh"),
    DataSet("1.8.2", "000434.567", "kWh"),
    DataSet("2.8.0", "000012.345", "kWh"),
    DataSet("F.F", "00000000"),
)
