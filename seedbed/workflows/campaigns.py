"""Labeling campaigns on the suite's LabelCampaigns (`Suite.campaigns`): what `ape run campaign`
does, from creating a campaign to its claims, disputes and end.

Only a hash of a campaign's parameters is on chain. `campaign_of` recovers them from the
campaign's CampaignCreated log and checks they hash to `paramsHash(id)`, so a user only ever
names a campaign by its id; its gold reveal, standing result, dispute and claims are read from
its logs the same way. Every step first checks here the rules the contract will apply (the
status, the windows, who may send it, what is owed) and says in one sentence what the campaign
waits for; then `send` simulates it (a revert comes back decoded), checks the funds and the
gas, and only then sends it. A step already done (a result posted, accounts claimed) is not
sent again, so a re-run after a crash resumes.

Files: `post` reads the folder `ape run labels score` wrote (contributors.sbtree,
quality-report.json) and writes the report to publish beside them, PUBLISHED_REPORT:
abi.encode(resultRoot, goldRoot) || quality-report.json, whose keccak256 is the posted
reportHash. The items root and the other encodings: seedbed.core.campaigns.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seedbed.chain.client import Suite
from seedbed.core.campaigns import (
    DISPUTED,
    FINISHED,
    OPEN,
    POSTED,
    STATUS_NAMES,
    Campaign,
    gold_opening,
    items_root,
    published_report,
    report_header,
)
from seedbed.core.constants import CAMPAIGN_MAX_BATCH, CAMPAIGN_MAX_WINDOW
from seedbed.core.errors import ChainError, InputError
from seedbed.core.keccak import keccak
from seedbed.core.labels import read_task_items
from seedbed.core.labels.model import gold_sha256
from seedbed.core.treefile import ContributorTree
from seedbed.workflows.disputes.facts import checksum, now_of, ruling_fee, same, send, until
from seedbed.workflows.lifecycle import QUALITY_REPORT, TREE_FILE, read_gold
from seedbed.workflows.royalties import (
    Currency,
    currency_of,
    ensure_allowance,
    proof_args,
    require_balance,
)

COMMAND = "ape run campaign"
PUBLISHED_REPORT = "published-report.bin"
MAX_POOL, MAX_BOND = 2**112 - 1, 2**96 - 1
MAX_REPORT = 64 << 20  # bytes read from a report file or URL
ZERO32 = bytes(32)
SHOWN = 20  # claims listed by `status` (--json lists every one)
Say = Callable[[str], None]


# -- inputs -----------------------------------------------------------------------------------


def read_items(path: Path, item_key: str | None = None) -> list[str]:
    """The item ids of an items file: a Label Studio export (its tasks' ids, or data[KEY]),
    or text with one id a line (blank lines skipped)."""
    try:
        raw = path.read_bytes()
    except IsADirectoryError:
        raise InputError(f"--items {path} is a folder, not a file.") from None
    except OSError as err:
        raise InputError(f"Cannot read --items {path}: {err.strerror or err}.") from err
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InputError(f"--items {path} is not UTF-8 text (byte {err.start}).") from err
    if text.lstrip()[:1] in ("[", "{"):
        items = read_task_items(text.encode(), item_key=item_key)
    elif item_key is not None:
        raise InputError("--item-key is for a Label Studio export; --items is a list of ids.")
    else:
        items = [line.strip() for line in text.splitlines() if line.strip()]
    if not items:
        raise InputError(f"--items {path} lists no item.")
    return items


def items_root_of(path: Path, item_key: str | None = None) -> tuple[bytes, int]:
    """(the items root, how many items) of an items file."""
    items = read_items(path, item_key)
    try:
        return items_root(items), len(items)
    except InputError as err:
        raise InputError(f"--items {path}: {err.message}") from None


def commitment_of(text: str) -> bytes:
    """A gold commitment: 0x and 64 hex digits, or the file `labels commit --json` printed."""
    cleaned = text.strip()
    if cleaned.startswith("0x") and len(cleaned) == 66:
        try:
            value = bytes.fromhex(cleaned[2:])
        except ValueError:
            raise InputError(f"--gold-commitment {text!r} is not 32 bytes of hex.") from None
    else:
        path = Path(cleaned)
        try:
            found = json.loads(path.read_bytes()).get("commitment", "")
            value = bytes.fromhex(str(found).removeprefix("0x"))
        except (OSError, ValueError, AttributeError) as err:
            raise InputError(
                f"--gold-commitment {text!r} is neither 0x and 64 hex digits nor a JSON file "
                f"of `ape run labels commit --json` ({err})."
            ) from None
    if len(value) != 32 or not any(value):
        raise InputError(f"--gold-commitment {text!r} is not a non-zero 32-byte commitment.")
    return value


def gold_root_of(gold: Path, salt: bytes | None, commitment: bytes) -> bytes:
    """The gold root of a gold file (sha256 of its canonical JSON), opening `commitment`
    with `salt` (checked here, so a wrong reveal is never sent)."""
    if salt is None:
        raise InputError("--gold goes with --salt (from `ape run labels commit`).")
    root = gold_sha256(read_gold(gold))
    opened = gold_opening(salt, root)
    if opened != commitment:
        raise InputError(
            f"The gold {gold} and the salt give 0x{opened.hex()}, not the campaign's gold "
            f"commitment 0x{commitment.hex()}: another gold file or salt."
        )
    return root


def read_report(source: str) -> bytes:
    """A published report's bytes, from a file or an http(s) URL."""
    if source.startswith(("http://", "https://")):
        import httpx

        try:
            with httpx.stream("GET", source, follow_redirects=True, timeout=30) as response:
                response.raise_for_status()
                got = bytearray()
                for chunk in response.iter_bytes():
                    got += chunk
                    if len(got) > MAX_REPORT:
                        raise InputError(f"The report at {source} is over {MAX_REPORT} bytes.")
                return bytes(got)
        except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError) as err:
            raise InputError(f"Cannot download the report {source}: {err}.") from None
    try:
        with open(source, "rb") as f:
            data = f.read(MAX_REPORT + 1)
    except OSError as err:
        raise InputError(f"Cannot read the report {source}: {err.strerror or err}.") from None
    if len(data) > MAX_REPORT:
        raise InputError(f"The report {source} is over {MAX_REPORT} bytes.")
    return data


