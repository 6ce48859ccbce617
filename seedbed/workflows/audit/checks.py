"""The rebuilt ledger against the chain: every view, every balance, conservation, trees."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from seedbed.chain.chainread import ChainReader, selector
from seedbed.core.constants import ETH
from seedbed.core.treefile import ContributorTree
from seedbed.workflows.audit.findings import Findings
from seedbed.workflows.audit.ledger import Ledger
from seedbed.workflows.audit.stranded import (
    check_shares,
    check_total,
    check_zero_claims,
    scan_tree,
    upstream_inflow,
)


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
    now: int | None = None,
) -> None:
    """Every on-chain view the ledger can predict, read at the audit block (`now` is its
    timestamp: a scheduled signer change is in force from its switchAt)."""
    vault, meter, reg = (addresses[r] for r in ("vault", "meter", "registry"))

    def wanted(asset: int) -> bool:
        return assets is None or asset in assets

    pools = [k for k in ledger.pools if wanted(k[0])]
    accrued = reader.words(vault, "accrued(uint256,address)", pools)
    _compare(
        f,
        "vault.accrued",
        pools,
        [ledger.pools[k].accrued for k in pools],
        accrued,
        lambda k: f"vault.accrued(asset {k[0]}, {k[1]})",
        lambda k: {"asset": k[0], "currency": k[1]},
    )
    pending = reader.words(vault, "pendingUpstream(uint256,address)", pools)
    _compare(
        f,
        "vault.pendingUpstream",
        pools,
        [ledger.pools[k].pending for k in pools],
        pending,
        lambda k: f"vault.pendingUpstream(asset {k[0]}, {k[1]})",
        lambda k: {"asset": k[0], "currency": k[1]},
    )
    claimants = [k for k in ledger.claimants if wanted(k[0])]
    claimed = reader.words(vault, "claimed(uint256,address,address)", claimants)
    _compare(
        f,
        "vault.claimed",
        claimants,
        [ledger.claimants[k].claimed for k in claimants],
        claimed,
        lambda k: f"vault.claimed(asset {k[0]}, {k[1]}, {k[2]})",
        lambda k: {"asset": k[0], "currency": k[1], "account": k[2]},
    )
    # Escrow: every (asset, currency) the events held aside, and every currency seen for an
    # asset ever held, so escrow the events never mentioned shows too.
    held_assets = {a for a in ledger.holds if wanted(a)}
    escrows = sorted(
        {k for k in ledger.escrow if wanted(k[0])}
        | {(a, c) for a in held_assets for c in ledger.currencies | set(ledger.books)}
    )
    escrowed = reader.words(vault, "escrowed(uint256,address)", escrows)
    _compare(
        f,
        "vault.escrowed",
        escrows,
        [ledger.escrow[k].held if k in ledger.escrow else 0 for k in escrows],
        escrowed,
        lambda k: f"vault.escrowed(asset {k[0]}, {k[1]})",
        lambda k: {"asset": k[0], "currency": k[1]},
    )
    currencies = sorted(ledger.books)
    views: dict[str, list[int | None]] = {}
    for view, attr in (("held", "held"), ("fees", "fees")):
        views[view] = reader.words(vault, f"{view}(address)", [[c] for c in currencies])
        _compare(
            f,
            f"vault.{view}",
            currencies,
            [getattr(ledger.books[c], attr) for c in currencies],
            views[view],
            lambda c, v=view: f"vault.{v}({c})",  # type: ignore[misc]
            lambda c: {"currency": c},
        )
    if assets is None:
        owed = _owed_on_chain(pools, accrued, pending, claimants, claimed, escrows, escrowed)
        _check_d1(currencies, views["held"], views["fees"], owed, f)
    check_meter_views(ledger, reader, meter, f, now)
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


def _owed_on_chain(
    pools: list[tuple[int, str]],
    accrued: list[int | None],
    pending: list[int | None],
    claimants: list[tuple[int, str, str]],
    claimed: list[int | None],
    escrows: list[tuple[int, str]],
    escrowed: list[int | None],
) -> dict[str, list[int] | None]:
    """Per currency, [Σ accrued − Σ claimed + Σ pending, Σ escrowed] as the vault's own views
    say (None when a view did not answer)."""
    out: dict[str, list[int] | None] = defaultdict(lambda: [0, 0])
    parts: tuple[tuple[list[Any], list[int | None], int, int], ...] = (
        (pools, accrued, 1, 0),
        (pools, pending, 1, 0),
        (claimants, claimed, -1, 0),
        (escrows, escrowed, 1, 1),
    )
    for keys, values, sign, slot in parts:
        for key, value in zip(keys, values, strict=True):
            cur: str = key[1]
            sums = out[cur]
            if sums is None:
                continue
            if value is None:
                out[cur] = None
            else:
                sums[slot] += sign * value
    return out


def _check_d1(
    currencies: list[str],
    held: list[int | None],
    fees: list[int | None],
    owed: dict[str, list[int] | None],
    f: Findings,
) -> None:
    """D1 on the vault's own views: held = fees + Σ pools (accrued − claimed + pending) +
    Σ escrowed, to the wei (docs/integrity.md §5.2)."""
    for cur, h, fee in zip(currencies, held, fees, strict=True):
        sums = owed.get(cur, [0, 0])
        if h is None or fee is None or sums is None:
            continue
        pools, escrow = sums
        f.equal(
            "vault books (D1)",
            h,
            fee + pools + escrow,
            f"vault.held({cur}) is {h}, but its fees {fee} + pools (accrued − claimed + "
            f"pending) {pools} + escrow {escrow} = {fee + pools + escrow}.",
            currency=cur,
        )


def _tuples(
    reader: ChainReader, address: str, signature: str, arg_lists: list[list[Any]], n: int
) -> list[list[int] | None]:
    """The first `n` words `signature` returns for each argument list (None: reverted)."""
    sel = selector(signature)
    out = reader.call_many([(address, sel + b"".join(map(_arg, a))) for a in arg_lists])
    return [
        None
        if r is None or len(r) < 32 * n
        else [int.from_bytes(r[32 * i : 32 * (i + 1)], "big") for i in range(n)]
        for r in out
    ]


def _arg(value: int | str) -> bytes:
    if isinstance(value, str):
        return bytes(12) + bytes.fromhex(value[2:])
    return value.to_bytes(32, "big")


ZERO = "0x" + "00" * 20


def _address(word: int) -> str:
    return "0x" + word.to_bytes(20, "big").hex()


def check_meter_views(
    ledger: Ledger, reader: ChainReader, meter: str, f: Findings, now: int | None
) -> None:
    """Every channel, every license's cached terms, what each asset is owed, each operator's
    earnings and the meter's totalHeld, against the rebuilt ledger. Never filtered by asset:
    the meter's books are global."""
    channels = sorted(ledger.channels.values(), key=lambda c: c.id)
    views = _tuples(
        reader,
        meter,
        "channel(uint256,address,address)",
        [[c.license, c.payer, c.operator] for c in channels],
        11,
    )
    for ch, view in zip(channels, views, strict=True):
        h = ledger.holders[ch.license, ch.payer]
        signer = (
            h.next_signer if h.switch_at and now is not None and now >= h.switch_at else h.signer
        )
        expected = [
            ch.reserve,
            ch.units,
            ch.unit_limit,
            signer,
            h.closes_at,
            h.held,
            ch.withdrawal,
            ch.ready_at,
            ch.window_end,
            h.next_signer if h.switch_at else ZERO,
            h.switch_at,
        ]
        found: list[Any] | None = None
        if view is not None:
            found = [
                *view[:3],
                _address(view[3]),
                view[4],
                bool(view[5]),
                *view[6:9],
                _address(view[9]),
                view[10],
            ]
            if now is None or (h.switch_at and abs(now - h.switch_at) <= 1):
                found[3] = expected[3]  # the block time is unknown: the signer is not compared
        f.equal(
            "meter.channel",
            expected,
            found,
            f"meter.channel({ch.license}, {ch.payer}, {ch.operator}) (reserve, units, limit, "
            f"signer, closesAt, held, withdrawal, readyAt, windowEnd) is {found} on chain "
            f"but {expected} rebuilt from events.",
            asset=ch.asset,
            account=ch.payer,
            currency=ch.currency,
        )
    metered = sorted(i for i, x in ledger.licenses.items() if x.metered)
    views = _tuples(reader, meter, "metered(uint256)", [[i] for i in metered], 7)
    for i, view in zip(metered, views, strict=True):
        x = ledger.licenses[i]
        expected = [x.currency, x.asset, x.service_bps, x.unit_price, x.max_units, x.allotted, True]
        found = None if view is None else [_address(view[0]), *view[1:6], bool(view[6])]
        f.equal(
            "meter.metered",
            expected,
            found,
            f"meter.metered({i}) (currency, asset, serviceBps, unitPrice, maxUnits, allotted, "
            f"opened) is {found} on chain but {expected} from the license's offer and events.",
            asset=x.asset,
            currency=x.currency,
        )
    owed = sorted(ledger.owed)
    _compare(
        f,
        "meter.owedToAsset",
        owed,
        [ledger.owed[k].due for k in owed],
        reader.words(meter, "owedToAsset(uint256,address)", owed),
        lambda k: f"meter.owedToAsset(asset {k[0]}, {k[1]})",
        lambda k: {"asset": k[0], "currency": k[1]},
    )
    earners = sorted(ledger.earnings)
    _compare(
        f,
        "meter.earningsOf",
        earners,
        [ledger.earnings[k].balance for k in earners],
        reader.words(meter, "earningsOf(address,address)", earners),
        lambda k: f"meter.earningsOf({k[0]}, {k[1]})",
        lambda k: {"account": k[0], "currency": k[1]},
    )
    currencies = sorted(ledger.meter_currencies())
    books = [sum(ledger.meter_books(c)) for c in currencies]
    _compare(
        f,
        "meter.totalHeld",
        currencies,
        books,
        reader.words(meter, "totalHeld(address)", [[c] for c in currencies]),
        lambda c: f"meter.totalHeld({c}) (Σ reserves + Σ owed + Σ earnings)",
        lambda c: {"currency": c},
    )


