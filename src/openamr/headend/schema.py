"""The head-end's tables, one schema for SQLite and PostgreSQL (SQLAlchemy Core).

Times are integer seconds since 1970-01-01 UTC (``BigInteger``): the same on both
engines, compact, and fast to insert in batches. A reading's channel is the OBIS and
attribute of what was read, ``"1.0.1.8.0.255:2"`` for a register; a load-profile
column is named by its profile and capture object, ``"1.0.99.1.0.255/1.0.1.8.0.255:2"``
(so that "the last stored entry of the profile" is one indexed look-up). Readings,
events and alarms are unique on (meter, channel or code, time): a batch is inserted
with ``ON CONFLICT DO NOTHING`` and a reading read twice is stored once.

Secrets are never in plain text here: ``meters.secrets`` is an AES-GCM box under the
head-end's key-encryption key (:mod:`openamr.headend.vault`), which is kept outside
the database; ``kek_id`` names the key that sealed it.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

meters = Table(
    "meters",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("serial", String(32), nullable=False, unique=True),
    Column("logical_device_name", String(32), nullable=False, server_default=""),
    Column("url", String(255), nullable=False),
    Column("client", Integer, nullable=False),
    Column("auth", String(8), nullable=False),
    Column("secrets", LargeBinary, nullable=True),
    Column("kek_id", String(8), nullable=True),
    Column("system_title", String(16), nullable=False, server_default=""),
    Column("cell", Integer, nullable=True),
    Column("group_name", String(64), nullable=False, server_default=""),
    Column("tariff_group", String(64), nullable=False, server_default=""),
    Column("msisdn", String(20), nullable=False, server_default=""),
    Column("iccid", String(22), nullable=False, server_default=""),
    Column("imsi", String(15), nullable=False, server_default=""),
    Column("firmware", String(64), nullable=False, server_default=""),
    Column("state", String(16), nullable=False, server_default="active"),
    Column("path", String(8), nullable=False, server_default="tcp"),  # migration 2
    Column("created", BigInteger, nullable=False),
    Column("updated", BigInteger, nullable=False),
)
Index("meters_group", meters.c.group_name)
Index("meters_cell", meters.c.cell)

readings = Table(
    "readings",
    metadata,
    Column("meter_id", Integer, ForeignKey("meters.id"), primary_key=True),
    Column("channel", String(64), primary_key=True),
    Column("ts", BigInteger, primary_key=True),
    Column("value", Float, nullable=False),
    Column("unit", String(16), nullable=False),
    Column("status", Integer, nullable=True),
    Column("quality", Integer, nullable=False, server_default="0"),
    sqlite_with_rowid=False,  # the key is the table (one B-tree to write, not two)
)

events = Table(
    "events",
    metadata,
    Column("meter_id", Integer, ForeignKey("meters.id"), primary_key=True),
    Column("log", String(32), primary_key=True),
    Column("ts", BigInteger, primary_key=True),
    Column("code", Integer, primary_key=True),
    Column("name", String(64), nullable=False),
    sqlite_with_rowid=False,
)

alarms = Table(
    "alarms",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("meter_id", Integer, ForeignKey("meters.id"), nullable=True),
    Column("sender", String(32), nullable=False),
    Column("ts", BigInteger, nullable=False),
    Column("code", Integer, nullable=False),
    Column("name", String(64), nullable=False),
    Column("payload", LargeBinary, nullable=True),
    Column("state", String(16), nullable=False, server_default="open"),
    Column("received", BigInteger, nullable=False),
    UniqueConstraint("sender", "ts", "code", name="alarms_once"),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("meter_id", Integer, ForeignKey("meters.id"), nullable=False),
    Column("job_id", Integer, nullable=True),
    Column("started", BigInteger, nullable=False),
    Column("ended", BigInteger, nullable=False),
    Column("bytes_sent", Integer, nullable=False),
    Column("bytes_received", Integer, nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("reason", Text, nullable=False, server_default=""),
    Column("readings", Integer, nullable=False, server_default="0"),
    # the clock's offset as the session read it (meter - reference, s): added by
    # migration 2 to a database of before it (a fresh one has it from migration 1)
    Column("clock_offset_s", Float, nullable=True),
)
Index("sessions_meter", sessions.c.meter_id, sessions.c.started)

clock_corrections = Table(
    "clock_corrections",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("meter_id", Integer, ForeignKey("meters.id"), nullable=False),
    Column("session_id", Integer, nullable=True),
    Column("ts", BigInteger, nullable=False),
    Column("offset_s", Float, nullable=False),
    Column("shift_s", Float, nullable=False),
    Column("forced", Boolean, nullable=False),
)

commands = Table(
    "commands",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("correlation_id", String(36), nullable=False, unique=True),
    Column("meter_id", Integer, ForeignKey("meters.id"), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("parameters", Text, nullable=False, server_default="{}"),
    Column("state", String(16), nullable=False),
    Column("result", Text, nullable=False, server_default=""),
    Column("created", BigInteger, nullable=False),
    Column("updated", BigInteger, nullable=False),
)

command_history = Table(
    "command_history",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("command_id", Integer, ForeignKey("commands.id"), nullable=False),
    Column("ts", BigInteger, nullable=False),
    Column("state", String(16), nullable=False),
    Column("note", Text, nullable=False, server_default=""),
)

invocation_counters = Table(
    "invocation_counters",
    metadata,
    Column("meter_id", Integer, ForeignKey("meters.id"), primary_key=True),
    Column("key", String(16), primary_key=True),
    Column("value", BigInteger, nullable=False),
    Column("updated", BigInteger, nullable=False),
)

jobs = Table(
    "jobs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("correlation_id", String(36), nullable=False, unique=True),
    Column("meter_id", Integer, ForeignKey("meters.id"), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("priority", Integer, nullable=False),
    Column("state", String(16), nullable=False),
    Column("due", BigInteger, nullable=False),
    Column("deadline", BigInteger, nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("reason", Text, nullable=False, server_default=""),
    Column("created", BigInteger, nullable=False),
    Column("updated", BigInteger, nullable=False),
)

schema_version = Table(
    "schema_version",
    metadata,
    Column("version", Integer, primary_key=True),
    Column("description", Text, nullable=False),
    Column("applied", BigInteger, nullable=False),
)

campaigns = Table(
    "campaigns",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("identifier", String(128), nullable=False),
    Column("image", LargeBinary, nullable=False),
    Column("size", Integer, nullable=False),
    Column("group_name", String(64), nullable=False),
    Column("window_start", BigInteger, nullable=False),
    Column("window_end", BigInteger, nullable=False),
    Column("activate_at", BigInteger, nullable=True),  # None: at once after verify
    Column("state", String(16), nullable=False),
    Column("created", BigInteger, nullable=False),
    Column("updated", BigInteger, nullable=False),
)

campaign_meters = Table(
    "campaign_meters",
    metadata,
    Column("campaign_id", String(36), ForeignKey("campaigns.id"), primary_key=True),
    Column("meter_id", Integer, ForeignKey("meters.id"), primary_key=True),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("blocks", Integer, nullable=False, server_default="0"),
    Column("held", Integer, nullable=False, server_default="0"),
    Column("reason", Text, nullable=False, server_default=""),
    Column("updated", BigInteger, nullable=False),
)

job_results = Table(
    "job_results",
    metadata,
    Column("correlation_id", String(64), primary_key=True),
    Column("result", Text, nullable=False),
    Column("updated", BigInteger, nullable=False),
)

#: new keys sent to a meter, sealed under the KEK, until a fresh association confirms them
pending_keys = Table(
    "pending_keys",
    metadata,
    Column("meter_id", Integer, ForeignKey("meters.id"), primary_key=True),
    Column("correlation_id", String(36), nullable=False),
    Column("secrets", LargeBinary, nullable=False),
    Column("kek_id", String(8), nullable=False),
    Column("created", BigInteger, nullable=False),
)

#: the tables migration 1 creates
V1_TABLES = [
    meters, readings, events, alarms, sessions, clock_corrections, commands,
    command_history, invocation_counters, jobs,
]  # fmt: skip

#: per meter and UTC day (``(ts - 1) // 86400``: an interval ending at midnight belongs
#: to the day it closes), the load-profile intervals stored: the completeness heat map
#: of the web page reads this, not the readings (kept by ``Store.save_session``)
profile_days = Table(
    "profile_days",
    metadata,
    Column("day", Integer, primary_key=True),  # first: the heat map reads days x meters
    Column("meter_id", Integer, ForeignKey("meters.id"), primary_key=True),
    Column("received", Integer, nullable=False),
    sqlite_with_rowid=False,
)

#: the tables migration 2 creates
V2_TABLES = [profile_days]

#: the tables of firmware campaigns, job results and key rotation (a later step)
CAMPAIGN_TABLES = [campaigns, campaign_meters, job_results, pending_keys]

#: VEE's findings (:mod:`openamr.headend.vee`): one row per interval that failed a rule
#: or was estimated or edited; the raw reading in ``readings`` is never changed.
#: ``value`` is what VEE proposes (NULL: the raw value stands), ``original`` the raw
#: value (NULL: the meter gave none), ``method`` how the value was made.
reading_vee = Table(
    "reading_vee",
    metadata,
    Column("meter_id", Integer, ForeignKey("meters.id"), primary_key=True),
    Column("channel", String(64), primary_key=True),
    Column("ts", BigInteger, primary_key=True),
    Column("flags", Integer, nullable=False),
    Column("method", String(16), nullable=False, server_default=""),
    Column("value", Float, nullable=True),
    Column("original", Float, nullable=True),
    Column("unit", String(16), nullable=False, server_default=""),
    Column("run", BigInteger, nullable=False),
    sqlite_with_rowid=False,
)

#: each meter's tariff calendar as read (:mod:`openamr.headend.calendars`): a row per
#: read that found it changed; ``attributes`` is JSON, attribute name -> the A-XDR encoding
#: (hex) of what the meter answered (:data:`openamr.headend.tariff.ATTRIBUTES`);
#: ``activation`` the passive calendar's activation time (UTC seconds, NULL: none)
tariff_calendars = Table(
    "tariff_calendars",
    metadata,
    Column("meter_id", Integer, ForeignKey("meters.id"), primary_key=True),
    Column("read_at", BigInteger, primary_key=True),
    Column("checked", BigInteger, nullable=False),  # the last read that found it so
    Column("activation", BigInteger, nullable=True),
    Column("attributes", Text, nullable=False),
)
