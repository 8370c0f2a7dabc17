"""The twin's firmware download (Blue Book 4.4.6, Image transfer 0.0.44.0.0.255;
docs/mt372.md): after "activation successful" the meter runs the new
image, so the active firmware identifier 1.0.0.2.0.255 names it and the log-book
records event 0x8035, firmware activated (the codes of :mod:`openamr.meter.events`).

Decisions: the twin takes images up to :data:`MAX_IMAGE_SIZE` (1 MiB; a real MT372's
flash limit is not published); the image's identifier becomes the firmware
identifier as it is (octet-string); the image itself is not run.
"""

from __future__ import annotations

from openamr.codec.obis import Obis
from openamr.codec.types import OctetString
from openamr.cosem.classes.data import Data
from openamr.cosem.classes.image_transfer import DEFAULT_MAX_IMAGE_SIZE, ImageTransfer
from openamr.meter.events import EventCode
from openamr.meter.peripherals.agenda import place
from openamr.meter.twin import Twin

IMAGE_TRANSFER = Obis(0, 0, 44, 0, 0, 255)
FIRMWARE_IDENTIFIER = Obis(1, 0, 0, 2, 0, 255)
MAX_IMAGE_SIZE = DEFAULT_MAX_IMAGE_SIZE


class Activation:
    """The image activator of the twin: the new identifier shown, the upgrade logged."""

    def __init__(self, twin: Twin) -> None:
        found = twin.device.find(FIRMWARE_IDENTIFIER)
        if not isinstance(found, Data):
            raise ValueError(f"{FIRMWARE_IDENTIFIER} is not a Data object of this twin")
        self.twin, self.identifier = twin, found

    def __call__(self, identifier: bytes, image: bytes) -> bool:
        self.identifier.value = OctetString(identifier)
        self.twin.log(self.twin.position, EventCode.FIRMWARE_ACTIVATED)
        return True


def install_firmware(twin: Twin) -> ImageTransfer:
    """The twin's Image transfer object, in the place of the one declared with the
    communication objects (the object list keeps its order)."""
    image_transfer = ImageTransfer(
        IMAGE_TRANSFER, activator=Activation(twin), max_image_size=MAX_IMAGE_SIZE
    )
    place(twin.device, image_transfer)
    return image_transfer
