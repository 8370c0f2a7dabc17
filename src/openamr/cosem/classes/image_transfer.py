"""Image transfer, class_id 18, version 0 (Blue Book 4.4.6): firmware download.

Methods and the attribute they fill::

    image_transfer_initiate (data) ::= structure {
        image_identifier octet-string, image_size double-long-unsigned }
    image_block_transfer (data) ::= structure {
        image_block_number double-long-unsigned, image_block_value octet-string }
    image_verify (data) ::= integer(0)
    image_activate (data) ::= integer(0)

    image_to_activate_info ::= array structure {
        image_to_activate_size double-long-unsigned,
        image_to_activate_identification octet-string,
        image_to_activate_signature octet-string }

The process (Blue Book 4.4.6.4), with image_transfer_status after each step::

    1. read image_block_size (B)
    2. image_transfer_initiate(id, size)        -> 1 transfer initiated
    3. image_block_transfer(n, octets n*B ...), in any order
    4. read image_transferred_blocks_status / image_first_not_transferred_block_number,
       send the missing blocks
    5. image_verify                             -> 3 verification successful | 4 failed
    6. read image_to_activate_info
    7. image_activate                           -> 6 activation successful | 7 failed

Block n holds octets [n*B, min((n+1)*B, size)); only the last block may be shorter.
The bit-string has one bit per block, bit n set once block n arrived; the first
block not transferred equals the number of blocks when all have arrived.
Re-initiating with the same identifier and size resumes an interrupted transfer
(the blocks already received are kept); another identifier starts afresh.
Activating an image not yet verified verifies it first.

The octets go to an injected :class:`ImageStore`, verification to an injected
:data:`ImageVerifier`, activation to an injected :data:`ImageActivator` (the twin
changes its firmware identifier there).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Protocol

from openamr.apdu.results import ActionResult
from openamr.codec.obis import Obis
from openamr.codec.types import (
    Array,
    BitString,
    Data,
    DoubleLongUnsigned,
    Enum,
    OctetString,
    Structure,
    Tag,
)
from openamr.cosem.base import SUCCESS, Attribute, CosemObject, Method, MethodResult
from openamr.cosem.classes.shape import as_bytes, as_int, denied, fields

#: Decision: fits one ACTION-Request in a 256-octet APDU with room for ciphering.
DEFAULT_BLOCK_SIZE = 192
#: Decision: the largest image the twin accepts.
DEFAULT_MAX_IMAGE_SIZE = 1 << 20


class ImageTransferStatus(enum.IntEnum):
    """image_transfer_status (attribute 6)."""

    TRANSFER_NOT_INITIATED = 0
    TRANSFER_INITIATED = 1
    VERIFICATION_INITIATED = 2
    VERIFICATION_SUCCESSFUL = 3
    VERIFICATION_FAILED = 4
    ACTIVATION_INITIATED = 5
    ACTIVATION_SUCCESSFUL = 6
    ACTIVATION_FAILED = 7


S = ImageTransferStatus
#: The statuses in which each step may run (else the method answers OTHER_REASON).
#: Initiate runs in any status; these states also allow resuming a transfer.
IN_PROGRESS = frozenset(
    {S.TRANSFER_INITIATED, S.VERIFICATION_SUCCESSFUL, S.VERIFICATION_FAILED, S.ACTIVATION_FAILED}
)
ALLOWED: dict[str, frozenset[ImageTransferStatus]] = {
    "image_block_transfer": IN_PROGRESS,
    "image_verify": IN_PROGRESS,
    "image_activate": IN_PROGRESS,
}


class ImageStore(Protocol):
    """Where the image's octets go (flash in a meter; memory or a file in the twin)."""

    def begin(self, identifier: bytes, size: int) -> None:
        """Start a new image of ``size`` octets, discarding any earlier one."""

    def write(self, offset: int, data: bytes) -> None:
        """Store ``data`` at ``offset``."""

    def read(self) -> bytes:
        """The whole image (missing blocks read as zeros)."""


class MemoryImageStore:
    """The default :class:`ImageStore`: the image in memory."""

    def __init__(self) -> None:
        self.identifier = b""
        self.image = bytearray()

    def begin(self, identifier: bytes, size: int) -> None:
        self.identifier, self.image = identifier, bytearray(size)

    def write(self, offset: int, data: bytes) -> None:
        self.image[offset : offset + len(data)] = data

    def read(self) -> bytes:
        return bytes(self.image)


#: (identifier, image) -> the image's signature (b"" if none) or None if it does not verify.
ImageVerifier = Callable[[bytes, bytes], "bytes | None"]
#: (identifier, image) -> True once the image runs.
ImageActivator = Callable[[bytes, bytes], bool]


def accept_any(identifier: bytes, image: bytes) -> bytes | None:
    """The default verifier: every complete image verifies, with no signature."""
    return b""


def activate_nothing(identifier: bytes, image: bytes) -> bool:
    """The default activator: activation succeeds and changes nothing."""
    return True


