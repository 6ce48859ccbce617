"""What issue 15 added to the audit (docs/integrity.md §3), against the chain.

- Registration: a registry with MIN_COMMIT_AGE 0 on a chain other than the local 31337 lets
  anyone who sees a registration pending register the same content first: a failure.
- Lineage: the floor the ledger rebuilt for each asset (L3, from the events) against the
  registry's `floorBps`.
- Claims that always fail: for the trees given, every contributor that is a contract and is
  owed something has its `claim` simulated (eth_call, from no particular account); a
  `RoyaltyVaultTransferFailed` revert means the contract does not accept the currency, so it
  must use `claimTo`. Bounded to MAX_CLAIM_SIMULATIONS contributors, the rest counted. Without
  a tree, a batch claim that failed (ClaimFailed) with no success since is the same warning.
- Sweeps: what was sent to a contract by mistake went to the treasury the contracts name.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode

from seedbed.chain.chainread import selector
from seedbed.chain.rpc import Rpc, RpcError
from seedbed.core.constants import ETH
from seedbed.core.treefile import ContributorTree
from seedbed.workflows.audit.checks import entitlements
from seedbed.workflows.audit.findings import Findings
from seedbed.workflows.audit.ledger import Ledger

LOCAL_CHAIN_ID = 31337  # anvil's: the only chain where commitments may be off (deploy.py)
MAX_CLAIM_SIMULATIONS = 10_000  # contributors whose code is read (and claims simulated) per run
ZERO = ETH

_CLAIM = selector("claim(uint256,address,address,uint96,(bytes32,uint256)[])")
_CLAIM_TYPES = ["uint256", "address", "address", "uint96", "(bytes32,uint256)[]"]
_TRANSFER_FAILED = selector("RoyaltyVaultTransferFailed(address,address,uint256)")
_NOTHING_TO_CLAIM = selector("RoyaltyVaultNothingToClaim(uint256,address,address)")

FAILING_CLAIM = "claims that always fail"


class WordReader(Protocol):
    """What the checks read views with (ChainReader; a fake in unit tests)."""

    def words(
        self, address: str, signature: str, arg_lists: Sequence[Sequence[Any]], index: int = 0
    ) -> list[int | None]: ...


@dataclass
class Registration:
    """The registry's commitment windows, as read at the audit block (None: unreadable)."""

    chain_id: int
    min_commit_age: int | None
    max_commit_age: int | None


def check_commit_age(reader: WordReader, registry: str, chain_id: int, f: Findings) -> Registration:
    """MIN_COMMIT_AGE 0 (commitments off) is allowed on the local chain only."""
    check = "registrations need a commitment"
    min_age = reader.words(registry, "MIN_COMMIT_AGE()", [[]])[0]
    max_age = reader.words(registry, "MAX_COMMIT_AGE()", [[]])[0]
    out = Registration(chain_id, min_age, max_age)
    if chain_id == LOCAL_CHAIN_ID:
        f.passed(check)  # anvil: commitments may be off, nobody front-runs a local chain
    elif min_age is None:
        f.warn(
            check,
            f"The registry {registry} on chain {chain_id} does not answer MIN_COMMIT_AGE(): "
            "whether registrations can be front-run is unknown.",
            account=registry,
        )
    elif min_age == 0:
        f.fail(
            check,
            f"The registry {registry} on chain {chain_id} has MIN_COMMIT_AGE 0: registrations "
            "can be front-run/squatted (anyone who sees one pending can register the same "
            f"content first); commitments may be off only on the local chain {LOCAL_CHAIN_ID}.",
            account=registry,
            expected="> 0",
            found=0,
        )
    else:
        f.passed(check)
    return out


def check_floors(
    ledger: Ledger, reader: WordReader, registry: str, f: Findings, assets: set[int] | None
) -> None:
    """Each asset's floor rebuilt from the events (L3) equals the registry's floorBps
    (AssetView word 9: owner, kind, contentRoot, contributorsRoot, totalWeight, upstreamBps,
    parentCount, createdAt, delisted, floorBps, commitLag)."""
    ids = sorted(i for i in ledger.assets if assets is None or i in assets)
    views = reader.words(registry, "asset(uint256)", [[i] for i in ids], index=9)
    for i, found in zip(ids, views, strict=True):
        expected = ledger.assets[i].floor_bps
        if found == expected:
            f.passed("registry.floorBps")
            continue
        f.fail(
            "registry.floorBps",
            f"registry.asset({i}).floorBps is {found} on chain but {expected} rebuilt from "
            "the registrations' shares, licenses and parents' floors.",
            asset=i,
            expected=expected,
            found=found,
        )


def check_sweeps(
    ledger: Ledger, reader: WordReader, addresses: dict[str, str], f: Findings, suite_vault: bool
) -> None:
    """Every sweep went to the treasury: the registry's TREASURY() for its own and the
    court's (it reads REGISTRY.TREASURY()), the vault's for the vault, the meter and the
    license token (they read VAULT.TREASURY())."""
    if not ledger.sweeps:
        return
    vault_t = reader.words(addresses["vault"], "TREASURY()", [[]])[0]
    registry_t = reader.words(addresses["registry"], "TREASURY()", [[]])[0]
    for (role, cur), sweep in sorted(ledger.sweeps.items()):
        if role in ("meter", "license") and not suite_vault:
            continue  # they pay the suite vault's treasury, not the audited vault's
        word = registry_t if role in ("registry", "court") else vault_t
        expected = None if word is None else "0x" + word.to_bytes(20, "big").hex()
        for treasury in sweep.treasuries:
            f.equal(
                "sweeps go to the treasury",
                expected,
                treasury,
                f"The {role} swept {cur} to {treasury}, but its treasury is {expected}.",
                account=addresses[role],
                currency=cur,
            )


