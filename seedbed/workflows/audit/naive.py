"""The same event fetch through ape's generic path, for the benchmark's side-by-side.

One `contract.EventName.query("*", ...)` per event type and contract: ape decodes every log
into a ContractLog and builds a DataFrame. Returns the number of events fetched.
"""

from __future__ import annotations

from typing import Any


def fetch_naive(suite: Any, start_block: int, stop_block: int | None = None) -> int:
    count = 0
    contracts = [suite.registry, suite.vault, suite.license, suite.meter]
    if getattr(suite, "court", None) is not None:
        contracts.append(suite.court)
    for contract in contracts:
        for abi in contract.contract_type.events:
            frame = getattr(contract, abi.name).query(
                "*", start_block=start_block, stop_block=stop_block
            )
            count += len(frame)
    return count