# role -> (contract, its books, what can move anything above them)
_HOLDERS = {
    "vault": (
        "RoyaltyVault",
        "held = {}",
        "nobody's revenue: only sweepExcess moves it, and only to the treasury",
    ),
    "meter": (
        "UsageMeter",
        "totalHeld = Σ reserves + Σ owed + Σ earnings = {}",
        "nobody's: only sweepExcess moves it, to the treasury, never touching what is owed",
    ),
    "license": (
        "LicenseToken",
        "it holds nothing between calls",
        "nobody's: sweep returns it to the treasury",
    ),
    "registry": (
        "AssetRegistry",
        "it holds nothing",
        "nobody's: sweep returns it to the treasury",
    ),
    "campaigns": (
        "LabelCampaigns",
        "Σ live pools not claimed + bonds held + credits not withdrawn = {}",
        "nobody's: LabelCampaigns has no sweep, so it stays there",
    ),
    "court": (
        "AssetCourt",
        "totalDeposits = live bonds and ruling fees + withdrawable deposits = {}",
        "nobody's: sweepExcess returns it to the treasury, never touching the deposits",
    ),
}


def check_balances(
    ledger: Ledger, reader: ChainReader, addresses: dict[str, str], f: Findings
) -> list[Excess]:
    """Each contract's balance in each currency seen against its books: short is a failure,
    and so is more (stranded: nobody's, sent outside the protocol's functions). Returns what
    each contract's transfers must explain (balance != books)."""
    currencies = sorted(
        ledger.currencies
        | set(ledger.books)
        | ledger.meter_currencies()
        | ledger.campaign_book.currencies()
        | {ETH}
    )
    owed: dict[str, Callable[[str], int]] = {
        "vault": lambda c: ledger.books[c].held if c in ledger.books else 0,
        "meter": lambda c: sum(ledger.meter_books(c)),  # Σ reserves + Σ owed + Σ earnings
        "license": lambda c: 0,  # sale proceeds only pass through
        "registry": lambda c: 0,
        "court": lambda c: ledger.court_book if c == ETH else 0,  # it holds ETH bonds only
        "campaigns": ledger.campaign_book.held,  # live pools and bonds + open credits
    }
    pairs = [(role, c) for role in owed if role in addresses for c in currencies]
    balances = reader.balances([(addresses[r], c) for r, c in pairs])
    todo: list[Excess] = []
    for (role, cur), balance in zip(pairs, balances, strict=True):
        books = owed[role](cur)
        check = f"{role} balance = books"
        name, book = _HOLDERS[role][0], _HOLDERS[role][1].format(books)
        where = {"currency": cur, "account": addresses[role], "expected": books, "found": balance}
        if balance is None:
            f.warn(check, f"The {name}'s balance of {cur} cannot be read.", currency=cur)
            continue
        if balance == books:
            f.passed(check)
            continue
        todo.append(Excess(role, addresses[role], cur, balance - books))
        if balance < books:
            f.fail(
                check,
                f"The {name} holds {balance} of {cur}, less than its books ({book}).",
                **where,
            )
        else:
            f.fail(check, _stranded(role, addresses[role], cur, balance - books, books), **where)
    return todo


