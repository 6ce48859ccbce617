"""Fixtures for the gateway ledger tests: one throwaway PostgreSQL server per session (skipped,
or failed under CI / SEEDBED_POSTGRES=1, when none can start) and a fresh schema per test."""

import uuid

import psycopg
import pytest
from psycopg.conninfo import make_conninfo
from testkit.postgres import server_for_tests


@pytest.fixture(scope="session")
def postgres_server_dsn():
    with server_for_tests() as dsn:
        yield dsn


@pytest.fixture
def postgres_dsn(postgres_server_dsn):
    """A DSN whose tables live in a schema of their own (dropped after the test)."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server_dsn, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    yield make_conninfo(postgres_server_dsn, options=f"-c search_path={schema}")
    with psycopg.connect(postgres_server_dsn, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")
