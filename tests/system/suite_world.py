"""The world the whole-suite tests act in: who the actors are, where the contracts live."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from suite_rpc import Chain
from testkit.model import Deployment

from seedbed.core.constants import ETH

TOKENS_EACH = 10**24
FOT_BPS = 100


@dataclass
class World:
    chain: Chain
    deployment: Deployment
    chain_id: int
    registry: str
    vault: str
    license: str
    meter: str
    court: str
    arbiter: str
    panel: tuple[str, ...]  # the PanelArbiter's members; () for the TestArbiter
    panel_threshold: int
    token: str  # plain 18-decimal ERC-20
    fot: str  # burns 1% of every transfer
    actors: dict[str, str]  # role -> address
    copier: str  # watches registrations to take them: gets only held-back ones that leaked
    contributors: list[str]  # accounts that appear in contributor trees
    keys: dict[str, str]  # address -> private key, to sign vouchers
    tracked: list[str]  # every address whose balances the model predicts
    contributors_of: Any  # the session builder of contributor trees
    campaigns: str = ""  # LabelCampaigns, sharing the court's arbiter

    @property
    def currencies(self) -> list[str]:
        return [ETH, self.token, self.fot]