def _stranded(role: str, holder: str, currency: str, amount: int, books: int) -> str:
    name, book, recovery = _HOLDERS[role]
    return (
        f"Stranded: sent outside the protocol's functions: the {name} ({holder}) holds "
        f"{amount} of {currency} above its books ({book.format(books)}); {recovery}."
    )


def check_conservation(ledger: Ledger, f: Findings) -> None:
    """Per currency: all revenue paid in = accrued + pending upstream + fees + escrow, to the
    wei (fees include what upheld disputes forfeited to the fee book: D1); and no pool paid
    out more than it accrued."""
    by_currency: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    escrow: dict[str, int] = defaultdict(int)
    for (_asset, cur), e in ledger.escrow.items():
        escrow[cur] += e.held
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
        fees = books.fees_earned + books.forfeited
        held = escrow.get(cur, 0)
        total = accrued + pending + fees + held
        forfeited = f" (with {books.forfeited} forfeited by disputes)" if books.forfeited else ""
        escrowed = f" + escrow {held}" if held or ledger.escrow else ""
        f.equal(
            "conservation",
            books.paid,
            total,
            f"{books.paid} was paid in but accrued {accrued} + pending {pending} + fees "
            f"{fees}{forfeited}{escrowed} = {total}.",
            currency=cur,
        )
    for (child, parent, cur), edge in ledger.edges.items():
        credited = edge.to_contributors + edge.to_upstream + edge.diverted
        why = f" (with {edge.diverted} diverted by a dispute on {parent})" if edge.diverted else ""
        f.equal(
            "flows balance",
            edge.amount,
            credited,
            f"The flow {child} -> {parent} moved {edge.amount} but credited {credited}{why}.",
            asset=child,
            currency=cur,
        )