class ImageTransfer(CosemObject, class_id=18, version=0):
    """The server side of image transfer (0.0.44.0.0.255 on the MT372)."""

    ATTRIBUTES = (
        Attribute(2, "image_block_size", Tag.DOUBLE_LONG_UNSIGNED, static=True),
        Attribute(3, "image_transferred_blocks_status", Tag.BIT_STRING),
        Attribute(4, "image_first_not_transferred_block_number", Tag.DOUBLE_LONG_UNSIGNED),
        Attribute(5, "image_transfer_enabled", Tag.BOOLEAN, static=True),
        Attribute(6, "image_transfer_status", Tag.ENUM),
        Attribute(7, "image_to_activate_info", Tag.ARRAY),
    )
    METHODS = (
        Method(1, "image_transfer_initiate", Tag.STRUCTURE),
        Method(2, "image_block_transfer", Tag.STRUCTURE),
        Method(3, "image_verify", Tag.INTEGER),
        Method(4, "image_activate", Tag.INTEGER),
    )

    set_image_block_size = set_image_transferred_blocks_status = staticmethod(denied)
    set_image_first_not_transferred_block_number = staticmethod(denied)
    set_image_transfer_status = set_image_to_activate_info = staticmethod(denied)

    def __init__(
        self,
        logical_name: Obis | str = "0.0.44.0.0.255",
        block_size: int = DEFAULT_BLOCK_SIZE,
        store: ImageStore | None = None,
        verifier: ImageVerifier = accept_any,
        activator: ImageActivator = activate_nothing,
        enabled: bool = True,
        max_image_size: int = DEFAULT_MAX_IMAGE_SIZE,
    ) -> None:
        super().__init__(logical_name)
        if block_size < 1:
            raise ValueError(f"image block size must be positive, got {block_size}")
        self.block_size, self.max_image_size = block_size, max_image_size
        self.store = store if store is not None else MemoryImageStore()
        self.verifier, self.activator = verifier, activator
        self.image_transfer_enabled: Data = enabled
        self.status = S.TRANSFER_NOT_INITIATED
        self.identifier = b""
        self.size = 0
        self.received = bytearray()  # one 0/1 octet per block
        self.signature: bytes | None = None  # set by a successful verification

    # -- attributes -------------------------------------------------------------

    @property
    def blocks(self) -> int:
        """The number of blocks of the image being transferred."""
        return -(-self.size // self.block_size)

    def get_image_block_size(self) -> Data:
        return DoubleLongUnsigned(self.block_size)

    def get_image_transferred_blocks_status(self) -> Data:
        return BitString.from_str("".join("1" if b else "0" for b in self.received))

    def get_image_first_not_transferred_block_number(self) -> Data:
        first = self.received.find(0)
        return DoubleLongUnsigned(self.blocks if first < 0 else first)

    def get_image_transfer_status(self) -> Data:
        return Enum(self.status)

    def get_image_to_activate_info(self) -> Data:
        if self.signature is None:
            return Array()
        info = (DoubleLongUnsigned(self.size), OctetString(self.identifier))
        return Array([Structure((*info, OctetString(self.signature)))])

    # -- methods ----------------------------------------------------------------

    def image_transfer_initiate(self, parameters: Data) -> MethodResult:
        found = fields(parameters, (Tag.OCTET_STRING, Tag.DOUBLE_LONG_UNSIGNED))
        if found is None:
            return ActionResult.TYPE_UNMATCHED, None
        identifier, size = as_bytes(found[0]), as_int(found[1])
        if self.image_transfer_enabled is not True or not 0 < size <= self.max_image_size:
            return ActionResult.OTHER_REASON, None
        resume = self.status in IN_PROGRESS and (identifier, size) == (self.identifier, self.size)
        if not resume:
            self.identifier, self.size = identifier, size
            self.received = bytearray(self.blocks)
            self.store.begin(identifier, size)
        self.enter(S.TRANSFER_INITIATED)
        return SUCCESS

    def image_block_transfer(self, parameters: Data) -> MethodResult:
        found = fields(parameters, (Tag.DOUBLE_LONG_UNSIGNED, Tag.OCTET_STRING))
        if found is None:
            return ActionResult.TYPE_UNMATCHED, None
        number, value = as_int(found[0]), as_bytes(found[1])
        if not self.allowed("image_block_transfer") or not self.fits(number, value):
            return ActionResult.OTHER_REASON, None
        self.store.write(number * self.block_size, value)
        self.received[number] = 1
        self.enter(S.TRANSFER_INITIATED)
        return SUCCESS

    def image_verify(self, parameters: Data) -> MethodResult:
        if not self.allowed("image_verify"):
            return ActionResult.OTHER_REASON, None
        if not self.verify():
            return ActionResult.OTHER_REASON, None
        return SUCCESS

    def image_activate(self, parameters: Data) -> MethodResult:
        if not self.allowed("image_activate"):
            return ActionResult.OTHER_REASON, None
        if self.status is not S.VERIFICATION_SUCCESSFUL and not self.verify():
            self.enter(S.ACTIVATION_FAILED)
            return ActionResult.OTHER_REASON, None
        self.status = S.ACTIVATION_INITIATED
        if not self.activator(self.identifier, self.store.read()):
            self.status = S.ACTIVATION_FAILED
            return ActionResult.OTHER_REASON, None
        self.status = S.ACTIVATION_SUCCESSFUL
        return SUCCESS

    # -- the process ------------------------------------------------------------

    def allowed(self, step: str) -> bool:
        return self.status in ALLOWED[step]

    def fits(self, number: int, value: bytes) -> bool:
        """Block ``number`` exists and ``value`` has its exact length."""
        if number >= self.blocks:
            return False
        return len(value) == min(self.block_size, self.size - number * self.block_size)

    def enter(self, status: ImageTransferStatus) -> None:
        """Move to ``status``; any change to the image voids an earlier verification."""
        self.status, self.signature = status, None

    def verify(self) -> bool:
        """Verify a complete image: VERIFICATION_SUCCESSFUL with its info, else FAILED."""
        self.enter(S.VERIFICATION_INITIATED)
        signature = None
        if 0 not in self.received:
            signature = self.verifier(self.identifier, self.store.read())
        if signature is None:
            self.enter(S.VERIFICATION_FAILED)
            return False
        self.status, self.signature = S.VERIFICATION_SUCCESSFUL, signature
        return True
