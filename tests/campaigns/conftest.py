"""Campaign fixtures: the LabelCampaigns contract (standalone, outside the suite), roles,
funded tokens and a `kit` that creates, posts and claims with the calldata struct."""

from __future__ import annotations

import os

import pytest
from campaign_helpers import (
    DAY,
    ETH,
    HOUR,
    RULING_TIMEOUT,
    Params,
    Posted,
    addr,
    gold_commitment,
    now,
    report,
)
from eth_utils import keccak

MAX_UINT = 2**256 - 1


@pytest.fixture(scope="session")
def arbiter(project, deployer):
    """A TestArbiter (fee, refusal and instant-ruling switches), as the court tests use."""
    return deployer.deploy(project.TestArbiter)


@pytest.fixture(scope="session")
def campaigns(project, deployer, arbiter):
    return deployer.deploy(project.LabelCampaigns, arbiter, RULING_TIMEOUT)


@pytest.fixture(scope="session")
def requester(accounts):
    return accounts[1]


@pytest.fixture(scope="session")
def operator(accounts):
    return accounts[4]


@pytest.fixture(scope="session")
def carol(accounts):
    return accounts[6]


@pytest.fixture(scope="session")
def challenger(accounts):
    return accounts[7]


@pytest.fixture(scope="session")
def funded(campaigns, token, fot_token, requester, operator):
    """Both tokens minted to the requester and the operator, approved to the contract."""
    for t in (token, fot_token):
        for who in (requester, operator):
            t.mint(who, 10**30, sender=who)
            t.approve(campaigns, MAX_UINT, sender=who)
    return {"token": token, "fot": fot_token}


class Kit:
    """Campaign calls with their usual arguments; every one returns the receipt."""

    def __init__(self, contract, chain, accounts, contributors_of):
        self.c = contract
        self.chain = chain
        self.accounts = {a.address: a for a in accounts}
        self.contributors_of = contributors_of

    def params(self, requester, operator, currency=ETH, pool=10**18, bond=10**17, **kw) -> Params:
        salt = kw.pop("salt", b"\x5a" * 32)
        gold_root = kw.pop("gold_root", keccak(b"gold answers"))
        return Params(
            requester=addr(requester),
            currency=currency if currency == ETH else addr(currency),
            pool=pool,
            itemsRoot=kw.pop("itemsRoot", keccak(b"items")),
            goldCommitment=kw.pop("goldCommitment", gold_commitment(salt, gold_root)),
            operator=addr(operator),
            bond=bond,
            postBy=kw.pop("postBy", now(self.chain) + DAY),
            challengeWindow=kw.pop("challengeWindow", HOUR),
            claimWindow=kw.pop("claimWindow", DAY),
        )

    def create(self, params: Params, sender=None, value=None):
        value = (params.pool if params.currency == ETH else 0) if value is None else value
        sender = sender or self.accounts[params.requester]
        return self.c.create(params.t(), value=value, sender=sender)

    def created(self, params: Params, sender=None) -> tuple[int, Params]:
        """Creates and returns (id, the parameters as stored: pool = what arrived)."""
        receipt = self.create(params, sender=sender)
        event = receipt.events.filter(self.c.CampaignCreated)[0]
        return event.id, params.but(pool=int(event.params[2]))  # the struct decodes as a list

    def post(
        self, cid, params, people, gold_root, salt, report_bytes, sender=None, value=None, top=None
    ):
        value = (params.bond if params.currency == ETH else 0) if value is None else value
        sender = sender or self.accounts[params.operator]
        top = people.top if top is None else top
        return self.c.postResult(
            cid, params.t(), top, keccak(report_bytes), salt, gold_root, value=value, sender=sender
        )

    def claim(self, posted: Posted, account, sender, params=None):
        weight, proof = posted.people.proof(addr(account))
        p = params or posted.params
        return self.c.claim(posted.id, p.t(), addr(account), weight, proof, sender=sender)

    def finish(self, cid, params, sender):
        return self.c.finish(cid, params.t(), sender=sender)

    def launch(self, requester, operator, weights, currency=ETH, **kw) -> Posted:
        """Create a campaign and post `weights` as its result (the report matches)."""
        salt, gold_root = os.urandom(32), os.urandom(32)
        cid, params = self.created(
            self.params(requester, operator, currency, salt=salt, gold_root=gold_root, **kw)
        )
        people = self.contributors_of(weights)
        body = report(people.root, gold_root)
        receipt = self.post(cid, params, people, gold_root, salt, body)
        ts = self.chain.blocks[receipt.block_number].timestamp
        return Posted(cid, params, people, gold_root, salt, body, int(ts))


@pytest.fixture(scope="session")
def kit(campaigns, chain, accounts, contributors_of):
    return Kit(campaigns, chain, accounts, contributors_of)
