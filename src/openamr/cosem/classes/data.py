"""Data, class_id 1, version 0 (Blue Book 4.3.1): a value with no unit."""

from __future__ import annotations

from openamr.codec.obis import Obis
from openamr.codec.types import Data as DlmsData
from openamr.cosem.base import Attribute, CosemObject


class Data(CosemObject, class_id=1, version=0):
    """``value`` (2): any Data."""

    ATTRIBUTES = (Attribute(2, "value"),)

    def __init__(self, logical_name: Obis | str, value: DlmsData = None) -> None:
        super().__init__(logical_name)
        self.value = value
