"""Stores for the head-end's tests: SQLite in a temporary file always, and the real
PostgreSQL on 127.0.0.1:5432 (database ``test``, trust auth) in a schema of its own,
dropped afterwards (skipped with the reason when it does not answer, failed in CI)."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from openamr.headend.store import Store
from openamr.headend.vault import Kek
from tests.services import require

PG_DSN = os.environ.get("OPENAMR_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
KEK = Kek(bytes.fromhex("00112233445566778899aabbccddeeff"))


async def _drop_schema(name: str) -> None:
    conn = await asyncpg.connect(PG_DSN, timeout=3)
    try:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
    finally:
        await conn.close()


async def open_store(kind: str, tmp_path: Path) -> AsyncIterator[Store]:
    if kind == "sqlite":
        store = await Store.open(f"sqlite:///{tmp_path / 'headend.db'}")
        yield store
        await store.close()
        return
    require("postgresql")  # skipped with the reason, or failed in CI
    name = f"headend_test_{uuid.uuid4().hex[:12]}"
    store = await Store.open(f"{PG_DSN}?schema={name}")
    try:
        yield store
    finally:
        await store.close()
        await _drop_schema(name)


@pytest.fixture(params=["sqlite", "postgresql"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    async for s in open_store(str(request.param), tmp_path):
        yield s


@pytest.fixture
async def sqlite_store(tmp_path: Path) -> AsyncIterator[Store]:
    async for s in open_store("sqlite", tmp_path):
        yield s


@pytest.fixture
async def pg_store(tmp_path: Path) -> AsyncIterator[Store]:
    async for s in open_store("postgresql", tmp_path):
        yield s