def load_tree(path: Path) -> ContributorTree:
    if not path.is_file():
        raise InputError(
            f"No contributors tree at {path}: give the {TREE_FILE} `ape run labels score` wrote."
        )
    return ContributorTree.load(path)


# -- a campaign, read back ---------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    """A posted result, as its ResultPosted log tells it."""

    root: bytes
    total: int
    report_hash: bytes
    gold_root: bytes
    gold_salt: bytes
    bond: int
    tx: str


@dataclass(frozen=True)
class ClaimRow:
    account: str
    amount: int
    weight: int
    to: str


@dataclass
class Info:
    """A campaign: its parameters (from its CampaignCreated log), its state, and its logs."""

    id: int
    params: Campaign
    currency: Currency
    status: int
    opens_at: int  # claims open after it (0 while open)
    bond_held: int
    remaining: int
    gold: tuple[bytes, bytes] | None  # (salt, root) revealed, by revealGold or with a post
    gold_locked: bool  # revealed by revealGold: every post must carry that root
    result: Result | None  # the latest post: the standing one while posted or disputed
    case_id: int = 0  # the latest dispute's case at the arbiter
    claimant: str = ""
    disputed_block: int = 0
    claims: list[ClaimRow] = field(default_factory=list)

    @property
    def status_name(self) -> str:
        return STATUS_NAMES.get(self.status, str(self.status))

    @property
    def claims_close(self) -> int:
        """The last second of the claim window (0 while no result stands)."""
        return self.opens_at + self.params.claim_window if self.opens_at else 0

    @property
    def claimed(self) -> int:
        return sum(c.amount for c in self.claims)

    def share(self, weight: int) -> int:
        assert self.result is not None
        return self.params.pool * weight // self.result.total


def _logs(suite: Suite, chain: Any, event: str, **topics: Any) -> list[Any]:
    start = int(suite.record.get("block", 0) or 0)
    handler = getattr(suite.campaigns, event)
    return list(handler.range(start, int(chain.blocks.height) + 1, search_topics=topics))


def campaign_of(suite: Suite, chain: Any, cid: int) -> Info:
    """Campaign `cid` with its parameters checked against the stored hash."""
    c = suite.campaigns
    count = int(c.campaignCount())
    if not 0 < cid <= count:
        raise ChainError(
            f"Campaign {cid} does not exist on chain {suite.chain_id} ({count} created so far)."
        )
    created = _logs(suite, chain, "CampaignCreated", id=cid)
    if not created:
        raise ChainError(
            f"The node returns no CampaignCreated log of campaign {cid}: its parameters are "
            "only in that log (use a node that keeps logs)."
        )
    params = Campaign.from_values(created[0].params)
    stored = bytes(c.paramsHash(cid))
    if params.hash() != stored:
        raise ChainError(
            f"Campaign {cid}'s logged parameters hash to 0x{params.hash().hex()}, not the "
            f"stored 0x{stored.hex()}: the node's logs are wrong."
        )
    s = c.state(cid)
    info = Info(
        cid, params, currency_of(chain, params.currency), int(s.status), int(s.opensAt),
        int(s.bond), int(s.remaining), None, False, None,
    )  # fmt: skip
    revealed = _logs(suite, chain, "GoldRevealed", id=cid)
    posts = _logs(suite, chain, "ResultPosted", id=cid)
    if revealed:
        info.gold = (bytes(revealed[0].goldSalt), bytes(revealed[0].goldRoot))
        info.gold_locked = True
    for log in posts:
        if any(bytes(log.goldSalt)):
            info.gold = (bytes(log.goldSalt), bytes(log.goldRoot))
    if posts:
        p = posts[-1]
        info.result = Result(
            bytes(p.resultRoot), int(p.totalWeight), bytes(p.reportHash), bytes(p.goldRoot),
            bytes(p.goldSalt), int(p.bond), str(p.transaction_hash),
        )  # fmt: skip
    disputes = _logs(suite, chain, "ResultDisputed", id=cid)
    if disputes:
        d = disputes[-1]
        info.case_id, info.claimant = int(d.caseId), checksum(d.claimant)
        info.disputed_block = int(d.block_number)
    to = {
        checksum(log.account): checksum(log.to) for log in _logs(suite, chain, "ClaimedTo", id=cid)
    }
    for log in _logs(suite, chain, "Claimed", id=cid):
        who = checksum(log.account)
        info.claims.append(ClaimRow(who, int(log.amount), int(log.weight), to.get(who, who)))
    return info


