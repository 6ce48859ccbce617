"""The rebuilt ledger against the chain: every view, every balance, conservation, trees."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from seedbed.chain.chainread import ChainReader
from seedbed.core.constants import ETH
from seedbed.core.treefile import ContributorTree
from seedbed.workflows.audit.findings import Findings
from seedbed.workflows.audit.ledger import Ledger


@dataclass
class Excess:
    """A contract holding more (or less) than its books say, to be explained."""

    role: str
    holder: str
    currency: str
    amount: int  # balance minus books; negative: short


def _compare(
    f: Findings,
    check: str,
    keys: list[Any],
    rebuilt: list[int],
    onchain: list[int | None],
    label: Callable[[Any], str],
    where: Callable[[Any], dict[str, Any]],
) -> None:
    for key, expected, found in zip(keys, rebuilt, onchain, strict=True):
        f.equal(
            check,
            expected,
            found,
            f"{label(key)} is {found} on chain but {expected} rebuilt from events.",
            **where(key),
        )


def check_views(
    ledger: Ledger,
    reader: ChainReader,
    addresses: dict[str, str],
    f: Findings,
    assets: set[int] | None = None,
) -> None:
    """Every on-chain view the ledger can predict, read at the audit block."""
    vault, meter, lic, reg = (addresses[r] for r in ("vault", "meter", "license", "registry"))

    def wanted(asset: int) -> bool:
        return assets is None or asset in assets

    pools = [k for k in ledger.pools if wanted(k[0])]
    _compare(
        f,
        "vault.accrued",
        pools,
        [ledger.pools[k].accrued for k in pools],
        reader.words(vault, "accrued(uint256,address)", pools),
        lambda k: f"vault.accrued(asset {k[0]}, {k[1]})",
        lambda k: {"asset": k[0], "currency": k[1]},
    )
    _compare(
        f,
        "vault.pendingUpstream",
        pools,
        [ledger.pools[k].pending for k in pools],
        reader.words(vault, "pendingUpstream(uint256,address)", pools),
        lambda k: f"vault.pendingUpstream(asset {k[0]}, {k[1]})",
        lambda k: {"asset": k[0], "currency": k[1]},
    )
    claimants = [k for k in ledger.claimants if wanted(k[0])]
    _compare(
        f,
        "vault.claimed",
        claimants,
        [ledger.claimants[k].claimed for k in claimants],
        reader.words(vault, "claimed(uint256,address,address)", claimants),
        lambda k: f"vault.claimed(asset {k[0]}, {k[1]}, {k[2]})",
        lambda k: {"asset": k[0], "currency": k[1], "account": k[2]},
    )
    currencies = sorted(ledger.books)
    for view, attr in (("held", "held"), ("fees", "fees")):
        _compare(
            f,
            f"vault.{view}",
            currencies,
            [getattr(ledger.books[c], attr) for c in currencies],
            reader.words(vault, f"{view}(address)", [[c] for c in currencies]),
            lambda c, v=view: f"vault.{v}({c})",  # type: ignore[misc]
            lambda c: {"currency": c},
        )
    escrows = sorted(ledger.escrows)
    _compare(
        f,
        "meter.escrowOf",
        escrows,
        [ledger.escrows[k].balance for k in escrows],
        reader.words(meter, "escrowOf(address,address)", escrows),
        lambda k: f"meter.escrowOf({k[0]}, {k[1]})",
        lambda k: {"account": k[0], "currency": k[1]},
    )
    escrow_currencies = sorted(ledger.escrow_total)
    _compare(
        f,
        "meter.totalEscrow",
        escrow_currencies,
        [ledger.escrow_total[c] for c in escrow_currencies],
        reader.words(meter, "totalEscrow(address)", [[c] for c in escrow_currencies]),
        lambda c: f"meter.totalEscrow({c})",
        lambda c: {"currency": c},
    )
    licenses = [i for i, x in ledger.licenses.items() if wanted(x.asset)]
    for i in licenses:  # the license contract's own count must agree with the settlements
        x = ledger.licenses[i]
        f.equal(
            "usage recorded = usage settled",
            x.units,
            x.recorded,
            f"License {i}: settlements total {x.units} units, the license recorded {x.recorded}.",
            asset=x.asset,
        )
    _compare(
        f,
        "license.unitsUsed",
        licenses,
        [ledger.licenses[i].units for i in licenses],
        reader.words(lic, "usageTerms(uint256)", [[i] for i in licenses], index=6),
        lambda i: f"license.usageTerms({i}).unitsUsed",
        lambda i: {"asset": ledger.licenses[i].asset},
    )
    ids = [i for i in ledger.assets if wanted(i)]
    roots = reader.words(reg, "contributors(uint256)", [[i] for i in ids], index=0)
    totals = reader.words(reg, "contributors(uint256)", [[i] for i in ids], index=1)
    for i, root, total in zip(ids, roots, totals, strict=True):
        a = ledger.assets[i]
        found = [None if root is None else "0x" + root.to_bytes(32, "big").hex(), total]
        f.equal(
            "registry.contributors",
            [a.contributors_root, a.total_weight],
            found,
            f"registry.contributors({i}) is {found} on chain but the AssetRegistered event "
            f"says {[a.contributors_root, a.total_weight]}.",
            asset=i,
        )


def check_balances(
    ledger: Ledger, reader: ChainReader, addresses: dict[str, str], f: Findings
) -> list[Excess]:
    """Each contract's balance in each currency seen against its books. Returns what needs
    explaining (balance != books for the vault or meter)."""
    currencies = sorted(ledger.currencies | set(ledger.books) | {ETH})
    owed: dict[str, Callable[[str], int]] = {
        "vault": lambda c: ledger.books[c].held if c in ledger.books else 0,
        "meter": lambda c: ledger.escrow_total.get(c, 0),
        "license": lambda c: 0,  # sale proceeds only pass through
        "registry": lambda c: 0,
    }
    pairs = [(role, c) for role in owed for c in currencies]
    balances = reader.balances([(addresses[r], c) for r, c in pairs])
    todo: list[Excess] = []
    for (role, cur), balance in zip(pairs, balances, strict=True):
        books = owed[role](cur)
        check = f"{role} balance = books"
        if balance is None:
            f.warn(check, f"The {role}'s balance of {cur} cannot be read.", currency=cur)
        elif balance == books:
            f.passed(check)
        elif role in ("vault", "meter"):
            todo.append(Excess(role, addresses[role], cur, balance - books))
            if balance < books:
                f.fail(
                    check,
                    f"The {role} holds {balance} of {cur}, less than the {books} its books owe.",
                    currency=cur,
                    expected=books,
                    found=balance,
                )
        else:
            f.warn(
                check,
                f"The {role} holds {balance - books} of {cur} that no event explains "
                "(sent to it directly?).",
                currency=cur,
                expected=books,
                found=balance,
            )
    return todo


def check_conservation(ledger: Ledger, f: Findings) -> None:
    """Per currency: all revenue paid in = accrued + pending upstream + fees, to the wei;
    and no pool paid out more than it accrued."""
    by_currency: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for (asset, cur), pool in ledger.pools.items():
        by_currency[cur][0] += pool.accrued
        by_currency[cur][1] += pool.pending
        if pool.claimed <= pool.accrued:
            f.passed("claims within accrued")
        else:
            f.fail(
                "claims within accrued",
                f"Asset {asset} paid out {pool.claimed} in claims but only accrued {pool.accrued}.",
                asset=asset,
                currency=cur,
                expected=pool.accrued,
                found=pool.claimed,
            )
    for cur, books in ledger.books.items():
        accrued, pending = by_currency[cur]
        f.equal(
            "conservation",
            books.paid,
            accrued + pending + books.fees_earned,
            f"{books.paid} was paid in but accrued {accrued} + pending {pending} + fees "
            f"{books.fees_earned} = {accrued + pending + books.fees_earned}.",
            currency=cur,
        )
    for (child, parent, cur), edge in ledger.edges.items():
        f.equal(
            "flows balance",
            edge.amount,
            edge.to_contributors + edge.to_upstream,
            f"The flow {child} -> {parent} moved {edge.amount} but credited "
            f"{edge.to_contributors + edge.to_upstream}.",
            asset=child,
            currency=cur,
        )


def check_trees(ledger: Ledger, trees: dict[int, ContributorTree], f: Findings) -> None:
    """A published tree must be the registered one, and every claim within its share."""
    for asset_id, tree in sorted(trees.items()):
        a = ledger.assets[asset_id]
        found = ["0x" + tree.root.hex(), tree.total]
        expected = [a.contributors_root, a.total_weight]
        if not f.equal(
            "tree matches registration",
            expected,
            found,
            f"The tree given for asset {asset_id} has root/total {found}, but the asset was "
            f"registered with {expected}.",
            asset=asset_id,
        ):
            continue
        for (aid, cur, account), c in ledger.claimants.items():
            if aid != asset_id:
                continue
            where = {"asset": aid, "currency": cur, "account": account}
            try:
                weight = tree.proof(account)[0]
            except Exception:
                f.fail(
                    "claimant in tree",
                    f"{account} claimed {c.claimed} from asset {aid} but is not in its tree.",
                    expected=0,
                    found=c.claimed,
                    **where,
                )
                continue
            f.equal(
                "claimant in tree",
                {weight},
                c.weights,
                f"{account} claimed from asset {aid} with weight {sorted(c.weights)}, the tree "
                f"gives {weight}.",
                **where,
            )
            entitled = ledger.pools[aid, cur].accrued * weight // tree.total
            if c.claimed <= entitled:
                f.passed("claim within tree entitlement")
            else:
                f.fail(
                    "claim within tree entitlement",
                    f"{account} claimed {c.claimed} from asset {aid}, above floor(accrued × "
                    f"{weight} / {tree.total}) = {entitled}.",
                    expected=entitled,
                    found=c.claimed,
                    **where,
                )


def entitlements(
    ledger: Ledger, trees: dict[int, ContributorTree]
) -> Iterable[tuple[int, str, str, int, int, int]]:
    """(asset, currency, account, weight, entitled, claimed) for every contributor known:
    every leaf of a given tree, else every account that claimed (with its proven weight)."""
    by_pool: dict[tuple[int, str], list[tuple[str, Any]]] = defaultdict(list)
    for (aid, cur, account), c in ledger.claimants.items():
        by_pool[aid, cur].append((account, c))
    for (aid, cur), pool in sorted(ledger.pools.items()):
        total = ledger.assets[aid].total_weight if aid in ledger.assets else 0
        if not total:
            continue
        tree = trees.get(aid)
        if tree is not None:
            claimed = {account: c.claimed for account, c in by_pool[aid, cur]}
            for raw, weight in tree.items():
                account = "0x" + raw.hex()
                entitled = pool.accrued * weight // total
                yield aid, cur, account, weight, entitled, claimed.get(account, 0)
        else:
            for account, c in by_pool[aid, cur]:
                yield aid, cur, account, c.weight, pool.accrued * c.weight // total, c.claimed