# -- claims that always fail ---------------------------------------------------------------------


def check_claims(
    ledger: Ledger,
    trees: dict[int, ContributorTree],
    rpc: Rpc,
    block: int,
    vault: str,
    f: Findings,
    limit: int = MAX_CLAIM_SIMULATIONS,
) -> set[tuple[int, str, str]]:
    """Simulate `claim` for every contributor of a given tree that is a contract (it has
    code, EIP-7702 delegations included) and is owed something; returns the (asset,
    currency, account) whose claim always fails."""
    usable = {
        aid: tree
        for aid, tree in trees.items()
        if aid in ledger.assets and "0x" + tree.root.hex() == ledger.assets[aid].contributors_root
    }
    owed: dict[tuple[int, str], dict[str, int]] = defaultdict(dict)
    for aid, cur, account, _weight, entitled, claimed in entitlements(ledger, usable):
        if aid in usable and account != ZERO and entitled > claimed:
            owed[aid, account].setdefault(cur, entitled - claimed)
    leaves = sorted(owed)
    checked, skipped = leaves[:limit], leaves[limit:]
    at = hex(block)
    codes = rpc.batch([("eth_getCode", [account, at]) for _aid, account in checked])
    contracts = [
        key
        for key, code in zip(checked, codes, strict=True)
        if isinstance(code, str) and code not in ("0x", "0x0", "")
    ]
    calls: list[tuple[tuple[int, str, str, int], tuple[str, list[Any]]]] = []
    for aid, account in contracts:
        weight, proof = usable[aid].proof(account)
        nodes = [(bytes(h), int(s)) for h, s in proof]
        for cur, amount in sorted(owed[aid, account].items()):
            data = _CLAIM + abi_encode(_CLAIM_TYPES, [aid, cur, account, weight, nodes])
            call = {"to": vault, "data": "0x" + data.hex()}
            calls.append(((aid, cur, account, amount), ("eth_call", [call, at])))
    failing: set[tuple[int, str, str]] = set()
    replies = rpc.batch([request for _key, request in calls])
    for (aid, cur, account, amount), reply in zip((key for key, _ in calls), replies, strict=True):
        where = {"asset": aid, "account": account, "currency": cur}
        if not isinstance(reply, RpcError):
            f.passed(FAILING_CLAIM)
            continue
        data = _revert_bytes(reply)
        if data[:4] == _TRANSFER_FAILED:
            sent = int(abi_decode(["address", "address", "uint256"], data[4:])[2])
            failing.add((aid, cur, account))
            f.warn(
                FAILING_CLAIM,
                f"{account}, a contract contributor of asset {aid}, is owed {sent} of {cur}, "
                "but its claim always fails: the vault's transfer to it reverts "
                "(RoyaltyVaultTransferFailed), so it must use claimTo (claimToSigned for an "
                "ERC-1271 wallet) to be paid at another address.",
                expected=0,
                found=sent,
                **where,
            )
        elif data[:4] == _NOTHING_TO_CLAIM:
            f.passed(FAILING_CLAIM)  # owed nothing at this block after all
        else:
            f.warn(
                "claim simulation",
                f"A simulated claim of {amount} of {cur} for {account} from asset {aid} "
                f"reverted: {reply.message} (data 0x{data.hex()[:136]}).",
                expected=0,
                found=amount,
                **where,
            )
    if skipped:
        first_asset, first_account = skipped[0]
        f.warn(
            FAILING_CLAIM,
            f"{len(skipped)} of the {len(leaves)} contributors owed something in the trees "
            f"given were not checked for a claim that always fails: the audit reads at most "
            f"{limit} (by asset, then address); the first skipped is {first_account} of asset "
            f"{first_asset}.",
            expected=0,
            found=len(skipped),
        )
    return failing


def check_failed_claims(
    ledger: Ledger, reported: set[tuple[int, str, str]], f: Findings, assets: set[int] | None
) -> None:
    """Without a tree (or beyond what was simulated): a batch claim whose transfer failed
    (ClaimFailed), and no claim of that account has succeeded since."""
    for (aid, cur, account), failed in sorted(ledger.failed_claims.items()):
        if (aid, cur, account) in reported or (assets is not None and aid not in assets):
            continue
        times = f", {failed.failures} times" if failed.failures > 1 else ""
        f.warn(
            FAILING_CLAIM,
            f"A batch claim of {failed.amount} of {cur} for {account} from asset {aid} failed "
            f"(ClaimFailed: the transfer to it reverted{times}) and none has succeeded since: "
            "if it cannot receive the currency, it must use claimTo.",
            asset=aid,
            account=account,
            currency=cur,
            expected=0,
            found=failed.amount,
        )


def _revert_bytes(err: RpcError) -> bytes:
    """The revert data of an eth_call error (nodes put it in `data`, some nested)."""
    data: Any = err.data
    if isinstance(data, dict):
        data = data.get("data") or data.get("result")
    if isinstance(data, bytes | bytearray):
        return bytes(data)
    if isinstance(data, str) and data.startswith("0x"):
        try:
            return bytes.fromhex(data[2:])
        except ValueError:
            return b""
    return b""