def case_text(case_id: int) -> str:
    """A dispute's case at the arbiter (round << 128 | id), for people."""
    return f"case {case_id:#x} (round {case_id >> 128})"


def _status_error(info: Info, need: int, done: str) -> ChainError:
    """One sentence on why campaign `info` cannot be `done` now (it is not in status `need`)."""
    cid, where = info.id, f"see `{COMMAND} status {info.id}`"
    if info.status == FINISHED:
        return ChainError(f"Campaign {cid} is finished: it cannot be {done} any more.")
    if info.status == DISPUTED:
        return ChainError(
            f"Campaign {cid}'s result is at the arbiter ({case_text(info.case_id)}): it cannot be "
            f"{done} before the ruling; {where}."
        )
    if info.status == OPEN:
        return ChainError(f"Campaign {cid} has no result standing: it cannot be {done}; {where}.")
    return ChainError(
        f"Campaign {cid} is {info.status_name}, not {STATUS_NAMES[need]}: it cannot be {done} "
        f"now; {where}."
    )


def _require(info: Info, need: int, done: str) -> None:
    if info.status != need:
        raise _status_error(info, need, done)


def _in_challenge_window(info: Info, chain: Any, done: str) -> None:
    _require(info, POSTED, done)
    now = now_of(chain)
    if now > info.opens_at:
        raise ChainError(
            f"Campaign {info.id}'s challenge window ended at {until(info.opens_at, now)}: the "
            f"result stands and can no longer be {done}."
        )


def _in_claim_window(info: Info, chain: Any) -> None:
    _require(info, POSTED, "claimed from")
    now = now_of(chain)
    if now <= info.opens_at:
        raise ChainError(
            f"Campaign {info.id}'s claims open after its challenge window, at "
            f"{until(info.opens_at + 1, now)}."
        )
    if now > info.claims_close:
        raise ChainError(
            f"Campaign {info.id}'s claim window ended at {until(info.claims_close, now)}: the "
            f"rest goes back to the requester (`{COMMAND} finish {info.id}`)."
        )


def _tree_of(info: Info, path: Path) -> ContributorTree:
    """The result's tree: `path` must hold the posted root and total."""
    tree = load_tree(path)
    r = info.result
    if r is None or (tree.root, tree.total) != (r.root, r.total):
        posted = "no result" if r is None else f"root 0x{r.root.hex()[:16]}… (total {r.total})"
        tree.close()
        raise InputError(
            f"Wrong tree for campaign {info.id}: {path} has root 0x{tree.root.hex()[:16]}… "
            f"(total {tree.total}); the campaign's posted result is {posted}."
        )
    return tree


def _pay(
    suite: Suite, cur: Currency, account: Any, amount: int, what: str, approve: bool, say: Say
) -> int:
    """Check `account` holds `amount` of the currency (approved, for an ERC-20): the ETH
    value to send with the call."""
    require_balance(cur, account, amount, f"{{who}} has {{has}}; {what} needs {{needed}}.")
    ensure_allowance(cur, account, suite.campaigns.address, "campaigns contract", amount,
                     approve, say)  # fmt: skip
    return amount if cur.is_eth else 0


# -- the steps ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Created:
    id: int
    params: Campaign
    currency: Currency
    items: int
    tx: str
    already: bool = False  # created before with this commitment (a re-run): nothing was sent


