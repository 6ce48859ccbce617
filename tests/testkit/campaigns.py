"""Labeling campaigns for tests: the Campaign struct, gold commitments, published reports, and
a driver that creates, posts and disputes on a deployed LabelCampaigns (the campaign tests'
own fixtures, the access matrix, the whole-suite state machine and the end-to-end test)."""

from __future__ import annotations

import os
from dataclasses import astuple, dataclass, replace
from typing import Any

from eth_abi import encode
from eth_utils import keccak

from seedbed.core.campaigns import CAMPAIGN_TYPES, gold_opening, published_report

ETH = "0x" + "00" * 20
OPEN, POSTED, FINISHED, DISPUTED = 1, 2, 3, 4


@dataclass(frozen=True)
class Params:
    """ILabelCampaigns.Campaign in field order and in the Solidity spelling, so tests can say
    `p.but(postBy=...)` (seedbed.core.campaigns.Campaign is the tooling's)."""

    requester: str
    currency: str
    pool: int
    itemsRoot: bytes
    goldCommitment: bytes
    operator: str
    bond: int
    postBy: int
    challengeWindow: int
    claimWindow: int

    def t(self) -> tuple:
        return astuple(self)

    def but(self, **changes: Any) -> Params:
        return replace(self, **changes)

    def hash(self) -> bytes:
        return keccak(encode(CAMPAIGN_TYPES, list(self.t())))


gold_commitment = gold_opening  # keccak256(goldSalt ‖ goldRoot), the goldCommitment


def report(result_root: bytes, gold_root: bytes, body: bytes = b'{"method":"test"}') -> bytes:
    """A published report: the 64-byte header abi.encode(resultRoot, goldRoot), then JSON."""
    return published_report(result_root, gold_root, body)


def case_of(campaign_id: int, round_: int = 1) -> int:
    """The arbiter's case number of a campaign's dispute: round << 128 | id."""
    return round_ << 128 | campaign_id


@dataclass
class Launched:
    """A created campaign: its id, its parameters as stored, and its gold's secret."""

    id: int
    params: Params
    salt: bytes
    gold_root: bytes


class CampaignDriver:
    """ETH campaigns on `contract`, with the usual arguments; times from the chain's head."""

    def __init__(self, contract: Any, chain: Any) -> None:
        self.c = contract
        self.chain = chain

    def create(self, requester: Any, operator: Any, pool: int, bond: int, **kw: Any) -> Launched:
        salt, gold_root = os.urandom(32), os.urandom(32)
        head = int(self.chain.blocks.head.timestamp)
        params = Params(
            requester=str(requester.address),
            currency=ETH,
            pool=pool,
            itemsRoot=kw.get("items_root", keccak(b"items")),
            goldCommitment=gold_commitment(salt, gold_root),
            operator=str(getattr(operator, "address", operator)),
            bond=bond,
            postBy=head + kw.get("post_by", 30 * 86_400),
            challengeWindow=kw.get("challenge", 3600),
            claimWindow=kw.get("claim", 30 * 86_400),
        )
        receipt = self.c.create(params.t(), value=pool, sender=requester)
        return Launched(
            receipt.events.filter(self.c.CampaignCreated)[0].id, params, salt, gold_root
        )

    def post(self, launched: Launched, people: Any, sender: Any, body: bytes | None = None) -> Any:
        """Posts `people` (a Contributors tree) with a matching report unless `body` is given."""
        body = report(people.root, launched.gold_root) if body is None else body
        p = launched.params
        return self.c.postResult(
            launched.id, p.t(), people.top, keccak(body), launched.salt, launched.gold_root,
            value=p.bond, sender=sender,
        )  # fmt: skip

    def dispute(self, launched: Launched, sender: Any, fee: int = 0) -> Any:
        p = launched.params
        return self.c.dispute(
            launched.id, p.t(), keccak(b"evidence"), value=p.bond + fee, sender=sender
        )
