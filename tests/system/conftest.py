"""The worlds the whole-suite tests act in: named actors, funded tokens, raw chain access."""

from __future__ import annotations

from typing import Any

import pytest
from suite_rpc import Chain, Errors
from suite_world import FOT_BPS, TOKENS_EACH, World
from testkit.model import UINT256_MAX, Deployment

FEE_SUITE_BPS = 250  # the second deployment charges a protocol fee
# ... and registers by commit-reveal, as on a public chain (the first: one transaction).
FEE_SUITE_COMMIT_AGES = (60, 3600)
COPIER_FUNDS = 10**22
# Both suites' courts: a small bond, short periods (the machine's clock moves in minutes), the
# default 64 KiB minimum for duplicate files. The no-fee suite's arbiter is a PanelArbiter of
# three actors deciding by two votes; the fee suite's is the TestArbiter (a ruling fee, and
# switches to refuse cases, rule at once or run out of gas), which anyone may drive.
COURT = dict(dispute_bond=10**15, answer_period=300, ruling_timeout=600)
PANEL = ("bob", "gateway", "stranger")
PANEL_THRESHOLD = 2
TEST_ARBITER_FEE = 1_234


def _copier(chain) -> str:
    """An account with no key in the test mnemonic, unlocked on anvil: the machine's copier,
    who watches other accounts' registrations and tries to take them."""
    from eth_utils import keccak, to_checksum_address

    address = to_checksum_address(keccak(b"seedbed.system.copier")[12:])
    chain.provider.make_request("anvil_impersonateAccount", [address])
    chain.provider.make_request("anvil_setBalance", [address, hex(COPIER_FUNDS)])
    return address


def _actors(accounts) -> dict[str, str]:
    return {
        "publisher": accounts[1].address,
        "publisher2": accounts[6].address,
        "alice": accounts[2].address,
        "bob": accounts[3].address,
        "gateway": accounts[4].address,
        "stranger": accounts[5].address,
    }


def _world(project, chain, accounts, suite, token, fot_token, treasury, contributors_of, deployer):
    actors = _actors(accounts)
    court = suite.court
    arbiter = court.ARBITER()
    panel = (
        project.PanelArbiter.at(arbiter).members()
        if suite.record["contracts"].get("PanelArbiter")
        else ()
    )
    # accounts[7] and [8] only ever receive: pure contributors.
    contributors = [actors["alice"], actors["bob"], actors["publisher"]]
    contributors += [accounts[7].address, accounts[8].address]
    copier = _copier(chain)
    campaigns = suite.campaigns
    spenders = [suite.vault.address, suite.license.address, suite.meter.address]
    spenders.append(campaigns.address)
    for address in actors.values():
        for erc20 in (token, fot_token):
            if erc20.balanceOf(address) < TOKENS_EACH:
                erc20.mint(address, TOKENS_EACH, sender=deployer)
            for spender in spenders:
                erc20.approve(spender, UINT256_MAX, sender=accounts[address])
    contract_types = [
        c.contract_type
        for c in (suite.registry, suite.vault, suite.license, suite.meter, court, token, fot_token)
    ]
    contract_types.append(campaigns.contract_type)
    contract_types += [project.PanelArbiter.contract_type, project.TestArbiter.contract_type]
    deployment = Deployment(
        registry=suite.registry.address,
        vault=suite.vault.address,
        license=suite.license.address,
        meter=suite.meter.address,
        treasury=treasury.address,
        fee_bps=suite.vault.FEE_BPS(),
        min_commit_age=suite.registry.MIN_COMMIT_AGE(),
        max_commit_age=suite.registry.MAX_COMMIT_AGE(),
        withdrawal_delay=suite.meter.WITHDRAWAL_DELAY(),
        grace_period=suite.meter.GRACE_PERIOD(),
        withdrawal_window=suite.meter.WITHDRAWAL_WINDOW(),
        court=court.address,
        arbiter=arbiter,
        dispute_bond=court.BOND(),
        answer_period=court.ANSWER_PERIOD(),
        ruling_timeout=court.RULING_TIMEOUT(),
        min_duplicate_size=court.MIN_DUPLICATE_SIZE(),
        campaigns=campaigns.address,
    )
    # The campaigns share the court's arbiter and its ruling timeout (seedbed.chain.deploy).
    assert campaigns.ARBITER() == arbiter
    assert campaigns.RULING_TIMEOUT() == deployment.ruling_timeout
    assert fot_token.FEE_BPS() == FOT_BPS
    tracked = list(dict.fromkeys([*actors.values(), *contributors, treasury.address, copier]))
    tracked += [suite.vault.address, suite.meter.address, suite.license.address]
    tracked += [suite.registry.address, court.address, arbiter, campaigns.address]
    return World(
        chain=Chain(chain.provider.http_uri, Errors(contract_types)),
        deployment=deployment,
        chain_id=chain.chain_id,
        registry=suite.registry.address,
        vault=suite.vault.address,
        license=suite.license.address,
        meter=suite.meter.address,
        court=court.address,
        arbiter=arbiter,
        panel=tuple(str(m) for m in panel),
        panel_threshold=project.PanelArbiter.at(arbiter).THRESHOLD() if panel else 0,
        token=token.address,
        fot=fot_token.address,
        actors=actors,
        copier=copier,
        contributors=contributors,
        keys={a.address: a.private_key for a in accounts},
        tracked=tracked,
        contributors_of=contributors_of,
        campaigns=campaigns.address,
    )