def create(
    suite: Suite,
    chain: Any,
    account: Any,
    *,
    operator: str,
    token: str | None,
    pool: str,
    bond: str,
    items: Path,
    item_key: str | None,
    commitment: bytes,
    post_by: int,
    challenge: int,
    claim: int,
    approve: bool = False,
    say: Say = lambda _: None,
) -> Created:
    """Escrow `pool` for labeling the items of `items` (their root), committed to the gold;
    `post_by`, `challenge` and `claim` are durations in seconds."""
    root, count = items_root_of(items, item_key)
    cur = currency_of(chain, token)
    amounts = {"--pool": (cur.parse(pool), MAX_POOL), "--bond": (cur.parse(bond), MAX_BOND)}
    for option, (value, most) in amounts.items():
        if not 0 < value <= most:
            raise InputError(f"{option} must be more than 0 and at most {cur.exact(most)}.")
    windows = {"--post-by": post_by, "--challenge": challenge, "--claim": claim}
    for option, seconds in windows.items():
        if not 0 < seconds <= CAMPAIGN_MAX_WINDOW:
            raise InputError(f"{option} must be a duration from 1s to 365d, not {seconds}s.")
    if int(operator, 16) == 0:
        raise InputError("--operator cannot be the zero address: nobody could post the result.")
    params = Campaign(
        checksum(account.address), cur.address, amounts["--pool"][0], root, commitment,
        checksum(operator), amounts["--bond"][0], now_of(chain) + post_by, challenge, claim,
    )  # fmt: skip
    same_terms = ("currency", "items_root", "operator", "bond", "challenge_window", "claim_window")
    for log in _logs(suite, chain, "CampaignCreated", requester=params.requester):
        earlier = Campaign.from_values(log.params)
        if earlier.gold_commitment != commitment:
            continue
        # A commitment opens once: the same one again is this campaign re-run after a crash.
        if any(getattr(earlier, f) != getattr(params, f) for f in same_terms):
            raise InputError(
                f"Campaign {int(log.id)} is committed to this gold already, on other terms: "
                "commit to fresh gold (`ape run labels commit`) for a new campaign."
            )
        return Created(int(log.id), earlier, cur, count, str(log.transaction_hash), True)
    value = _pay(suite, cur, account, params.pool, "the pool", approve, say)
    c = suite.campaigns
    receipt = send(c, "create", params.t(), account=account, value=value, what="the pool")
    log = receipt.events.filter(c.CampaignCreated)[0]
    return Created(int(log.id), Campaign.from_values(log.params), cur, count, str(receipt.txn_hash))


@dataclass(frozen=True)
class Revealed:
    id: int
    gold_root: bytes
    tx: str


def reveal(suite: Suite, chain: Any, account: Any, cid: int, gold: Path, salt: bytes) -> Revealed:
    """Reveal the gold root on chain (anyone holding the salt, while no result stands)."""
    info = campaign_of(suite, chain, cid)
    if info.gold_locked and info.gold is not None:
        raise ChainError(
            f"Campaign {cid}'s gold was revealed already: root 0x{info.gold[1].hex()}."
        )
    _require(info, OPEN, "given its gold")
    root = gold_root_of(gold, salt, info.params.gold_commitment)
    receipt = send(suite.campaigns, "revealGold", cid, info.params.t(), salt, root,
                   account=account, what="the reveal")  # fmt: skip
    return Revealed(cid, root, str(receipt.txn_hash))


@dataclass(frozen=True)
class Posted:
    id: int
    root: bytes
    total: int
    contributors: int
    report_hash: bytes
    gold_root: bytes
    bond: int
    opens_at: int  # the end of the challenge window: claims open after it
    report: Path  # the published report to put online
    tx: str
    already: bool  # posted before (a re-run): nothing was sent


def _post_gold(info: Info, gold: Path | None, salt: bytes | None) -> tuple[bytes, bytes]:
    """(goldSalt, goldRoot) of a post: the revealed root, else the one given, else none."""
    if salt is not None and gold is None:
        raise InputError("--salt goes with --gold (the gold file it opens).")
    commitment = info.params.gold_commitment
    if info.gold_locked and info.gold is not None:
        if gold is not None and gold_sha256(read_gold(gold)) != info.gold[1]:
            raise InputError(
                f"--gold {gold} is not the gold revealed for campaign {info.id} "
                f"(root 0x{info.gold[1].hex()})."
            )
        return ZERO32, info.gold[1]  # the contract ignores the salt then
    if gold is not None:
        return bytes(salt or b""), gold_root_of(gold, salt, commitment)
    if info.gold is not None:
        return info.gold  # revealed with an earlier post: reveal it again
    return ZERO32, ZERO32


