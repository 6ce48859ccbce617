"""Labeling campaigns' encodings (LabelCampaigns, ILabelCampaigns), pure: the Campaign struct
and its hash, the items root, the gold reveal and the published report's header.

The items root (`itemsRoot`, not checked on chain) is seedbed.core.merkle's tree over the item
ids (text: a Label Studio task id as its decimal text, or any id one a line):

    leaf = keccak(0x00 || keccak(utf8(item id)))                               33 bytes
    node = keccak(0x01 || min(a, b) || max(a, b))           (merkle.node)      65 bytes

leaves ordered by the ids' UTF-8 bytes, an odd last node promoted unchanged (merkle.build_levels):
the same set of ids gives the same root whatever the file's order.

The published report is `abi.encode(bytes32 resultRoot, bytes32 goldRoot) || JSON` (the
`labels score` quality report); `reportHash` is keccak256 of it all. The gold reveal opens
`goldCommitment = keccak256(goldSalt || goldRoot)`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import astuple, dataclass
from typing import Any

from eth_abi import encode

from seedbed.core.addresses import parse_address, to_checksum_address
from seedbed.core.errors import InputError
from seedbed.core.keccak import keccak
from seedbed.core.merkle import merkle_root

# ILabelCampaigns.Campaign, in field order.
CAMPAIGN_TYPES = [
    "address", "address", "uint256", "bytes32", "bytes32", "address", "uint256", "uint64",
    "uint32", "uint32",
]  # fmt: skip
HEADER_SIZE = 64
# ILabelCampaigns.State.status
OPEN, POSTED, FINISHED, DISPUTED = 1, 2, 3, 4
STATUS_NAMES = {
    0: "none",
    OPEN: "open",
    POSTED: "posted",
    FINISHED: "finished",
    DISPUTED: "disputed",
}


@dataclass(frozen=True)
class Campaign:
    """A campaign's immutable parameters (ILabelCampaigns.Campaign); `t()` is the calldata."""

    requester: str
    currency: str
    pool: int
    items_root: bytes
    gold_commitment: bytes
    operator: str
    bond: int
    post_by: int
    challenge_window: int
    claim_window: int

    def t(self) -> tuple[Any, ...]:
        return astuple(self)

    def hash(self) -> bytes:
        """keccak256(abi.encode(params)): what LabelCampaigns.paramsHash stores."""
        return keccak(encode(CAMPAIGN_TYPES, list(self.t())))

    @classmethod
    def from_values(cls, values: Sequence[Any]) -> Campaign:
        """From the struct as a log decodes it (a list in field order)."""
        if len(values) != len(CAMPAIGN_TYPES):
            raise InputError(f"A Campaign has {len(CAMPAIGN_TYPES)} fields, not {len(values)}.")
        r, cur, pool, items, gold, op, bond, post_by, challenge, claim = values

        def address(v: Any) -> str:
            return to_checksum_address(parse_address(str(v)))

        return cls(
            address(r), address(cur), int(pool), bytes(items), bytes(gold), address(op),
            int(bond), int(post_by), int(challenge), int(claim),
        )  # fmt: skip


def item_leaf(item: str) -> bytes:
    return keccak(b"\x00" + keccak(item.encode("utf-8")))


def items_root(items: Sequence[str]) -> bytes:
    """The items root of `items` (see the module notes); an id listed twice is refused."""
    if not items:
        raise InputError("The items list is empty: a campaign labels at least one item.")
    seen: set[str] = set()
    for item in items:
        if not item:
            raise InputError("An item id is empty.")
        if item in seen:
            raise InputError(f"Item {item!r} is listed twice.")
        seen.add(item)
    ordered = sorted(items, key=lambda i: i.encode("utf-8"))
    return merkle_root([item_leaf(i) for i in ordered])


def gold_opening(salt: bytes, gold_root: bytes) -> bytes:
    """keccak256(goldSalt || goldRoot): what a reveal must give (the goldCommitment)."""
    return keccak(bytes(salt) + bytes(gold_root))


def published_report(result_root: bytes, gold_root: bytes, body: bytes) -> bytes:
    """The report as published: the 64-byte header, then the JSON body."""
    return encode(["bytes32", "bytes32"], [bytes(result_root), bytes(gold_root)]) + body


def report_header(report: bytes) -> tuple[bytes, bytes]:
    """(resultRoot, goldRoot) named by a published report's header."""
    if len(report) < HEADER_SIZE:
        raise InputError(
            f"The report has {len(report)} bytes, less than its {HEADER_SIZE}-byte header "
            "abi.encode(resultRoot, goldRoot): it is not a published campaign report."
        )
    return bytes(report[:32]), bytes(report[32:HEADER_SIZE])
