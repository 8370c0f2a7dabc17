"""The asyncio client API: one meter, one association, typed calls::

    async with connect("tcp://10.0.0.5:4059", client=1, auth="high",
                       keys=KeySet(ek, ak)) as meter:
        energy = await meter.register("1.0.1.8.0.255")      # RegisterValue, scaled
        lp = await meter.profile("1.0.99.1.0.255", start=t0, end=t1)
        await meter.disconnect_relay()

``connect`` opens the transport named by the URL (see :mod:`openamr.client.url`),
reads the server's invocation counter 0.0.43.1.0.255 through the public client
first when ``auth="high"`` (as head-ends do: our outgoing counter then starts above
it, and the server's first ciphered answer must not be below it), associates, and
releases and closes on exit, also on errors and cancellation.

Objects are named by OBIS (``"1.0.1.8.0.255"`` or :class:`Obis`); their class is
taken from ``class_id=``, else from what this association already learned (a
register read finds its class by asking, a few bytes, and keeps it), else from the
association's object_list, read once and cached. A
:class:`CosemAttributeDescriptor` / :class:`CosemMethodDescriptor` is used as given.
Refusals raise :class:`RefusedError`, everything else :class:`MeterError`; both name
the meter, the step and the reason.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from openamr.apdu.action import ActionResponseWithOptionalData
from openamr.apdu.descriptors import (
    ABSENT,
    Absent,
    CosemAttributeDescriptor,
    CosemMethodDescriptor,
)
from openamr.apdu.get import GetDataResult
from openamr.apdu.initiate import Conformance
from openamr.apdu.mechanism import ApplicationContextName, MechanismName
from openamr.apdu.results import ActionResult, DataAccessResult
from openamr.apdu.selective_access import CaptureObjectDefinition, EntryDescriptor, RangeDescriptor
from openamr.association.client import Associated, ClientAssociation, ClientSettings
from openamr.association.client.errors import (
    ConfirmedServiceErrorReceived,
    ExceptionResponseReceived,
)
from openamr.client import device, profile
from openamr.client.calls import AttributeSpec, Selection, Target
from openamr.client.credentials import Secrets, load_secrets
from openamr.client.errors import NOT_LISTED, CredentialsError, MeterError, RefusedError
from openamr.client.session import BlockProgress, Session, Trace
from openamr.client.url import MeterUrl, parse_url
from openamr.client.values import Event, ObjectInfo, Profile, RegisterValue, parse_object_list
from openamr.codec.obis import Obis
from openamr.codec.types import Data, Integer
from openamr.errors import RemoteProtocolError
from openamr.security.counters import OutgoingCounter
from openamr.security.keys import KeySet, SecurityContext

if TYPE_CHECKING:
    from pathlib import Path

    from openamr.client import firmware  # with its class table, on first use
    from openamr.client.transport import TransportFactory

AUTH: dict[str, MechanismName] = {
    "none": MechanismName.NONE,
    "low": MechanismName.LLS,
    "high": MechanismName.HLS_GMAC,
}
PUBLIC_CLIENT = 16
#: The client SAP by mechanism when none is given, as on the MT372 (MT372.md section 5):
#: 16 public, 32 LLS reader, 1 HLS management. The CLI uses the same table.
DEFAULT_CLIENT: dict[str, int] = {"none": PUBLIC_CLIENT, "low": 32, "high": 1}
log = logging.getLogger(__name__)
INVOCATION_COUNTER = Obis(0, 0, 43, 1, 0, 255)
CURRENT_ASSOCIATION = Obis(0, 0, 40, 0, 0, 255)
#: attributes per Get-Request-With-List (Green Book 9.3.4: the list's length is the
#: server's to limit): the MT372 takes 32; 32 descriptors are ~330 bytes of request
LIST_CHUNK = 32
#: a whole with-list answered with one of these for every attribute: the list refused
#: (too long for the meter), not each attribute (that is object-undefined, denied ...)
_LIST_REFUSALS = frozenset({
    DataAccessResult.OTHER_REASON, DataAccessResult.TEMPORARY_FAILURE,
    DataAccessResult.DATA_BLOCK_UNAVAILABLE, DataAccessResult.LONG_GET_ABORTED,
})  # fmt: skip


def _obis(target: Target) -> Obis:
    return target if isinstance(target, Obis) else Obis.parse(target)


def _list_refused(cause: BaseException | None) -> bool:
    """The meter refused a with-list as a whole (Green Book 9.5: EXCEPTION-Response,
    ConfirmedServiceError), or did not answer it as one (a Get-Response-Normal, a
    count that is not the request's); not an undecodable or unauthentic answer."""
    return isinstance(
        cause, ExceptionResponseReceived | ConfirmedServiceErrorReceived | RemoteProtocolError
    )


def _all_refused(results: Sequence[GetDataResult]) -> bool:
    first = results[0]
    return len(results) > 1 and first in _LIST_REFUSALS and all(r is first for r in results)


def _label(d: CosemAttributeDescriptor | CosemMethodDescriptor) -> str:
    index = d.attribute_id if isinstance(d, CosemAttributeDescriptor) else d.method_id
    return f"{d.class_id}/{d.instance_id}/{index}"


class Meter:
    """An open association with one meter; build it with :func:`connect`."""

    def __init__(
        self,
        url: MeterUrl,
        client: int,
        settings: ClientSettings,
        *,
        timeout: float = 10.0,
        retries: int = 2,
        read_invocation_counter: bool = False,
        invocation_counter: int | None = None,
        public_client: int = PUBLIC_CLIENT,
        trace: Trace | None = None,
        open_transport: TransportFactory | None = None,
    ) -> None:
        if open_transport is None:  # asyncio's, loaded when a meter opens with it
            from openamr.client.transport import open_transport as on_asyncio

            open_transport = on_asyncio
        self.open_transport: TransportFactory = open_transport
        self.url, self.client, self.timeout = url, client, timeout
        self.name = f"meter {url}"
        self.public_client = public_client
        self.server_invocation_counter: int | None = None
        self._classes: dict[Obis, int] = {}
        self._listed = False  # the object list was read: _classes holds all of it
        self.with_list = True  # False once the meter refused a Get-Request-With-List
        self._user_counter = invocation_counter
        self.session = Session(
            self.name,
            lambda: self.open_transport(url, client, timeout),
            settings,
            retries=retries,
            prepare=self._read_invocation_counter if read_invocation_counter else None,
            after_associate=self._check_first_counter,
            trace=trace,
            outgoing=OutgoingCounter(invocation_counter or 0),
            client=client,
        )

    # -- life cycle ----------------------------------------------------------------------

    async def open(self) -> None:
        await self.session.open()

    async def close(self) -> None:
        await self.session.close()

    async def _read_invocation_counter(self) -> None:
        public = Session(
            self.name,
            lambda: self.open_transport(self.url, self.public_client, self.timeout),
            ClientSettings(),
            retries=0,
            client=self.public_client,
        )
        await public.open()
        try:
            desc = CosemAttributeDescriptor(1, INVOCATION_COUNTER, 2)
            value = await public.run(lambda a: a.get(desc), "read the invocation counter")
        finally:
            await public.close()
        if isinstance(value, (DataAccessResult, bool)) or not isinstance(value, int):
            raise MeterError(self.name, "read the invocation counter", f"unusable value {value!r}")
        self.server_invocation_counter = int(value)
        start = max(int(value) + 1, self.session.outgoing.value)
        self.session.outgoing = OutgoingCounter(start)

    def _check_first_counter(self, assoc: ClientAssociation) -> None:
        floor = self.server_invocation_counter
        session = assoc.session
        if floor is None or session is None or session.incoming.last is None:
            return
        if session.incoming.last < floor:
            raise MeterError(
                self.name, self.session.step_name,
                f"replayed answer: invocation counter {session.incoming.last} is below {floor}",
            )  # fmt: skip

    @property
    def negotiated(self) -> Associated | None:
        """What the meter accepted (conformance, its max PDU size, system title)."""
        assoc = self.session.association
        return None if assoc is None else assoc.negotiated

    @property
    def invocation_counter(self) -> int:
        """The next invocation counter this client will use (persist it)."""
        return self.session.outgoing.value

    def supports(self, conformance: Conformance) -> bool:
        assoc = self.session.association
        return assoc is not None and assoc.supports(conformance)

    # -- naming objects --------------------------------------------------------------------

    def known_class(self, target: Target) -> int | None:
        """The class of an object if this association already knows it (no request)."""
        return self._classes.get(_obis(target))

    def learn_class(self, target: Target, class_id: int) -> None:
        """Remember an object's class, found by a request that the meter accepted."""
        self._classes[_obis(target)] = class_id

    async def class_of(self, target: Target) -> int:
        """The class of an object: learned, else from the association's object_list
        (read once)."""
        obis = _obis(target)
        if obis not in self._classes and not self._listed:
            await self.object_list()
        if obis not in self._classes:
            raise MeterError(self.name, f"find {obis}", NOT_LISTED)
        return self._classes[obis]

    async def attribute(
        self, target: AttributeSpec, attribute: int = 2, class_id: int | None = None
    ) -> CosemAttributeDescriptor:
        if isinstance(target, CosemAttributeDescriptor):
            return target
        if isinstance(target, tuple):
            target, attribute = target
        obis = _obis(target)
        cid = class_id if class_id is not None else await self.class_of(obis)
        return CosemAttributeDescriptor(cid, obis, attribute)

    async def method(
        self, target: CosemMethodDescriptor | Target, method: int, class_id: int | None = None
    ) -> CosemMethodDescriptor:
        if isinstance(target, CosemMethodDescriptor):
            return target
        obis = _obis(target)
        cid = class_id if class_id is not None else await self.class_of(obis)
        return CosemMethodDescriptor(cid, obis, method)

    # -- services ------------------------------------------------------------------------

    async def get(
        self,
        target: AttributeSpec,
        attribute: int = 2,
        selection: Selection | None = None,
        *,
        class_id: int | None = None,
        progress: BlockProgress | None = None,
    ) -> Data:
        """GET one attribute (long answers in blocks: ``progress(blocks)``)."""
        desc = await self.attribute(target, attribute, class_id)
        access = (
            selection.to_access()
            if isinstance(selection, RangeDescriptor | EntryDescriptor)
            else selection
        )
        step = f"get {_label(desc)}"
        result = await self.session.run(lambda a: a.get(desc, access), step, progress=progress)
        if isinstance(result, DataAccessResult):
            raise RefusedError(self.name, step, result)
        return result

    async def get_many(self, targets: Sequence[AttributeSpec]) -> list[GetDataResult]:
        """GET several attributes: with-list (up to :data:`LIST_CHUNK` a request) when
        negotiated, else one by one. A refused attribute is its DataAccessResult in the
        list (no exception). A meter that refuses a with-list as a whole (an
        EXCEPTION-Response or ConfirmedServiceError, an answer that is not one result
        per attribute, or the same refusal for every one: :func:`_list_refused`) is
        read one by one from then on, for the rest of this association."""
        descs = [await self.attribute(t) for t in targets]
        results: list[GetDataResult] = []
        for i in range(0, len(descs), LIST_CHUNK):
            chunk = descs[i : i + LIST_CHUNK]
            if len(chunk) > 1 and self.with_list and self.supports(Conformance.MULTIPLE_REFERENCES):
                step = f"get-with-list {', '.join(map(_label, chunk))}"
                try:
                    listed = await self.session.run(lambda a, c=chunk: a.get_with_list(c), step)  # type: ignore[misc]
                except MeterError as e:
                    if not _list_refused(e.__cause__):
                        raise
                    log.info("%s: %s; reading one attribute a request", self.name, e.reason)
                else:
                    if not _all_refused(listed):
                        results += listed
                        continue
                    log.info("%s: %s: every attribute refused; reading one attribute a request",
                             self.name, step)  # fmt: skip
                self.with_list = False
            for d in chunk:
                results.append(await self.session.run(lambda a, d=d: a.get(d), f"get {_label(d)}"))  # type: ignore[misc]
        return results

    async def set(
        self,
        target: AttributeSpec,
        value: Data,
        attribute: int = 2,
        *,
        class_id: int | None = None,
    ) -> None:
        """SET one attribute (in blocks when long); a refusal raises RefusedError."""
        desc = await self.attribute(target, attribute, class_id)
        step = f"set {_label(desc)}"
        result = await self.session.run(lambda a: a.set(desc, value), step, retry=False)
        if result is not DataAccessResult.SUCCESS:
            raise RefusedError(self.name, step, result)

    async def action_response(
        self,
        target: CosemMethodDescriptor | Target,
        method: int,
        parameters: Data | Absent = Integer(0),  # noqa: B008 - immutable
        *,
        class_id: int | None = None,
        retry: bool = False,
    ) -> tuple[str, ActionResponseWithOptionalData]:
        """ACTION, with the meter's answer as it came (result and return parameters)."""
        desc = await self.method(target, method, class_id)
        step = f"action {_label(desc)}"
        answer = await self.session.run(lambda a: a.action(desc, parameters), step, retry=retry)
        return step, answer

    async def action(
        self,
        target: CosemMethodDescriptor | Target,
        method: int,
        parameters: Data | Absent = Integer(0),  # noqa: B008 - immutable
        *,
        class_id: int | None = None,
        retry: bool = False,
    ) -> Data | None:
        """ACTION (parameters ``integer 0`` by default, ``ABSENT`` for none): the
        return parameters, or None; a refusal raises RefusedError. ``retry``: send
        it again after a lost connection (only for idempotent methods)."""
        step, answer = await self.action_response(
            target, method, parameters, class_id=class_id, retry=retry
        )
        if answer.result is not ActionResult.SUCCESS:
            raise RefusedError(self.name, step, answer.result)
        data = answer.return_parameters
        if isinstance(data, DataAccessResult):
            raise RefusedError(self.name, step, data)
        return None if data is ABSENT else data

    # -- objects ------------------------------------------------------------------------

    async def object_list(self) -> list[ObjectInfo]:
        """The current association's object_list (class, version, OBIS, rights)."""
        desc = CosemAttributeDescriptor(15, CURRENT_ASSOCIATION, 2)
        value = await self.get(desc)
        try:
            objects = parse_object_list(value)
        except ValueError as e:
            raise MeterError(self.name, "read the object list", str(e)) from e
        self._classes = {o.logical_name: o.class_id for o in objects}
        self._listed = True
        return objects

    async def register(self, target: Target, *, class_id: int | None = None) -> RegisterValue:
        """A Register's (or Extended/Demand register's) value with scaler and unit."""
        return await device.read_register(self, _obis(target), class_id)

    async def profile(
        self,
        target: Target,
        start: dt.datetime | None = None,
        end: dt.datetime | None = None,
        entries: tuple[int, int] | None = None,
        columns: Sequence[int | Target] | None = None,
        progress: BlockProgress | None = None,
        captured: Sequence[CaptureObjectDefinition] | None = None,
    ) -> Profile:
        """A Profile generic's buffer: all of it, by time range (``start``/``end``,
        inclusive), or by entry (``entries=(first, last)``, 1-based, last 0 = the
        newest); ``columns`` by 0-based index or OBIS. ``captured``: its capture
        objects (attribute 3) when already read, else they are read first."""
        return await profile.read_profile(
            self, _obis(target), start, end, entries, columns, progress, captured
        )

    async def events(
        self,
        target: Target = "1.0.99.98.0.255",
        start: dt.datetime | None = None,
        end: dt.datetime | None = None,
    ) -> list[Event]:
        """The log-book, with event names (docs/mt372.md), all of it or by time range
        (``start``/``end``, inclusive, as :meth:`profile`)."""
        return await device.read_events(self, _obis(target), start, end)

    async def clock(self) -> dt.datetime:
        return await device.read_clock(self)

    async def set_clock(self, when: dt.datetime) -> None:
        await device.write_clock(self, when)

    async def sync_clock(
        self, now: dt.datetime | None = None, threshold: dt.timedelta = device.SYNC_THRESHOLD
    ) -> device.ClockSync:
        return await device.sync_clock(self, now, threshold)

    async def relay_state(self) -> device.RelayState:
        return await device.relay_state(self)

    async def connect_relay(self) -> device.RelayState:
        return await device.switch_relay(self, connect=True)

    async def disconnect_relay(self) -> device.RelayState:
        return await device.switch_relay(self, connect=False)

    async def firmware_upgrade(
        self,
        image: bytes,
        identifier: bytes,
        block_size: int | None = None,
        progress: firmware.Progress | None = None,
        activate: bool = True,
    ) -> firmware.Upgrade:
        """Image transfer 0.0.44.0.0.255 (resumable): see :mod:`openamr.client.firmware`."""
        from openamr.client import firmware

        return await firmware.upgrade(self, image, identifier, block_size, progress, activate)


def settings_for(
    auth: str, secrets: Secrets, ciphered: bool | None = None, max_pdu_size: int = 0xFFFF
) -> ClientSettings:
    """The association settings for ``auth`` ("none", "low", "high")."""
    if auth not in AUTH:
        raise CredentialsError(f"auth must be one of {', '.join(AUTH)}, not {auth!r}")
    mechanism = AUTH[auth]
    ciphered = mechanism is MechanismName.HLS_GMAC if ciphered is None else ciphered
    security = None
    if mechanism is MechanismName.HLS_GMAC or ciphered:
        if secrets.keys is None:
            raise CredentialsError(
                "auth='high' needs keys: keys=KeySet(ek, ak), a keys file, or OPENAMR_EK/OPENAMR_AK"
            )
        security = SecurityContext(secrets.keys, secrets.system_title)
    if mechanism is MechanismName.LLS and secrets.password is None:
        raise CredentialsError(
            "auth='low' needs a password: password=..., a keys file, or OPENAMR_PASSWORD"
        )
    context = (
        ApplicationContextName.LOGICAL_NAME_WITH_CIPHERING
        if ciphered
        else ApplicationContextName.LOGICAL_NAME
    )
    return ClientSettings(
        context=context,
        mechanism=mechanism,
        password=secrets.password or b"",
        security=security,
        max_receive_pdu_size=max_pdu_size,
    )


@asynccontextmanager
async def connect(
    url: str | MeterUrl,
    client: int | None = None,
    auth: str | None = None,
    *,
    password: bytes | str | None = None,
    keys: KeySet | None = None,
    system_title: bytes | None = None,
    keys_file: str | Path | None = None,
    environ: Mapping[str, str] | None = None,
    timeout: float = 10.0,
    retries: int = 2,
    read_invocation_counter: bool | None = None,
    invocation_counter: int | None = None,
    ciphered: bool | None = None,
    max_pdu_size: int = 0xFFFF,
    trace: Trace | None = None,
    open_transport: TransportFactory | None = None,
) -> AsyncIterator[Meter]:
    """Open, associate, yield the :class:`Meter`, release and close.

    Secrets come from the arguments, else ``keys_file``, else the environment (see
    :mod:`openamr.client.credentials`). Without ``auth`` the secrets choose it (keys:
    ``high``, a password: ``low``, else ``none``), and without ``client`` the
    mechanism does (:data:`DEFAULT_CLIENT`), exactly as on the command line.
    ``timeout`` is the silence allowed (each frame restarts it), ``retries`` the
    resends of a request after a lost connection, ``max_pdu_size`` the client's max
    receive PDU size (longer answers come in blocks). ``read_invocation_counter``
    (default: with ``auth="high"``) reads 0.0.43.1.0.255 as the public client first.
    ``open_transport`` opens the line to the meter: by default the asyncio transport
    of the URL's scheme (:func:`openamr.client.transport.open_transport`);
    :func:`openamr.client.sockets.open_blocking` reads ``tcp://`` over a blocking
    socket, without an event loop (:func:`openamr.client.sockets.run_blocking`)."""
    parsed = url if isinstance(url, MeterUrl) else parse_url(url)
    secrets = load_secrets(
        password=password, keys=keys, system_title=system_title, keys_file=keys_file,
        environ=environ,
    )  # fmt: skip
    auth = secrets.auth if auth is None else auth
    settings = settings_for(auth, secrets, ciphered, max_pdu_size)
    client = DEFAULT_CLIENT[auth] if client is None else client
    read_ic = auth == "high" if read_invocation_counter is None else read_invocation_counter
    meter = Meter(
        parsed, client, settings, timeout=timeout, retries=retries,
        read_invocation_counter=read_ic, invocation_counter=invocation_counter, trace=trace,
        open_transport=open_transport,
    )  # fmt: skip
    await meter.open()
    try:
        yield meter
    finally:
        await meter.close()


__all__ = ["AUTH", "DEFAULT_CLIENT", "Meter", "connect", "settings_for"]