def post(
    suite: Suite,
    chain: Any,
    account: Any,
    cid: int,
    scored: Path,
    *,
    gold: Path | None = None,
    salt: bytes | None = None,
    approve: bool = False,
    say: Say = lambda _: None,
) -> Posted:
    """Post the result `ape run labels score --out SCORED` wrote, with the bond, and write
    the report to publish (SCORED/PUBLISHED_REPORT)."""
    if not scored.is_dir():
        raise InputError(f"--scored {scored} is not a folder (`ape run labels score --out`).")
    report_path = scored / QUALITY_REPORT
    try:
        body = report_path.read_bytes()
        quality = json.loads(body)
    except OSError as err:
        raise InputError(f"Cannot read {report_path}: {err.strerror or err}.") from None
    except ValueError as err:
        raise InputError(f"{report_path} is not JSON: {err}.") from None
    with load_tree(scored / TREE_FILE) as tree:
        root, total, count, top = tree.root, tree.total, tree.count, tree.top()
    if not isinstance(quality, dict) or quality.get("root") != "0x" + root.hex():
        raise InputError(
            f"{report_path} does not describe {scored / TREE_FILE} (another root): score again."
        )
    info = campaign_of(suite, chain, cid)
    gold_salt, gold_root = _post_gold(info, gold, salt)
    scored_with = str((quality.get("inputs") or {}).get("gold", ""))
    if any(gold_root) and scored_with != gold_root.hex():
        raise InputError(
            f"{report_path} was not scored with the campaign's gold (its inputs.gold is "
            f"0x{scored_with[:16]}…, the gold root 0x{gold_root.hex()}): score again with "
            "`labels score --gold`."
        )
    published = published_report(root, gold_root, body)
    report_hash = keccak(published)
    out = scored / PUBLISHED_REPORT
    r = info.result
    if info.status in (POSTED, DISPUTED) and r and (r.root, r.report_hash) == (root, report_hash):
        _publish(out, published)  # a re-run after the post: only the file may be missing
        return Posted(cid, root, total, count, report_hash, gold_root, r.bond, info.opens_at,
                      out, r.tx, True)  # fmt: skip
    _require(info, OPEN, "posted")
    if not same(account.address, info.params.operator):
        raise InputError(
            f"Only campaign {cid}'s operator {info.params.operator} posts its result, not "
            f"{checksum(account.address)}."
        )
    now = now_of(chain)
    if now > info.params.post_by:
        raise ChainError(
            f"Campaign {cid}'s result was due by {until(info.params.post_by, now)}: it can "
            f"only be finished now (`{COMMAND} finish {cid}`)."
        )
    value = _pay(suite, info.currency, account, info.params.bond, "the bond", approve, say)
    c = suite.campaigns
    args = (cid, info.params.t(), top, report_hash, gold_salt, gold_root)
    receipt = send(c, "postResult", *args, account=account, value=value, what="the bond")
    _publish(out, published)
    log = receipt.events.filter(c.ResultPosted)[0]
    opens_at = int(c.state(cid).opensAt)
    return Posted(cid, root, total, count, report_hash, gold_root, int(log.bond), opens_at, out,
                  str(receipt.txn_hash), False)  # fmt: skip


def _publish(path: Path, data: bytes) -> None:
    from seedbed.core.atomic import write_atomic

    if not path.is_file() or path.read_bytes() != data:
        write_atomic(path, data)


@dataclass(frozen=True)
class Challenged:
    id: int
    bond: int
    to_challenger: int
    to_requester: int  # credited: the requester's withdrawCredit
    header_root: bytes
    header_gold: bytes
    tx: str


def challenge(suite: Suite, chain: Any, account: Any, cid: int, source: str) -> Challenged:
    """Prove that the posted report's header contradicts the posted result: checked here
    first, so a challenge that cannot win is never sent."""
    info = campaign_of(suite, chain, cid)
    _in_challenge_window(info, chain, "challenged")
    assert info.result is not None
    r, report = info.result, read_report(source)
    header_root, header_gold = report_header(report)
    if keccak(report) != r.report_hash:
        raise InputError(
            f"{source} is not campaign {cid}'s posted report: its keccak256 is "
            f"0x{keccak(report).hex()}, the posted reportHash 0x{r.report_hash.hex()}."
        )
    if (header_root, header_gold) == (r.root, r.gold_root):
        raise InputError(
            f"The report agrees with campaign {cid}'s result (root 0x{r.root.hex()[:16]}…, "
            f"gold root 0x{r.gold_root.hex()[:16]}…): there is nothing to slash; object to the "
            f"weights with `{COMMAND} dispute {cid}`."
        )
    c = suite.campaigns
    receipt = send(c, "challengeReport", cid, info.params.t(), report, r.gold_root,
                   account=account, what="the challenge")  # fmt: skip
    log = receipt.events.filter(c.ResultSlashed)[0]
    return Challenged(cid, int(log.bond), int(log.toChallenger), int(log.toRequester),
                      header_root, header_gold, str(receipt.txn_hash))  # fmt: skip


@dataclass(frozen=True)
class Disputed:
    id: int
    case_id: int
    bond: int
    fee: int
    evidence: bytes
    evidence_source: str
    arbiter: str
    ruled: bool  # the arbiter ruled inside the request
    tx: str


def dispute(
    suite: Suite,
    chain: Any,
    account: Any,
    cid: int,
    evidence: str,
    approve: bool = False,
    say: Say = lambda _: None,
) -> Disputed:
    """Dispute the standing result at the arbiter, with the campaign's bond and the arbiter's
    fee (in ETH); claims wait for the ruling."""
    from seedbed.workflows.disputes import evidence_of

    proof = evidence_of(evidence)
    info = campaign_of(suite, chain, cid)
    _in_challenge_window(info, chain, "disputed")
    c = suite.campaigns
    arbiter = checksum(c.ARBITER())
    fee = ruling_fee(suite, arbiter)
    value = _pay(suite, info.currency, account, info.params.bond, "the bond", approve, say) + fee
    receipt = send(c, "dispute", cid, info.params.t(), proof.digest, account=account,
                   value=value, what="the bond and the arbiter's fee")  # fmt: skip
    log = receipt.events.filter(c.ResultDisputed)[0]
    ruled = int(c.state(cid).status) != DISPUTED
    return Disputed(cid, int(log.caseId), int(log.bond), fee, proof.digest, proof.source,
                    arbiter, ruled, str(receipt.txn_hash))  # fmt: skip