def _fresh_suite(
    project,
    chain,
    deployer,
    treasury,
    fee_bps: int,
    label: bytes,
    commit_ages=(0, 3600),
    **court: Any,
) -> Any:
    """A suite deployed like production with its own salt: empty whatever ran before (the
    session's `suite` may carry state that other test modules left behind)."""
    from seedbed.chain.client import Suite
    from seedbed.chain.deploy import Params, deploy
    from seedbed.core.keccak import keccak

    params = Params(
        wirer=deployer.address,
        treasury=treasury.address,
        fee_bps=fee_bps,
        min_commit_age=commit_ages[0],
        max_commit_age=commit_ages[1],
        salt="0x" + keccak(label).hex(),
        **COURT,
        **court,
    )
    return Suite.from_record(
        project, chain, deploy(project, chain, deployer, params, write_record=False)
    )


@pytest.fixture(scope="module")
def world(project, chain, accounts, token, fot_token, treasury, contributors_of, deployer):
    """A fresh suite without a protocol fee, registering in one transaction (commitments off,
    as on the local chain); its arbiter is a panel of three actors deciding by two votes."""
    actors = _actors(accounts)
    suite = _fresh_suite(
        project,
        chain,
        deployer,
        treasury,
        0,
        b"seedbed.system.nofee",
        arbiter_members=tuple(actors[n] for n in PANEL),
        arbiter_threshold=PANEL_THRESHOLD,
    )
    return _world(
        project, chain, accounts, suite, token, fot_token, treasury, contributors_of, deployer
    )


@pytest.fixture(scope="module")
def fee_world(
    project, chain, accounts, token, fot_token, treasury, contributors_of, deployer
) -> Any:
    """A second fresh suite, deployed the same way with another salt, that charges a 2.5% fee
    and registers by commit-reveal (MIN_COMMIT_AGE 60 s, MAX_COMMIT_AGE 1 h); its arbiter is
    the TestArbiter, with a ruling fee."""
    arbiter = deployer.deploy(project.TestArbiter)
    arbiter.setFee(TEST_ARBITER_FEE, sender=deployer)
    suite = _fresh_suite(
        project,
        chain,
        deployer,
        treasury,
        FEE_SUITE_BPS,
        b"seedbed.system.fee",
        FEE_SUITE_COMMIT_AGES,
        arbiter=arbiter.address,
    )
    return _world(
        project, chain, accounts, suite, token, fot_token, treasury, contributors_of, deployer
    )
