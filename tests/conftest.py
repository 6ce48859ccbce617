"""Shared fixtures: accounts named by role, and Hypothesis profiles for the chain."""

import os

import pytest
from hypothesis import HealthCheck, settings

# ape snapshots per test, not per example: chain tests isolate each example themselves.
_COMMON = dict(deadline=None, suppress_health_check=list(HealthCheck), derandomize=False)
settings.register_profile("ci", max_examples=15, **_COMMON)
settings.register_profile("dev", max_examples=5, **_COMMON)
settings.register_profile("deep", max_examples=400, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="session")
def deployer(accounts):
    return accounts[0]


@pytest.fixture(scope="session")
def publisher(accounts):
    return accounts[1]


@pytest.fixture(scope="session")
def alice(accounts):
    return accounts[2]


@pytest.fixture(scope="session")
def bob(accounts):
    return accounts[3]


@pytest.fixture(scope="session")
def gateway(accounts):
    return accounts[4]


@pytest.fixture(scope="session")
def stranger(accounts):
    return accounts[5]