@dataclass(frozen=True)
class Vote:
    id: int
    case_id: int
    upheld: bool
    yes: int
    no: int
    threshold: int
    ruled: bool
    status: str  # the campaign's status after the vote
    tx: str


def rule(project: Any, suite: Suite, chain: Any, account: Any, cid: int, upheld: bool) -> Vote:
    """A member's vote on the campaign's dispute at the suite's PanelArbiter; the vote that
    reaches the threshold rules."""
    from seedbed.workflows.disputes.steps import panel_of

    info = campaign_of(suite, chain, cid)
    _require(info, DISPUTED, "ruled on")
    c = suite.campaigns
    panel = panel_of(project, suite)
    if not same(panel.address, c.ARBITER()):
        raise InputError(f"Campaign disputes go to {c.ARBITER()}, not a panel: vote there.")
    me = checksum(account.address)
    if not panel.isMember(me):
        members = ", ".join(checksum(m) for m in panel.members())
        raise InputError(f"{me} is not a member of the arbiter panel (its members: {members}).")
    receipt = send(panel, "vote", c.address, info.case_id, upheld, account=account,
                   what="the vote")  # fmt: skip
    case = panel.caseOf(c.address, info.case_id)
    status, ruled = STATUS_NAMES[int(c.state(cid).status)], bool(receipt.events.filter(panel.Ruled))
    return Vote(cid, info.case_id, upheld, int(case.yes), int(case.no), int(panel.THRESHOLD()),
                ruled, status, str(receipt.txn_hash))  # fmt: skip


@dataclass(frozen=True)
class Lapsed:
    id: int
    bond_returned: int
    tx: str


def lapse(suite: Suite, chain: Any, account: Any, cid: int) -> Lapsed:
    """End a dispute the arbiter left unanswered for RULING_TIMEOUT (anyone): the result
    stands, claims open from now, the claimant's bond is credited back."""
    info = campaign_of(suite, chain, cid)
    _require(info, DISPUTED, "lapsed")
    c = suite.campaigns
    deadline = int(chain.blocks[info.disputed_block].timestamp) + int(c.RULING_TIMEOUT())
    now = now_of(chain)
    if now <= deadline:
        raise ChainError(
            f"The arbiter has until {until(deadline, now)} to rule on campaign {cid}: it "
            "lapses only after that."
        )
    receipt = send(c, "lapse", cid, account=account, what="the lapse")
    log = receipt.events.filter(c.DisputeLapsed)[0]
    return Lapsed(cid, int(log.bondReturned), str(receipt.txn_hash))


@dataclass
class Claims:
    id: int
    currency: Currency
    claimed: list[ClaimRow] = field(default_factory=list)
    failed: list[ClaimRow] = field(default_factory=list)  # the recipient refused: not booked
    skipped: int = 0  # claimed before (a re-run), or a share that rounds to 0
    txs: list[str] = field(default_factory=list)


def claim(
    suite: Suite,
    chain: Any,
    sender: Any,
    cid: int,
    tree_path: Path,
    *,
    for_address: str | None = None,
    recipient: str | None = None,
) -> Claims:
    """One account's share (the sender's, or `for_address`'s: the money goes to it), or the
    sender's own sent to `recipient` (claimTo)."""
    me = checksum(sender.address)
    if recipient is not None and for_address is not None:
        raise InputError("--for and --to cannot be combined: --to sends your own claim.")
    if recipient is not None and int(recipient, 16) == 0:
        raise InputError("--to cannot be the zero address: the money would be lost.")
    who = checksum(for_address or me)
    load_tree(tree_path).close()  # the local file first, before the chain
    info = campaign_of(suite, chain, cid)
    _in_claim_window(info, chain)
    with _tree_of(info, tree_path) as tree:
        try:
            weight, proof = tree.proof(who)
        except InputError:
            raise InputError(
                f"{who} is not in campaign {cid}'s result ({tree_path}): nothing to claim."
            ) from None
    c = suite.campaigns
    if c.claimed(cid, who):
        raise ChainError(f"{who} has claimed its share of campaign {cid} already.")
    amount = info.share(weight)
    if amount == 0:
        raise ChainError(f"{who}'s share of campaign {cid} (weight {weight}) rounds down to 0.")
    p = info.params.t()
    if recipient is not None:
        receipt = send(c, "claimTo", cid, p, weight, proof_args(proof), recipient,
                       account=sender, what="the claim")  # fmt: skip
    else:
        receipt = send(c, "claim", cid, p, who, weight, proof_args(proof), account=sender,
                       what="the claim")  # fmt: skip
    paid = int(receipt.events.filter(c.Claimed)[0].amount)
    row = ClaimRow(who, paid, weight, checksum(recipient or who))
    return Claims(cid, info.currency, [row], txs=[str(receipt.txn_hash)])


