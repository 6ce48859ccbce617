"""Private data against the chain, and who received which dataset key.

No money moves through PrivateData, so nothing here touches the books or the conservation
checks. The ledger checks each event against the contract's rules (ledger.py, "private
data"); here the contract's views are compared with what the events rebuilt:

- `sealOf(asset)` of every registered asset: the Sealed event's roots, or zero when none.
- `isGranter(asset, granter)` of every key service ever named: true exactly when the asset's
  owner now named it and has not removed it (a granter serves the owner who named it).

The report lists the seals and every key grant (report.seal_rows, report.grant_rows).
"""

from __future__ import annotations

from seedbed.chain.chainread import selector
from seedbed.workflows.audit.court import Reader
from seedbed.workflows.audit.findings import Findings
from seedbed.workflows.audit.ledger import Ledger


def check_private(
    ledger: Ledger, reader: Reader, private: str, f: Findings, assets: set[int] | None
) -> None:
    """The contract's seals and key services against its events."""
    ids = sorted(a for a in ledger.assets if assets is None or a in assets)
    sel = selector("sealOf(uint256)")
    replies = reader.call_many([(private, sel + i.to_bytes(32, "big")) for i in ids])
    for asset_id, reply in zip(ids, replies, strict=True):
        s = ledger.seals.get(asset_id)
        expected = [int(s.seal_root, 16), int(s.key_check, 16)] if s else [0, 0]
        found = None
        if reply is not None and len(reply) >= 64:
            found = [int.from_bytes(reply[:32], "big"), int.from_bytes(reply[32:64], "big")]
        if expected == found:
            f.passed("private.sealOf")
            continue
        f.fail(
            "private.sealOf",
            f"private.sealOf({asset_id}) is {_hex(found)} on chain but {_hex(expected)} "
            "rebuilt from Sealed events.",
            asset=asset_id,
            expected=_hex(expected),
            found=_hex(found),
        )
    named = sorted(
        (asset_id, granter)
        for asset_id, _owner, granter in ledger.granters
        if assets is None or asset_id in assets
    )
    named = list(dict.fromkeys(named))
    answers = reader.words(private, "isGranter(uint256,address)", [list(k) for k in named])
    for (asset_id, granter), answer in zip(named, answers, strict=True):
        owner = ledger.assets[asset_id].owner if asset_id in ledger.assets else ""
        g = ledger.granters.get((asset_id, owner, granter))
        want = granter == owner or (g is not None and g.allowed)
        f.equal(
            "private.isGranter",
            int(want),
            answer,
            f"private.isGranter({asset_id}, {granter}) is {answer} on chain but {int(want)} "
            f"rebuilt from GranterChanged events (owner now {owner}).",
            asset=asset_id,
            account=granter,
        )


def _hex(words: list[int] | None) -> str:
    if words is None:
        return "unreadable"
    return "(" + ", ".join("0x" + w.to_bytes(32, "big").hex() for w in words) + ")"
