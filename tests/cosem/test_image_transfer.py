"""Image transfer (class 18): the Blue Book 4.4.6.4 process, step by step."""

from __future__ import annotations

import pytest

from openamr.apdu.results import ActionResult, DataAccessResult
from openamr.codec import decode, encode
from openamr.codec.types import (
    Array,
    BitString,
    DoubleLongUnsigned,
    Integer,
    OctetString,
    Structure,
    Unsigned,
)
from openamr.cosem.classes.image_transfer import (
    ImageTransfer,
    ImageTransferStatus,
    MemoryImageStore,
)
from tests.cosem.declared import check_declaration

S = ImageTransferStatus
IMAGE = bytes(range(256)) * 2 + b"tail!"  # 517 octets: 5 blocks of 128, the last of 5
BLOCK = 128
ID = b"MT372-FW-2.01"


def initiate(obj: ImageTransfer, identifier: bytes = ID, size: int = len(IMAGE)) -> ActionResult:
    params = Structure((OctetString(identifier), DoubleLongUnsigned(size)))
    return obj.action(1, decode(encode(params)))[0]


def block(obj: ImageTransfer, n: int, value: bytes | None = None) -> ActionResult:
    data = IMAGE[n * BLOCK : (n + 1) * BLOCK] if value is None else value
    params = Structure((DoubleLongUnsigned(n), OctetString(data)))
    return obj.action(2, decode(encode(params)))[0]


def status(obj: ImageTransfer) -> ImageTransferStatus:
    value = obj.get(6)
    assert isinstance(value, int)
    return S(value)


class Recorder:
    """A verifier and activator that remember what they were given."""

    def __init__(self, verifies: bool = True, activates: bool = True) -> None:
        self.verifies, self.activates = verifies, activates
        self.verified: list[bytes] = []
        self.activated: list[tuple[bytes, bytes]] = []

    def verify(self, identifier: bytes, image: bytes) -> bytes | None:
        self.verified.append(image)
        return b"sig" if self.verifies else None

    def activate(self, identifier: bytes, image: bytes) -> bool:
        self.activated.append((identifier, image))
        return self.activates


def make(recorder: Recorder | None = None) -> tuple[ImageTransfer, MemoryImageStore, Recorder]:
    rec = recorder or Recorder()
    store = MemoryImageStore()
    obj = ImageTransfer(block_size=BLOCK, store=store, verifier=rec.verify, activator=rec.activate)
    return obj, store, rec


def test_declaration() -> None:
    obj, _, _ = make()
    assert (obj.CLASS_ID, obj.VERSION) == (18, 0)
    check_declaration(obj)
    initiate(obj)
    block(obj, 1)
    check_declaration(obj)


def test_full_transfer_out_of_order_with_a_missing_block_then_resume() -> None:
    obj, store, rec = make()
    assert status(obj) is S.TRANSFER_NOT_INITIATED
    assert obj.get(2) == DoubleLongUnsigned(BLOCK)
    assert initiate(obj) is ActionResult.SUCCESS
    assert status(obj) is S.TRANSFER_INITIATED
    assert obj.get(3) == BitString.from_str("00000")
    for n in (4, 2, 0, 3):  # block 1 is lost
        assert block(obj, n) is ActionResult.SUCCESS
    assert obj.get(3) == BitString.from_str("10111")
    assert obj.get(4) == DoubleLongUnsigned(1)

    # verification fails while a block is missing, without asking the verifier
    assert obj.action(3, Integer(0))[0] is ActionResult.OTHER_REASON
    assert status(obj) is S.VERIFICATION_FAILED and rec.verified == []
    assert obj.get(7) == Array()

    # the link drops; the client re-initiates the same image: nothing is lost
    assert initiate(obj) is ActionResult.SUCCESS
    assert status(obj) is S.TRANSFER_INITIATED
    assert obj.get(3) == BitString.from_str("10111")
    assert block(obj, 1) is ActionResult.SUCCESS
    assert obj.get(4) == DoubleLongUnsigned(5)  # all 5 blocks: equals the block count

    assert obj.action(3, Integer(0)) == (ActionResult.SUCCESS, None)
    assert status(obj) is S.VERIFICATION_SUCCESSFUL
    assert rec.verified == [IMAGE] and store.read() == IMAGE
    info = Structure((DoubleLongUnsigned(len(IMAGE)), OctetString(ID), OctetString(b"sig")))
    assert obj.get(7) == Array([info])

    assert obj.action(4, Integer(0)) == (ActionResult.SUCCESS, None)
    assert status(obj) is S.ACTIVATION_SUCCESSFUL
    assert rec.activated == [(ID, IMAGE)]
    # once activated, the process is over until a new initiate
    assert obj.action(4, Integer(0))[0] is ActionResult.OTHER_REASON
    assert block(obj, 0) is ActionResult.OTHER_REASON


def test_another_identifier_starts_afresh() -> None:
    obj, store, _ = make()
    initiate(obj)
    block(obj, 0)
    assert initiate(obj, b"other", 200) is ActionResult.SUCCESS
    assert obj.get(3) == BitString.from_str("00")
    assert store.identifier == b"other" and len(store.image) == 200


def test_activate_verifies_first() -> None:
    obj, _, rec = make()
    initiate(obj)
    for n in range(5):
        block(obj, n)
    assert obj.action(4, Integer(0)) == (ActionResult.SUCCESS, None)
    assert rec.verified == [IMAGE] and len(rec.activated) == 1


def test_activate_with_missing_blocks_fails() -> None:
    obj, _, rec = make()
    initiate(obj)
    block(obj, 0)
    assert obj.action(4, Integer(0))[0] is ActionResult.OTHER_REASON
    assert status(obj) is S.ACTIVATION_FAILED and rec.activated == []