def claim_all(
    suite: Suite, chain: Any, sender: Any, cid: int, tree_path: Path, say: Say = lambda _: None
) -> Claims:
    """Everyone's share in the tree, in claimBatch chunks of MAX_BATCH; accounts that have
    claimed (the Claimed logs) and shares that round to 0 are skipped, so a re-run resumes."""
    load_tree(tree_path).close()  # the local file first, before the chain
    info = campaign_of(suite, chain, cid)
    _in_claim_window(info, chain)
    done = {row.account for row in info.claims}
    run = Claims(cid, info.currency)
    with _tree_of(info, tree_path) as tree:
        # Two passes, so the proofs are built a batch at a time (a tree may hold millions).
        todo = [
            (raw, weight)
            for raw, weight in tree.items()
            if checksum("0x" + raw.hex()) not in done and info.share(weight) > 0
        ]
        run.skipped = tree.count - len(todo)
        batches = (len(todo) + CAMPAIGN_MAX_BATCH - 1) // CAMPAIGN_MAX_BATCH
        for n in range(batches):
            part = todo[n * CAMPAIGN_MAX_BATCH : (n + 1) * CAMPAIGN_MAX_BATCH]
            chunk = [(checksum("0x" + a.hex()), w, proof_args(tree.proof(a)[1])) for a, w in part]
            receipt = send(suite.campaigns, "claimBatch", cid, info.params.t(), chunk,
                           account=sender, what="the claims")  # fmt: skip
            weights = {who: w for who, w, _ in chunk}
            for log in receipt.events:
                if log.event_name in ("Claimed", "ClaimFailed"):
                    who = checksum(log.account)
                    row = ClaimRow(who, int(log.amount), weights[who], who)
                    (run.claimed if log.event_name == "Claimed" else run.failed).append(row)
            run.txs.append(str(receipt.txn_hash))
            say(f"batch {n + 1}/{batches}: {len(chunk)} claims sent, tx {receipt.txn_hash}")
    return run


@dataclass(frozen=True)
class Finished:
    id: int
    posted: bool  # a result stood
    refund: int
    bond_returned: int
    credited: list[tuple[str, int]]  # payouts that failed, kept for withdrawCredit
    tx: str


def finish(suite: Suite, chain: Any, account: Any, cid: int) -> Finished:
    """End the campaign (anyone): after the claim window, the unclaimed pool back to the
    requester and the bond to the operator; with no result by postBy, the whole pool back."""
    info = campaign_of(suite, chain, cid)
    now = now_of(chain)
    if info.status == POSTED and now <= info.claims_close:
        raise ChainError(
            f"Campaign {cid}'s claims run until {until(info.claims_close, now)}: it can be "
            "finished after that."
        )
    if info.status == OPEN and now <= info.params.post_by:
        raise ChainError(
            f"Campaign {cid}'s operator may post a result until "
            f"{until(info.params.post_by, now)}: it can be finished after that."
        )
    if info.status not in (OPEN, POSTED):
        raise _status_error(info, POSTED, "finished")
    c = suite.campaigns
    receipt = send(c, "finish", cid, info.params.t(), account=account, what="finishing")
    log = receipt.events.filter(c.Finished)[0]
    credited = [(checksum(e.account), int(e.amount)) for e in receipt.events.filter(c.Credited)]
    return Finished(cid, bool(log.posted), int(log.refund), int(log.bondReturned), credited,
                    str(receipt.txn_hash))  # fmt: skip


@dataclass(frozen=True)
class Withdrawn:
    currency: Currency
    amount: int
    to: str
    tx: str


def withdraw(
    suite: Suite, chain: Any, account: Any, tokens: Sequence[str] = (), to: str | None = None
) -> list[Withdrawn]:
    """Send the account's credits (slashed halves, dispute bonds, failed payouts) to `to`
    (default: itself), in the currencies named or every one it was ever credited in."""
    me = checksum(account.address)
    if to is not None and int(to, 16) == 0:
        raise InputError("--to cannot be the zero address: the money would be lost.")
    seen = tokens or [checksum(log.currency) for log in _logs(suite, chain, "Credited", account=me)]
    c, out = suite.campaigns, []
    for cur in [currency_of(chain, t) for t in dict.fromkeys(seen)]:
        amount = int(c.credit(me, cur.address))
        if amount == 0:
            continue
        receipt = send(c, "withdrawCredit", cur.address, to or me, account=account,
                       what="the withdrawal")  # fmt: skip
        out.append(Withdrawn(cur, amount, checksum(to or me), str(receipt.txn_hash)))
    if not out:
        which = ", ".join(dict.fromkeys(seen)) if tokens else "any currency"
        raise ChainError(f"Nothing to withdraw: {me} has no campaign credit in {which}.")
    return out


# -- status ------------------------------------------------------------------------------------


