"""EIP-712 signed claims to a recipient, byte for byte what RoyaltyVault.claimToSigned checks.

The vault inherits OpenZeppelin's EIP712("Seedbed RoyaltyVault", "1"): the domain is (name,
version, chainId, verifyingContract = the vault) and the message is
`ClaimTo(uint256 assetId,address currency,address account,address recipient,uint256 upTo,
uint256 deadline)`. `claimed` is cumulative, so a replay pays nothing beyond `upTo`: no nonce.
The domain binds the chain and the vault; the type binds asset, currency, account and recipient.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import to_checksum_address

from seedbed.core.errors import InputError

VAULT_NAME = "Seedbed RoyaltyVault"
VAULT_VERSION = "1"
CLAIM_TO_TYPE = (
    "ClaimTo(uint256 assetId,address currency,address account,address recipient,"
    "uint256 upTo,uint256 deadline)"
)
UINT256_MAX = 2**256 - 1

_FIELDS = (
    ("assetId", "uint256"),
    ("currency", "address"),
    ("account", "address"),
    ("recipient", "address"),
    ("upTo", "uint256"),
    ("deadline", "uint256"),
)


@dataclass(frozen=True, slots=True)
class ClaimTo:
    """`account` lets anyone pay its share of `asset_id` in `currency` to `recipient`, until it
    has claimed `up_to` in total, before `deadline` (unix seconds)."""

    asset_id: int
    currency: str
    account: str
    recipient: str
    up_to: int = UINT256_MAX
    deadline: int = 0

    def __post_init__(self) -> None:
        if int(self.recipient, 16) == 0:
            raise InputError("A claim cannot be sent to the zero address.")
        for name in ("asset_id", "up_to", "deadline"):
            value = getattr(self, name)
            if not 0 <= value <= UINT256_MAX:
                raise InputError(f"{name} must be a uint256, not {value}.")

    def message(self) -> dict[str, Any]:
        return {
            "assetId": self.asset_id,
            "currency": to_checksum_address(self.currency),
            "account": to_checksum_address(self.account),
            "recipient": to_checksum_address(self.recipient),
            "upTo": self.up_to,
            "deadline": self.deadline,
        }


def typed_data(claim: ClaimTo, chain_id: int, vault: str) -> dict[str, Any]:
    """The full EIP-712 document (for a wallet's eth_signTypedData_v4)."""
    return {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            "ClaimTo": [{"name": n, "type": t} for n, t in _FIELDS],
        },
        "primaryType": "ClaimTo",
        "domain": {
            "name": VAULT_NAME,
            "version": VAULT_VERSION,
            "chainId": chain_id,
            "verifyingContract": to_checksum_address(vault),
        },
        "message": claim.message(),
    }


def sign(claim: ClaimTo, chain_id: int, vault: str, private_key: str | bytes) -> bytes:
    """The 65-byte signature (r ‖ s ‖ v, low s) of the claim by `private_key`."""
    signable = encode_typed_data(full_message=typed_data(claim, chain_id, vault))
    return bytes(Account.sign_message(signable, private_key).signature)


def args(claim: ClaimTo, weight: int, proof: list[tuple[bytes, int]], signature: bytes) -> tuple:
    """claimToSigned's arguments, in order."""
    return (
        claim.asset_id,
        to_checksum_address(claim.currency),
        to_checksum_address(claim.account),
        weight,
        proof,
        to_checksum_address(claim.recipient),
        claim.up_to,
        claim.deadline,
        signature,
    )
