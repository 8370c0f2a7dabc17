"""What the typed calls of :mod:`openamr.client.device`, :mod:`~openamr.client.profile`
and :mod:`~openamr.client.firmware` need of an open meter (Green Book 9.3 xDLMS GET,
SET, ACTION): the services, not the connection.

:class:`openamr.client.meter.Meter` provides them; the modules of the typed calls
take a :class:`MeterCalls`, so that they do not import the module that imports
them (no import cycle, not even a type-only one).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Protocol, TypeAlias

from openamr.apdu.action import ActionResponseWithOptionalData
from openamr.apdu.descriptors import (
    Absent,
    CosemAttributeDescriptor,
    CosemMethodDescriptor,
    SelectiveAccessDescriptor,
)
from openamr.apdu.get import GetDataResult
from openamr.apdu.selective_access import CaptureObjectDefinition, EntryDescriptor, RangeDescriptor
from openamr.client.session import BlockProgress
from openamr.client.values import Profile
from openamr.codec.obis import Obis
from openamr.codec.types import Data

#: An object by OBIS: ``"1.0.1.8.0.255"`` or an :class:`Obis`.
Target: TypeAlias = "Obis | str"
Selection: TypeAlias = "SelectiveAccessDescriptor | RangeDescriptor | EntryDescriptor"
AttributeSpec: TypeAlias = "CosemAttributeDescriptor | Target | tuple[Target, int]"


class MeterCalls(Protocol):
    """The services of an open association with one meter."""

    name: str
    timeout: float

    def known_class(self, target: Target) -> int | None: ...

    def learn_class(self, target: Target, class_id: int) -> None: ...

    async def class_of(self, target: Target) -> int: ...

    async def attribute(
        self, target: AttributeSpec, attribute: int = 2, class_id: int | None = None
    ) -> CosemAttributeDescriptor: ...

    async def get(
        self,
        target: AttributeSpec,
        attribute: int = 2,
        selection: Selection | None = None,
        *,
        class_id: int | None = None,
        progress: BlockProgress | None = None,
    ) -> Data: ...

    async def get_many(self, targets: Sequence[AttributeSpec]) -> list[GetDataResult]: ...

    async def set(
        self,
        target: AttributeSpec,
        value: Data,
        attribute: int = 2,
        *,
        class_id: int | None = None,
    ) -> None: ...

    async def action_response(
        self,
        target: CosemMethodDescriptor | Target,
        method: int,
        parameters: Data | Absent = ...,
        *,
        class_id: int | None = None,
        retry: bool = False,
    ) -> tuple[str, ActionResponseWithOptionalData]: ...

    async def action(
        self,
        target: CosemMethodDescriptor | Target,
        method: int,
        parameters: Data | Absent = ...,
        *,
        class_id: int | None = None,
        retry: bool = False,
    ) -> Data | None: ...

    async def profile(
        self,
        target: Target,
        start: dt.datetime | None = None,
        end: dt.datetime | None = None,
        entries: tuple[int, int] | None = None,
        columns: Sequence[int | Target] | None = None,
        progress: BlockProgress | None = None,
        captured: Sequence[CaptureObjectDefinition] | None = None,
    ) -> Profile: ...


__all__ = ["AttributeSpec", "MeterCalls", "Selection", "Target"]