@dataclass
class Status:
    info: Info
    now: int
    credits: dict[str, int]  # the parties' credits in the campaign's currency
    claimable: int | None = None  # the caller's share, if a tree and an account were given
    finished: tuple[int, int] | None = None  # (refund, bond returned) once finished
    next_step: str = ""


def status(
    suite: Suite, chain: Any, cid: int, account: str | None = None, tree_path: Path | None = None
) -> Status:
    """Campaign `cid` in full: state, times, result, claims and credits, and what comes next."""
    info = campaign_of(suite, chain, cid)
    c, p, now = suite.campaigns, info.params, now_of(chain)
    parties = [p.requester, p.operator, *([info.claimant] if info.claimant else [])]
    parties += [checksum(account)] if account else []
    credits = {a: int(c.credit(a, p.currency)) for a in dict.fromkeys(parties)}
    st = Status(info, now, {a: v for a, v in credits.items() if v})
    if tree_path is not None and account is not None and info.status == POSTED:
        with _tree_of(info, tree_path) as tree:
            try:
                weight = tree.proof(account)[0]
                claimed = any(same(r.account, account) for r in info.claims)
                st.claimable = 0 if claimed else info.share(weight)
            except InputError:
                st.claimable = 0
    if info.status == FINISHED:
        end = _logs(suite, chain, "Finished", id=cid)[0]
        st.finished = (int(end.refund), int(end.bondReturned))
    st.next_step = _next_step(info, now)
    return st


def _next_step(info: Info, now: int) -> str:
    cid, p = info.id, info.params
    if info.status == OPEN:
        if now <= p.post_by:
            return (f"the operator {p.operator} posts the result until {until(p.post_by, now)} "
                    f"(`{COMMAND} post {cid} --scored DIR`)")  # fmt: skip
        return f"no result by postBy: anyone finishes it, the pool goes back (`{COMMAND} finish`)"
    if info.status == DISPUTED:
        return (f"the arbiter rules on {case_text(info.case_id)} (`{COMMAND} rule {cid} "
                "--upheld|--dismissed`), or it lapses after the ruling timeout")  # fmt: skip
    if info.status == POSTED and now <= info.opens_at:
        return (
            f"anyone may challenge the report (`{COMMAND} challenge {cid} --report FILE`) "
            f"or dispute the result until {until(info.opens_at, now)}; claims open after"
        )
    if info.status == POSTED and now <= info.claims_close:
        return (f"annotators claim until {until(info.claims_close, now)} "
                f"(`{COMMAND} claim {cid} --tree FILE`, or `claim-all`)")  # fmt: skip
    if info.status == POSTED:
        return f"the claim window is over: anyone finishes it (`{COMMAND} finish {cid}`)"
    return "nothing: the campaign is finished"


def status_lines(st: Status) -> list[str]:
    from seedbed.core.units import format_duration
    from seedbed.workflows.disputes.facts import when

    info, p, fmt = st.info, st.info.params, st.info.currency.format
    lines = [
        f"campaign {info.id}: {info.status_name}",
        f"  requester {p.requester}, operator {p.operator}",
        f"  pool {fmt(p.pool)}, bond {fmt(p.bond)}; items root 0x{p.items_root.hex()}",
        f"  gold commitment 0x{p.gold_commitment.hex()}"
        + (f", revealed: root 0x{info.gold[1].hex()}" if info.gold else ", not revealed"),
        f"  results due by {when(p.post_by)}; challenge window "
        f"{format_duration(p.challenge_window)}, claim window {format_duration(p.claim_window)}",
    ]
    r = info.result
    if r is not None and info.status in (POSTED, DISPUTED, FINISHED) and info.opens_at:
        lines += [
            f"  result root 0x{r.root.hex()} (total weight {r.total}), bond {fmt(info.bond_held)}",
            f"  report hash 0x{r.report_hash.hex()}, gold root 0x{r.gold_root.hex()}",
            f"  claims open after {when(info.opens_at)}, close at {when(info.claims_close)}",
        ]
    if info.status == DISPUTED:
        lines.append(f"  disputed by {info.claimant}: {case_text(info.case_id)} at the arbiter")
    lines.append(
        f"  claimed {fmt(info.claimed)} by {len(info.claims)} account(s); "
        f"{fmt(info.remaining)} remaining"
    )
    for row in info.claims[:SHOWN]:
        to = f" (sent to {row.to})" if row.to != row.account else ""
        lines.append(f"    {row.account}: {fmt(row.amount)} for weight {row.weight}{to}")
    if len(info.claims) > SHOWN:
        lines.append(f"    ... and {len(info.claims) - SHOWN} more (--json lists them all)")
    if st.finished is not None:
        refund, bond = st.finished
        lines.append(f"  finished: {fmt(refund)} back to the requester, bond {fmt(bond)} back")
    for who, amount in st.credits.items():
        lines.append(f"  credit of {who}: {fmt(amount)} (`{COMMAND} withdraw`)")
    if st.claimable is not None:
        lines.append(f"  yours to claim: {fmt(st.claimable)}")
    lines.append(f"next: {st.next_step}")
    return lines