def check_trees(ledger: Ledger, trees: dict[int, ContributorTree], f: Findings) -> None:
    """A published tree must be the registered one, every claim within its share, and every
    share claimable (stranded.py: the registered total, zero-address and repeated
    contributors, dust)."""
    inflow = upstream_inflow(ledger) if trees else {}
    scanned: set[int] = set()
    for asset_id, tree in sorted(trees.items()):
        if not _registered_tree(ledger, asset_id, tree, f):
            continue
        if not check_total(ledger, asset_id, tree, inflow, f):
            continue  # nothing can be claimed: the claims and shares below say nothing more
        shares = scan_tree(ledger, asset_id, tree)
        _check_claimants(ledger, asset_id, tree, shares.duplicates, f)
        check_shares(ledger, asset_id, shares, f)
        scanned.add(asset_id)
    check_zero_claims(ledger, scanned, f)


def _registered_tree(ledger: Ledger, asset_id: int, tree: ContributorTree, f: Findings) -> bool:
    """The tree's root is the registered contributorsRoot (else it is another tree)."""
    a = ledger.assets[asset_id]
    found = ["0x" + tree.root.hex(), tree.total]
    expected = [a.contributors_root, a.total_weight]
    if found[0] == expected[0]:
        f.passed("tree matches registration")
        return True
    f.fail(
        "tree matches registration",
        f"The tree given for asset {asset_id} has root/total {found}, but the asset was "
        f"registered with {expected}: the root differs, so it is not this asset's tree (wrong "
        "file?) and its claims and shares were not checked.",
        asset=asset_id,
        expected=expected,
        found=found,
    )
    return False


def _check_claimants(
    ledger: Ledger,
    asset_id: int,
    tree: ContributorTree,
    duplicates: dict[str, list[int]],
    f: Findings,
) -> None:
    """Every account that claimed is in the tree, with a weight it has there, and within
    floor(accrued × weight / total)."""
    for (aid, cur, account), c in ledger.claimants.items():
        if aid != asset_id:
            continue
        where = {"asset": aid, "currency": cur, "account": account}
        try:
            weights = duplicates.get(account) or [tree.proof(account)[0]]
        except Exception:
            f.fail(
                "claimant in tree",
                f"{account} claimed {c.claimed} from asset {aid} but is not in its tree.",
                expected=0,
                found=c.claimed,
                **where,
            )
            continue
        if not c.weights <= set(weights):
            f.fail(
                "claimant in tree",
                f"{account} claimed from asset {aid} with weight {sorted(c.weights)}, the tree "
                f"gives {sorted(weights)}.",
                expected=set(weights),
                found=c.weights,
                **where,
            )
        else:
            f.passed("claimant in tree")
        weight = max(weights)
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
                # a repeated address is paid once: its claims count against its first leaf
                yield aid, cur, account, weight, entitled, claimed.pop(account, 0)
        else:
            for account, c in by_pool[aid, cur]:
                yield aid, cur, account, c.weight, pool.accrued * c.weight // total, c.claimed