def test_rejected_image_and_failed_activation() -> None:
    obj, _, _ = make(Recorder(verifies=False))
    initiate(obj)
    for n in range(5):
        block(obj, n)
    assert obj.action(3, Integer(0))[0] is ActionResult.OTHER_REASON
    assert status(obj) is S.VERIFICATION_FAILED

    obj, _, rec = make(Recorder(activates=False))
    initiate(obj)
    for n in range(5):
        block(obj, n)
    assert obj.action(4, Integer(0))[0] is ActionResult.OTHER_REASON
    assert status(obj) is S.ACTIVATION_FAILED and len(rec.activated) == 1
    rec.activates = True
    assert obj.action(4, Integer(0))[0] is ActionResult.SUCCESS  # a retry may succeed
    assert len(rec.activated) == 2


def test_a_block_after_verification_voids_it() -> None:
    obj, _, _ = make()
    initiate(obj)
    for n in range(5):
        block(obj, n)
    obj.action(3, Integer(0))
    assert block(obj, 2) is ActionResult.SUCCESS
    assert status(obj) is S.TRANSFER_INITIATED and obj.get(7) == Array()


@pytest.mark.parametrize(
    ("n", "value"),
    [
        pytest.param(5, b"x", id="past-the-last-block"),
        pytest.param(0, IMAGE[: BLOCK - 1], id="short-block"),
        pytest.param(4, IMAGE[512:] + b"!", id="long-last-block"),
    ],
)
def test_bad_blocks_are_refused(n: int, value: bytes) -> None:
    obj, _, _ = make()
    initiate(obj)
    assert block(obj, n, value) is ActionResult.OTHER_REASON
    assert obj.get(3) == BitString.from_str("00000")


def test_refusals() -> None:
    obj, _, _ = make()
    assert block(obj, 0) is ActionResult.OTHER_REASON  # not initiated
    assert obj.action(3, Integer(0))[0] is ActionResult.OTHER_REASON
    assert initiate(obj, size=0) is ActionResult.OTHER_REASON
    assert initiate(obj, size=obj.max_image_size + 1) is ActionResult.OTHER_REASON
    assert obj.action(1, Structure((OctetString(ID), Unsigned(5))))[0] is (
        ActionResult.TYPE_UNMATCHED
    )
    assert obj.action(2, OctetString(b""))[0] is ActionResult.TYPE_UNMATCHED
    assert obj.action(3, Unsigned(0))[0] is ActionResult.TYPE_UNMATCHED
    assert obj.set(5, False) is DataAccessResult.SUCCESS
    assert initiate(obj) is ActionResult.OTHER_REASON  # transfer disabled
    assert status(obj) is S.TRANSFER_NOT_INITIATED


def test_process_attributes_are_not_writable() -> None:
    obj, _, _ = make()
    assert obj.set(6, obj.get(6)) is DataAccessResult.READ_WRITE_DENIED
    assert obj.set(2, DoubleLongUnsigned(64)) is DataAccessResult.READ_WRITE_DENIED
    assert obj.get(2) == BLOCK


def test_a_transfer_driven_by_gurux_client_requests() -> None:
    """gurux's client builds every ACTION (initiate, blocks, verify, activate); the
    requests go through a logical device as the server would route them."""
    from gurux_dlms.objects import GXDLMSImageTransfer

    from openamr.cosem import READ_WRITE, AccessPolicy, AssociationView, LogicalDevice
    from tests.cosem.gurux_oracle import gurux_action, gurux_client

    obj, store, rec = make()
    view = AssociationView(LogicalDevice([obj]), AccessPolicy(default=READ_WRITE))
    theirs = GXDLMSImageTransfer(str(obj.logical_name))
    theirs.imageBlockSize = BLOCK
    client = gurux_client()

    def run(frame: bytes) -> ActionResult:
        request = gurux_action(frame)
        d = request.cosem_method_descriptor
        params = request.method_invocation_parameters
        return view.action(d.class_id, d.instance_id, d.method_id, params)[0]  # type: ignore[arg-type]

    assert run(theirs.imageTransferInitiate(client, ID.decode(), len(IMAGE))[0]) is (
        ActionResult.SUCCESS
    )
    frames = theirs.imageBlockTransfer(client, IMAGE, None)
    assert len(frames) == 5
    for frame in reversed(frames):
        assert run(frame[0]) is ActionResult.SUCCESS
    assert run(theirs.imageVerify(client)[0]) is ActionResult.SUCCESS
    assert run(theirs.imageActivate(client)[0]) is ActionResult.SUCCESS
    assert store.read() == IMAGE and rec.activated == [(ID, IMAGE)]


def test_gurux_reads_our_attributes() -> None:
    from gurux_dlms.objects import GXDLMSImageTransfer

    from tests.cosem.gurux_oracle import gurux_parse

    obj, _, _ = make()
    initiate(obj)
    for n in (0, 2, 3, 4):
        block(obj, n)
    theirs = gurux_parse(obj, GXDLMSImageTransfer())
    assert theirs.imageBlockSize == BLOCK
    assert str(theirs.imageTransferredBlocksStatus) == "10111"
    assert theirs.imageFirstNotTransferredBlockNumber == 1
    assert theirs.imageTransferEnabled is True
    assert int(theirs.imageTransferStatus) == S.TRANSFER_INITIATED
    block(obj, 1)
    obj.action(3, Integer(0))
    theirs = gurux_parse(obj, GXDLMSImageTransfer())
    [info] = theirs.imageActivateInfo
    assert (info.size, bytes(info.identification), bytes(info.signature)) == (
        len(IMAGE),
        ID,
        b"sig",
    )
