"""Who may call what: every state-changing function of the suite's nine contracts (registry,
vault, license token, meter, court and its PanelArbiter, private data, label campaigns,
attestations), by every role.

The table below is the access policy. A cell is OK (the call succeeds) or the exact custom
error with its values; `caller`, `asset`, `license` ... in an error name the values of the
scene set up once for the module: the publisher owns asset A (and its derivative D, which
has pending upstream), sells offer O (with a service share), and the buyer holds license L
(ACCESS | DERIVE scope) with a channel to the gateway: a reserve, units metered (so the asset
is owed and the gateway has earnings), a withdrawal that is ready and a signed voucher; the
publisher has a batch commitment; a few tokens were sent to each contract by mistake. The
court's scene: the owner (the deployer) is the wirer and the panel's only member; claims by
the stranger against publisher assets wait to be contested (open), resolved (answer period
over), ruled (at the arbiter) and lapsed (ruling timeout over); a duplicate claim against a
stranger's grandchild of a publisher asset waits for its lineage answer; the stranger
registered one of the publisher's committed roots (a squat); the publisher won a claim (a
deposit to withdraw, and an escrow to release). Money moves (pay, claim, flow, settle,
payAsset, release, sweeps, withdrawDeposits) are open to anyone; funds only ever go to the
account or treasury entitled. onLicenseTransfer is the license contract's alone, useDerive
the registry's, setStatus and setHold the court's, rule the arbiter's, vote the panel
members'; a commitment opens for, and is evidence of, its committer only; claimTo pays the
caller's own share; only the disputed asset's owner contests; anyone may open a claim (with
its bond), resolve, lapse or answer with a lineage. Private data: A is sealed and the
publisher named the gateway its key service; only an asset's owner seals it (a fresh asset of
the publisher here) and names key services; the owner and its key service grant keys.
Campaigns: the publisher requests them, the gateway operates them. Anyone creates its own
campaign, reveals a gold with its salt, challenges a contradicting report, disputes a
standing result (with its bond), lapses an unanswered dispute, sends claims for others and
finishes a campaign that is over; only the operator posts; only the arbiter rules; claimTo
pays the caller's own share (the buyer's here); a credit is its holder's (the publisher's half
of a slashed bond). Attestations: anyone anchors, revokes (under its own address) and forms
validator sets, and anyone certifies an asset with a validator's anchored attestation (the
gateway's of A here); anyone retires itself as a validator; only the asset's owner makes its
offer require a set.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

import pytest
from ape.exceptions import ContractLogicError
from eth_abi import encode
from eth_utils import keccak
from testkit.campaigns import CampaignDriver, case_of
from testkit.registering import ZERO_SALT, commitment_of, registration_leaf

from seedbed.core import attestations as att
from seedbed.core.claim_to import ClaimTo
from seedbed.core.claim_to import args as claim_to_args
from seedbed.core.claim_to import sign as sign_claim
from seedbed.core.constants import ACCESS, DATASET, DERIVE, ETH, MODEL, OFFER_PAUSED
from seedbed.core.manifest import FileEntry, Manifest
from seedbed.core.vouchers import Voucher, sign
from seedbed.workflows.attest import struct_of

ROLES = ("owner", "publisher", "buyer", "stranger", "gateway")
ZERO = "0x" + "00" * 20
OK = ("ok", ())


def E(name: str, *values: str) -> tuple[str, tuple[str, ...]]:
    """An expected custom error; each value names a piece of the scene (see `resolve`)."""
    return name, values


# Legend: the errors of the table, with the values each must carry.
AUTH = E("AssetRegistryNotAuthorized", "asset", "caller")
OWNER = E("LicenseTokenNotAssetOwner", "asset", "caller")
UNLIC = E("AssetRegistryParentNotLicensed", "asset", "license", "caller")
APPR_A = E("ERC721InsufficientApproval", "caller", "asset")
APPR_L = E("ERC721InsufficientApproval", "caller", "license")
APPROVER = E("ERC721InvalidApprover", "caller")
HOLDER = E("UsageMeterNotHolder", "license", "caller", "buyer")
RESERVE = E("UsageMeterInsufficientReserve", "caller channel", "zero", "ten")
NOREQ = E("UsageMeterNoWithdrawalRequested", "caller channel")
NOCHAN = E("UsageMeterNoChannel", "caller channel")
NOSIGNER = E("UsageMeterNoChannel", "caller signer slot")
CHOPEN = E("UsageMeterChannelOpen", "buyer channel", "perpetual")
NOTLIC = E("UsageMeterNotLicense", "caller")
NOEARN = E("UsageMeterZeroAmount")
NOFEES = E("RoyaltyVaultNoFees", "eth")  # this deployment charges no protocol fee
G_WIRED = E("AssetRegistryAlreadyWired", "license contract")
G_WIRER = E("AssetRegistryNotWirer", "caller")
M_WIRED = E("LicenseTokenAlreadyWired", "meter contract")
M_WIRER = E("LicenseTokenNotWirer", "caller")
NOTREG = E("LicenseTokenNotRegistry", "caller")
UNCOMMITTED = E("AssetRegistryNotCommitted", "caller", "batch commitment")
NOTLEAF = E("RoyaltyVaultInvalidProof", "asset", "caller", "one")  # the buyer's leaf, not theirs
C_WIRED = E("AssetRegistryAlreadyWired", "court contract")
V_WIRED = E("RoyaltyVaultAlreadyWired", "court contract")
V_WIRER = E("RoyaltyVaultNotWirer", "caller")
R_COURT = E("AssetRegistryNotCourt", "caller")
V_COURT = E("RoyaltyVaultNotCourt", "caller")
DEFENDANT = E("AssetCourtNotDefendant", "open claim", "caller")
ARBITER = E("AssetCourtNotArbiter", "caller")
MEMBER = E("PanelArbiterNotMember", "caller")
NOTMINE = E("AssetCourtNotYourLeaf", "zero")  # the publisher's leaf: the caller's is another
NODEP = E("AssetCourtNoDeposit", "caller")
P_OWNER_S = E("PrivateDataNotAssetOwner", "to seal", "caller", "publisher")
P_OWNER = E("PrivateDataNotAssetOwner", "asset", "caller", "publisher")
P_GRANTER = E("PrivateDataNotGranter", "asset", "caller")
K_OPER = E("CampaignNotOperator", "open campaign", "caller", "gateway")
K_ARBITER = E("CampaignNotArbiter", "caller", "panel")
K_NOTLEAF = E("CampaignInvalidProof", "claimable campaign", "caller", "one")
K_NOCREDIT = E("CampaignNoCredit", "caller", "eth")

# fmt: off
MATRIX = {
    #                        owner     publisher buyer     stranger  gateway
    "register":             (OK,       OK,       OK,       OK,       OK),
    "register derived":     (UNLIC,    OK,       OK,       UNLIC,    UNLIC),
    "commit":               (OK,       OK,       OK,       OK,       OK),
    "openCommitment":       (UNCOMMITTED, OK,    UNCOMMITTED, UNCOMMITTED, UNCOMMITTED),
    "registry sweep":       (OK,       OK,       OK,       OK,       OK),
    "updateMetadata":       (AUTH,     OK,       AUTH,     AUTH,     AUTH),
    "setDelisted":          (AUTH,     OK,       AUTH,     AUTH,     AUTH),
    "multicall":            (AUTH,     OK,       AUTH,     AUTH,     AUTH),
    "wireLicenseGate":      (G_WIRED,  G_WIRER,  G_WIRER,  G_WIRER,  G_WIRER),
    "asset transferFrom":   (APPR_A,   OK,       APPR_A,   APPR_A,   APPR_A),
    "asset approve":        (APPROVER, OK,       APPROVER, APPROVER, APPROVER),
    "pay":                  (OK,       OK,       OK,       OK,       OK),
    "flowUpstream":         (OK,       OK,       OK,       OK,       OK),
    "claim":                (OK,       OK,       OK,       OK,       OK),
    "claimBatch":           (OK,       OK,       OK,       OK,       OK),
    "claimTo":              (NOTLEAF,  NOTLEAF,  OK,       NOTLEAF,  NOTLEAF),
    "claimToSigned":        (OK,       OK,       OK,       OK,       OK),
    "withdrawFees":         (NOFEES,   NOFEES,   NOFEES,   NOFEES,   NOFEES),
    "sweepExcess":          (OK,       OK,       OK,       OK,       OK),
    "createOffer":          (OWNER,    OK,       OWNER,    OWNER,    OWNER),
    "setOfferStatus":       (OWNER,    OK,       OWNER,    OWNER,    OWNER),
    "buy":                  (OK,       OK,       OK,       OK,       OK),
    "license transferFrom": (APPR_L,   APPR_L,   OK,       APPR_L,   APPR_L),
    "license approve":      (APPROVER, APPROVER, OK,       APPROVER, APPROVER),
    "wireMeter":            (M_WIRED,  M_WIRER,  M_WIRER,  M_WIRER,  M_WIRER),
    "license sweep":        (OK,       OK,       OK,       OK,       OK),
    "useDerive":            (NOTREG,   NOTREG,   NOTREG,   NOTREG,   NOTREG),
    "open":                 (HOLDER,   HOLDER,   OK,       HOLDER,   HOLDER),
    "deposit":              (HOLDER,   HOLDER,   OK,       HOLDER,   HOLDER),
    "requestWithdrawal":    (RESERVE,  RESERVE,  OK,       RESERVE,  RESERVE),
    "cancelWithdrawal":     (NOREQ,    NOREQ,    OK,       NOREQ,    NOREQ),
    "completeWithdrawal":   (NOREQ,    NOREQ,    OK,       NOREQ,    NOREQ),
    "changeSigner":         (NOSIGNER, NOSIGNER, OK,       NOSIGNER, NOSIGNER),
    "settle":               (OK,       OK,       OK,       OK,       OK),
    "settleBatch":          (OK,       OK,       OK,       OK,       OK),
    "meter":                (NOCHAN,   NOCHAN,   OK,       NOCHAN,   NOCHAN),
    "payAsset":             (OK,       OK,       OK,       OK,       OK),
    "withdrawEarnings":     (NOEARN,   NOEARN,   NOEARN,   NOEARN,   OK),
    "meter sweepExcess":    (OK,       OK,       OK,       OK,       OK),
    "releaseUnits":         (CHOPEN,   CHOPEN,   CHOPEN,   CHOPEN,   CHOPEN),
    "onLicenseTransfer":    (NOTLIC,   NOTLIC,   NOTLIC,   NOTLIC,   NOTLIC),
    "wireCourt":            (C_WIRED,  G_WIRER,  G_WIRER,  G_WIRER,  G_WIRER),
    "setStatus":            (R_COURT,  R_COURT,  R_COURT,  R_COURT,  R_COURT),
    "vault wireCourt":      (V_WIRED,  V_WIRER,  V_WIRER,  V_WIRER,  V_WIRER),
    "setHold":              (V_COURT,  V_COURT,  V_COURT,  V_COURT,  V_COURT),
    "release":              (OK,       OK,       OK,       OK,       OK),
    "openSubjective":       (OK,       OK,       OK,       OK,       OK),
    "openDuplicate":        (OK,       OK,       OK,       OK,       OK),
    "claimPriorCommitment": (NOTMINE,  OK,       NOTMINE,  NOTMINE,  NOTMINE),
    "answerLineage":        (OK,       OK,       OK,       OK,       OK),
    "contest":              (DEFENDANT, OK,      DEFENDANT, DEFENDANT, DEFENDANT),
    "resolve":              (OK,       OK,       OK,       OK,       OK),
    "rule":                 (ARBITER,  ARBITER,  ARBITER,  ARBITER,  ARBITER),
    "lapse":                (OK,       OK,       OK,       OK,       OK),
    "withdrawDeposits":     (NODEP,    OK,       NODEP,    NODEP,    NODEP),
    "court sweepExcess":    (OK,       OK,       OK,       OK,       OK),
    "requestRuling":        (OK,       OK,       OK,       OK,       OK),
    "vote":                 (OK,       MEMBER,   MEMBER,   MEMBER,   MEMBER),
    "seal":                 (P_OWNER_S, OK,      P_OWNER_S, P_OWNER_S, P_OWNER_S),
    "setGranter":           (P_OWNER,  OK,       P_OWNER,  P_OWNER,  P_OWNER),
    "grantKey":             (P_GRANTER, OK,      P_GRANTER, P_GRANTER, OK),
    "campaign create":      (OK,       OK,       OK,       OK,       OK),
    "revealGold":           (OK,       OK,       OK,       OK,       OK),
    "postResult":           (K_OPER,   K_OPER,   K_OPER,   K_OPER,   OK),
    "challengeReport":      (OK,       OK,       OK,       OK,       OK),
    "dispute":              (OK,       OK,       OK,       OK,       OK),
    "campaign rule":        (K_ARBITER, K_ARBITER, K_ARBITER, K_ARBITER, K_ARBITER),
    "campaign lapse":       (OK,       OK,       OK,       OK,       OK),
    "campaign claim":       (OK,       OK,       OK,       OK,       OK),
    "campaign claimTo":     (K_NOTLEAF, K_NOTLEAF, OK,     K_NOTLEAF, K_NOTLEAF),
    "campaign claimBatch":  (OK,       OK,       OK,       OK,       OK),
    "finish":               (OK,       OK,       OK,       OK,       OK),
    "withdrawCredit":       (K_NOCREDIT, OK,     K_NOCREDIT, K_NOCREDIT, K_NOCREDIT),
    "anchor":               (OK,       OK,       OK,       OK,       OK),
    "revokeOffchain":       (OK,       OK,       OK,       OK,       OK),
    "multiRevokeOffchain":  (OK,       OK,       OK,       OK,       OK),
    "createSet":            (OK,       OK,       OK,       OK,       OK),
    "certify":              (OK,       OK,       OK,       OK,       OK),
    "requireAttestations":  (OWNER,    OK,       OWNER,    OWNER,    OWNER),
    "retire":               (OK,       OK,       OK,       OK,       OK),
}
# fmt: on

CASES = [
    pytest.param(function, role, cells[i], id=f"{function}-{role}")
    for function, cells in MATRIX.items()
    for i, role in enumerate(ROLES)
]


@dataclass
class Scene:
    suite: Any
    token: Any
    roles: dict[str, Any]
    asset: int  # A, owned by the publisher, contributors alice and bob
    derived: int  # D, the publisher's model over A, with pending upstream
    people: Any  # A's contributors tree
    offer: int  # O on A: ETH, ACCESS | DERIVE, transferable
    license: int  # L, bought from O by the buyer
    voucher: tuple[tuple[int, str, str, int, int], bytes]  # signed by the buyer for L
    leaves: list[bytes]  # the publisher's batch commitment
    signed_claim: tuple[Any, ...]  # claimToSigned's arguments: the buyer's share of A, to it
    court: CourtScene
    to_seal: int = 0  # a publisher asset not sealed yet (A is sealed, the gateway its granter)
    # certify's arguments: the gateway's passing attestation of A, anchored alone
    attested: tuple[Any, ...] = ()
    validator_set: int = 0  # the gateway alone, threshold 1
    campaigns: Any = None  # CampaignScene


@dataclass
class CourtScene:
    panel: Any  # the court's arbiter: a PanelArbiter of the owner alone
    target: int  # a publisher asset nobody disputes yet
    to_contest: int  # open: the stranger's claim against a publisher asset
    to_resolve: int  # open, its answer period over
    at_arbiter: int  # contested by the publisher: at the arbiter
    to_lapse: int  # at the arbiter, its ruling timeout over
    answered: int  # a duplicate claim the heir's lineage answers
    duplicate: tuple[Any, ...]  # openDuplicate's arguments: an earlier and a later asset
    squat: int  # the stranger's asset of a root the publisher committed first
    held: int  # taken down for the publisher (the publisher's deposit), with escrow in ETH


@dataclass
class CampaignScene:
    """The publisher's campaigns, operated by the gateway (testkit.campaigns.Launched each)."""

    driver: Any
    open: Any  # open, its gold unrevealed
    posted: Any  # a contradicting report posted, in its challenge window
    disputed: Any  # a standing result at the arbiter
    to_lapse: Any  # disputed, its ruling timeout over
    claimable: Any  # a result of the buyer (1) and the stranger (1), claims open
    people: Any  # the claimable result's tree
    over: Any  # open, postBy passed: finish refunds it


def _campaigns_before(suite, chain, contributors_of, publisher, stranger, gateway):
    """Campaigns that need time to pass (before the court's ruling-timeout jump)."""
    kit = CampaignDriver(suite.campaigns, chain)
    to_lapse = kit.create(publisher, gateway, 1_000, 10)
    kit.post(to_lapse, contributors_of({stranger.address: 1}), gateway)
    kit.dispute(to_lapse, stranger)
    over = kit.create(publisher, gateway, 1_000, 10, post_by=86_400)
    return kit, to_lapse, over


def _campaigns_claimable(kit, contributors_of, publisher, alice, stranger, gateway):
    """Posted before the meter's withdrawal-delay jump, which runs past its challenge window."""
    claimable = kit.create(publisher, gateway, 1_000, 10)
    people = contributors_of({alice.address: 1, stranger.address: 1})
    kit.post(claimable, people, gateway)
    return claimable, people


def _campaigns_after(kit, before, claimable, contributors_of, publisher, stranger, gateway):
    """In their challenge windows at test time; the publisher holds a slashed half-bond."""
    _, to_lapse, over = before
    people = contributors_of({stranger.address: 1})
    open_ = kit.create(publisher, gateway, 1_000, 10)
    posted = kit.create(publisher, gateway, 1_000, 10, challenge=86_400)
    kit.post(posted, people, gateway, body=b"\0" * 64)  # names neither root
    disputed = kit.create(publisher, gateway, 1_000, 10, challenge=86_400)
    kit.post(disputed, people, gateway)
    kit.dispute(disputed, stranger)
    slashed = kit.create(publisher, gateway, 1_000, 10)
    kit.post(slashed, people, gateway, body=b"\0" * 64)
    p = slashed.params
    kit.c.challengeReport(slashed.id, p.t(), b"\0" * 64, slashed.gold_root, sender=stranger)
    return CampaignScene(kit, open_, posted, disputed, to_lapse, claimable[0], claimable[1], over)


def _court_scene_before(suite, chain, register_asset, publisher, stranger, gateway):
    """Claims that need time to pass, opened before the rest of the scene: then time runs
    past their answer period and ruling timeout."""
    court = suite.court
    bond = int(court.BOND())

    def claim(asset_id, claimant):
        receipt = court.openSubjective(
            asset_id, 1, keccak(text="e"), 0, value=bond, sender=claimant
        )
        return receipt.events.filter(court.DisputeOpened)[0].disputeId

    to_resolve = claim(register_asset(publisher, {publisher.address: 1})[0], stranger)
    to_lapse = claim(register_asset(publisher, {publisher.address: 1})[0], stranger)
    court.contest(to_lapse, value=bond, sender=publisher)
    held = register_asset(gateway, {gateway.address: 1})[0]
    won = claim(held, publisher)
    suite.vault.pay(held, ETH, 100, value=100, sender=stranger)  # into its escrow
    chain.pending_timestamp += int(court.RULING_TIMEOUT()) + 1
    chain.mine()
    court.resolve(won, sender=stranger)  # to the arbiter, which rules in _court_scene
    return dict(to_resolve=to_resolve, to_lapse=to_lapse, held=held, won=won)


def _court_scene(project, suite, register_asset, before, deployer, publisher, stranger):
    """The rest of the court's scene, after the time jump."""
    court = suite.court
    bond = int(court.BOND())
    panel = project.PanelArbiter.at(court.ARBITER())
    panel.vote(court, before["won"], True, sender=deployer)  # the publisher's bond back

    def claim(asset_id):
        receipt = court.openSubjective(
            asset_id, 1, keccak(text="e"), 0, value=bond, sender=stranger
        )
        return receipt.events.filter(court.DisputeOpened)[0].disputeId

    at_arbiter = claim(register_asset(publisher, {publisher.address: 1})[0])
    court.contest(at_arbiter, value=bond, sender=publisher)
    to_contest = claim(register_asset(publisher, {publisher.address: 1})[0])
    size = int(court.MIN_DUPLICATE_SIZE())

    def tree(path, tag):
        shared = FileEntry(path, keccak(text="the shared file"), size)
        return Manifest.from_files([shared, FileEntry("own.txt", keccak(text=tag), 1)])

    def proof(manifest, path):
        entry = next(f for f in manifest.files if f.path == path)
        return (path, entry.sha256, size, manifest.proof(path))

    mine, copy, origin, heir = (tree(p, p) for p in ("a.bin", "b.bin", "c.bin", "d.bin"))
    first = register_asset(publisher, {publisher.address: 1}, content_root=mine.root)[0]
    later = register_asset(stranger, {stranger.address: 1}, content_root=copy.root)[0]
    duplicate = (first, later, proof(mine, "a.bin"), proof(copy, "b.bin"))
    o = register_asset(publisher, {publisher.address: 1}, content_root=origin.root)[0]
    m = register_asset(publisher, {publisher.address: 1}, parents=[(o, 1_000)], kind=MODEL)[0]
    h = register_asset(
        publisher, {publisher.address: 1}, parents=[(m, 1_000)], kind=MODEL,
        content_root=heir.root,
    )[0]  # fmt: skip
    suite.registry.transferFrom(publisher, stranger, h, sender=publisher)
    receipt = court.openDuplicate(
        o, h, proof(origin, "c.bin"), proof(heir, "d.bin"), value=bond, sender=deployer
    )
    answered = receipt.events.filter(court.DisputeOpened)[0].disputeId
    target = register_asset(publisher, {publisher.address: 1})[0]
    return CourtScene(
        panel=panel,
        target=target,
        to_contest=to_contest,
        to_resolve=before["to_resolve"],
        at_arbiter=at_arbiter,
        to_lapse=before["to_lapse"],
        answered=answered,
        duplicate=duplicate,
        squat=0,
        held=before["held"],
    )


@pytest.fixture(scope="module")
def scene(
    project,
    suite,
    chain,
    deployer,
    publisher,
    alice,
    bob,
    stranger,
    gateway,
    token,
    register_asset,
    contributors_of,
) -> Scene:

    roles = dict(owner=deployer, publisher=publisher, buyer=alice, stranger=stranger)
    roles["gateway"] = gateway
    k_before = _campaigns_before(suite, chain, contributors_of, publisher, stranger, gateway)
    before = _court_scene_before(suite, chain, register_asset, publisher, stranger, gateway)
    court = _court_scene(project, suite, register_asset, before, deployer, publisher, stranger)
    asset, people = register_asset(publisher, {alice.address: 1, bob.address: 1})
    derived, _ = register_asset(publisher, {bob.address: 1}, parents=[(asset, 1_000)], kind=MODEL)
    terms = (asset, ETH, 100, 2, 0, 0, ACCESS | DERIVE, 500, False, 0, 1_000)
    receipt = suite.license.createOffer(terms, sender=publisher)
    offer = receipt.events.filter(suite.license.OfferCreated)[0].offerId
    receipt = suite.license.buy(offer, alice, 100, value=100, sender=alice)
    license_id = receipt.events.filter(suite.license.LicenseBought)[0].licenseId
    suite.meter.deposit(license_id, gateway, 1_000, value=1_000, sender=alice)
    suite.meter.meter(license_id, gateway, 50, sender=alice)  # owed to A, earnings to gateway
    suite.meter.requestWithdrawal(license_id, gateway, 100, sender=alice)
    k_claimable = _campaigns_claimable(
        k_before[0], contributors_of, publisher, alice, stranger, gateway
    )
    chain.pending_timestamp += suite.meter.WITHDRAWAL_DELAY()
    chain.mine()
    suite.vault.pay(asset, ETH, 1_000, value=1_000, sender=stranger)
    suite.vault.pay(derived, ETH, 1_000, value=1_000, sender=stranger)
    token.mint(stranger, 50, sender=deployer)
    token.transfer(suite.vault, 10, sender=stranger)  # excess: nobody's revenue
    for mistaken in (suite.registry, suite.license, suite.meter, suite.court):  # by mistake
        token.transfer(mistaken, 10, sender=stranger)
    deadline = chain.blocks.head.timestamp + 10**6
    voucher = Voucher(license_id, alice.address, gateway.address, 55, deadline)
    v = voucher.as_tuple()
    signature = sign(voucher, chain.chain_id, suite.meter.address, alice.private_key)
    salt = keccak(text="salt")
    leaves = [registration_leaf(publisher, keccak(text=f"batch {i}"), salt) for i in (1, 2)]
    suite.registry.commit(commitment_of(leaves), sender=publisher)
    chain.mine(timestamp=chain.blocks.head.timestamp + 5)
    squat_root = keccak(text="batch 1")  # registered first by the stranger
    court.squat = register_asset(stranger, {stranger.address: 1}, content_root=squat_root)[0]
    claim_to = ClaimTo(asset, ETH, alice.address, alice.address, deadline=deadline)
    weight, proof = people.proof(alice)
    signed = sign_claim(claim_to, chain.chain_id, suite.vault.address, alice.private_key)
    signed_claim = claim_to_args(claim_to, weight, proof, signed)
    suite.private.seal(asset, keccak(text="seal"), keccak(text="key check"), sender=publisher)
    suite.private.setGranter(asset, gateway, True, sender=publisher)
    to_seal = register_asset(publisher, {publisher.address: 1})[0]
    attested, validator_set = _attestation_scene(suite, chain, asset, gateway)
    campaigns = _campaigns_after(
        k_before[0], k_before, k_claimable, contributors_of, publisher, stranger, gateway
    )
    return Scene(
        suite,
        token,
        roles,
        asset,
        derived,
        people,
        offer,
        license_id,
        (v, signature),
        leaves,
        signed_claim,
        court,
        to_seal=to_seal,
        campaigns=campaigns,
        attested=attested,
        validator_set=validator_set,
    )


def _attestation_scene(suite, chain, asset, validator):
    """The validator signs a passing attestation of `asset`, anchors it alone and forms a set."""
    claim = att.QualityClaim(
        bytes(suite.registry.asset(asset).contentRoot), asset, True, 0, 0, True, b"\x01" * 32
    )
    now = int(chain.pending_timestamp)
    msg = att.make_claim_attestation(claim, validator.address, now - 60, 0)
    uid = msg.uid()
    suite.attestations.anchor(att.batch_root([uid]), 1, sender=validator)
    struct = struct_of(msg)
    receipt = suite.attestations.createSet([validator.address], 1, sender=validator)
    set_id = receipt.events.filter(suite.attestations.ValidatorSetCreated)[0].setId
    return (asset, validator.address, struct, att.batch_proofs([uid])[0]), set_id


def _channel(license_id: int, payer: str, operator: str) -> bytes:
    return keccak(encode(["uint256", "address", "address"], [license_id, payer, operator]))


def resolve(name: str, w: Scene, caller: Any) -> Any:
    gateway = w.roles["gateway"].address
    return {
        "caller channel": _channel(w.license, caller.address, gateway),
        "caller signer slot": _channel(w.license, caller.address, ZERO),
        "buyer channel": _channel(w.license, w.roles["buyer"].address, gateway),
        "perpetual": 2**40 - 1,
        "caller": caller.address,
        "asset": w.asset,
        "license": w.license,
        "buyer": w.roles["buyer"].address,
        "eth": ETH,
        "zero": 0,
        "ten": 10,
        "license contract": w.suite.license.address,
        "meter contract": w.suite.meter.address,
        "batch commitment": commitment_of(w.leaves),
        "one": 1,
        "court contract": w.suite.court.address,
        "open claim": w.court.to_contest,
        "to seal": w.to_seal,
        "publisher": w.roles["publisher"].address,
        "gateway": w.roles["gateway"].address,
        "open campaign": w.campaigns.open.id,
        "claimable campaign": w.campaigns.claimable.id,
        "panel": w.court.panel.address,
    }[name]


def call(function: str, w: Scene, caller: Any) -> Any:
    """Sends `function` as `caller` with arguments that only the role can make fail."""
    s, tx = w.suite, {"sender": caller}
    reg, vault, lic, meter, court = s.registry, s.vault, s.license, s.meter, s.court
    c = w.court
    bond = int(court.BOND())
    fresh = keccak(text=f"{function}:{caller.address}")
    weight, proof = w.people.proof(w.roles["buyer"])
    claim = (w.asset, ETH, w.roles["buyer"].address, weight, proof)
    buyer = w.roles["buyer"].address
    terms = (w.asset, ETH, 1, 1, 0, 0, ACCESS, 0, False, 0, 0)
    gateway = w.roles["gateway"]
    solo = [(bytes(12) + bytes.fromhex(caller.address[2:]), 1)]  # the caller alone, weight 1
    calls = {
        "register": lambda: reg.register(DATASET, fresh, ZERO_SALT, solo, "u", fresh, [], **tx),
        "register derived": lambda: reg.register(
            MODEL, fresh, ZERO_SALT, solo, "u", fresh, [(w.asset, 500, w.license)], **tx
        ),
        "commit": lambda: reg.commit(fresh, **tx),
        "openCommitment": lambda: reg.openCommitment(w.leaves, **tx),
        "registry sweep": lambda: reg.sweep(w.token, **tx),
        "updateMetadata": lambda: reg.updateMetadata(w.asset, "ipfs://new", fresh, **tx),
        "setDelisted": lambda: reg.setDelisted(w.asset, True, **tx),
        "multicall": lambda: reg.multicall(
            [reg.updateMetadata.encode_input(w.asset, "ipfs://new", fresh)], **tx
        ),
        "wireLicenseGate": lambda: reg.wireLicenseGate(caller, **tx),
        "asset transferFrom": lambda: reg.transferFrom(
            w.roles["publisher"], w.roles["stranger"], w.asset, **tx
        ),
        "asset approve": lambda: reg.approve(w.roles["stranger"], w.asset, **tx),
        "pay": lambda: vault.pay(w.asset, ETH, 10, value=10, **tx),
        "flowUpstream": lambda: vault.flowUpstream(w.derived, ETH, **tx),
        "claim": lambda: vault.claim(*claim, **tx),
        "claimBatch": lambda: vault.claimBatch([claim], **tx),
        "claimTo": lambda: vault.claimTo(w.asset, ETH, weight, proof, w.roles["stranger"], **tx),
        "claimToSigned": lambda: vault.claimToSigned(*w.signed_claim, **tx),
        "withdrawFees": lambda: vault.withdrawFees(ETH, **tx),
        "sweepExcess": lambda: vault.sweepExcess(w.token, **tx),
        "createOffer": lambda: lic.createOffer(terms, **tx),
        "setOfferStatus": lambda: lic.setOfferStatus(w.offer, OFFER_PAUSED, **tx),
        "buy": lambda: lic.buy(w.offer, caller, 100, value=100, **tx),
        "license transferFrom": lambda: lic.transferFrom(
            buyer, w.roles["gateway"], w.license, **tx
        ),
        "license approve": lambda: lic.approve(w.roles["gateway"], w.license, **tx),
        "wireMeter": lambda: lic.wireMeter(caller, **tx),
        "license sweep": lambda: lic.sweep(w.token, **tx),
        "useDerive": lambda: lic.useDerive(w.license, caller, w.asset, **tx),
        # A second gateway for the buyer: the scene's channel with `gateway` exists already.
        "open": lambda: meter.open(w.license, w.roles["stranger"], ZERO, 0, **tx),
        "deposit": lambda: meter.deposit(w.license, gateway, 10, value=10, **tx),
        "requestWithdrawal": lambda: meter.requestWithdrawal(w.license, gateway, 10, **tx),
        "cancelWithdrawal": lambda: meter.cancelWithdrawal(w.license, gateway, **tx),
        "completeWithdrawal": lambda: meter.completeWithdrawal(w.license, gateway, **tx),
        "changeSigner": lambda: meter.changeSigner(w.license, caller, **tx),
        "settle": lambda: meter.settle(*w.voucher, **tx),
        "settleBatch": lambda: meter.settleBatch([w.voucher[0]], [w.voucher[1]], **tx),
        "meter": lambda: meter.meter(w.license, gateway, 1, **tx),
        "payAsset": lambda: meter.payAsset(w.asset, ETH, **tx),
        "withdrawEarnings": lambda: meter.withdrawEarnings(ETH, caller, **tx),
        "meter sweepExcess": lambda: meter.sweepExcess(w.token, **tx),
        "releaseUnits": lambda: meter.releaseUnits(w.license, buyer, gateway, **tx),
        "onLicenseTransfer": lambda: meter.onLicenseTransfer(w.license, buyer, caller, 0, **tx),
        "wireCourt": lambda: reg.wireCourt(caller, **tx),
        "setStatus": lambda: reg.setStatus(w.asset, 2, **tx),
        "vault wireCourt": lambda: vault.wireCourt(caller, **tx),
        "setHold": lambda: vault.setHold(w.asset, 2, 0, **tx),
        "release": lambda: vault.release(c.held, ETH, **tx),
        "openSubjective": lambda: court.openSubjective(c.target, 1, fresh, 0, value=bond, **tx),
        "openDuplicate": lambda: court.openDuplicate(*c.duplicate, value=bond, **tx),
        "claimPriorCommitment": lambda: court.claimPriorCommitment(
            c.squat, w.leaves, 0, keccak(text="salt"), 0, **tx
        ),
        "answerLineage": lambda: court.answerLineage(c.answered, [0, 0], **tx),
        "contest": lambda: court.contest(c.to_contest, value=bond, **tx),
        "resolve": lambda: court.resolve(c.to_resolve, **tx),
        "rule": lambda: court.rule(c.at_arbiter, True, **tx),
        "lapse": lambda: court.lapse(c.to_lapse, **tx),
        "withdrawDeposits": lambda: court.withdrawDeposits(**tx),
        "court sweepExcess": lambda: court.sweepExcess(w.token, **tx),
        "requestRuling": lambda: c.panel.requestRuling(c.to_contest, fresh, **tx),
        "vote": lambda: c.panel.vote(court, c.at_arbiter, True, **tx),
        "seal": lambda: s.private.seal(w.to_seal, fresh, fresh, **tx),
        "setGranter": lambda: s.private.setGranter(w.asset, w.roles["stranger"], True, **tx),
        "grantKey": lambda: s.private.grantKey(w.license, b"\x01" * 81, **tx),
        **_campaign_calls(w, caller, fresh),
        **_attestation_calls(w, caller, fresh),
    }
    return calls[function]()


def _campaign_calls(w: Scene, caller: Any, fresh: bytes) -> dict[str, Any]:
    k, tx = w.campaigns, {"sender": caller}
    c = k.driver.c
    buyer = w.roles["buyer"].address
    mine = k.open.params.but(requester=caller.address, goldCommitment=fresh)
    claimable = (k.claimable.id, k.claimable.params.t())
    weight, proof = k.people.proof(buyer)
    o = k.open

    def post():
        return c.postResult(
            o.id, o.params.t(), k.people.top, fresh, o.salt, o.gold_root, value=o.params.bond, **tx
        )

    return {
        "campaign create": lambda: c.create(mine.t(), value=mine.pool, **tx),
        "revealGold": lambda: c.revealGold(o.id, o.params.t(), o.salt, o.gold_root, **tx),
        "postResult": post,
        "challengeReport": lambda: c.challengeReport(
            k.posted.id, k.posted.params.t(), b"\0" * 64, k.posted.gold_root, **tx
        ),
        "dispute": lambda: c.dispute(
            k.posted.id, k.posted.params.t(), fresh, value=k.posted.params.bond, **tx
        ),
        "campaign rule": lambda: c.rule(case_of(k.disputed.id), True, **tx),
        "campaign lapse": lambda: c.lapse(k.to_lapse.id, **tx),
        "campaign claim": lambda: c.claim(*claimable, buyer, weight, proof, **tx),
        "campaign claimTo": lambda: c.claimTo(*claimable, weight, proof, caller, **tx),
        "campaign claimBatch": lambda: c.claimBatch(*claimable, [(buyer, weight, proof)], **tx),
        "finish": lambda: c.finish(k.over.id, k.over.params.t(), **tx),
        "withdrawCredit": lambda: c.withdrawCredit(ETH, caller, **tx),
    }


def _attestation_calls(w: Scene, caller: Any, fresh: bytes) -> dict[str, Any]:
    a, tx = w.suite.attestations, {"sender": caller}
    members = sorted([w.roles["stranger"].address, w.roles["gateway"].address], key=str.lower)
    return {
        "anchor": lambda: a.anchor(fresh, 3, **tx),
        "revokeOffchain": lambda: a.revokeOffchain(fresh, **tx),
        "multiRevokeOffchain": lambda: a.multiRevokeOffchain([fresh, keccak(fresh)], **tx),
        "createSet": lambda: a.createSet(members, 2, **tx),
        "certify": lambda: a.certify(*w.attested, **tx),
        "retire": lambda: a.retire(**tx),
        "requireAttestations": lambda: w.suite.license.requireAttestations(
            w.offer, w.validator_set, **tx
        ),
    }


def _plain(value: Any) -> Any:
    if isinstance(value, bytes):
        return bytes(value)
    return value.lower() if isinstance(value, str) else value


def outcome(function: str, w: Scene, caller: Any) -> tuple[str, tuple[Any, ...]]:
    try:
        receipt = call(function, w, caller)
    except ContractLogicError as err:
        values = tuple(_plain(v) for v in dict(getattr(err, "inputs", None) or {}).values())
        return type(err).__name__, values
    assert not receipt.failed
    return OK


@pytest.mark.parametrize("function,role,expected", CASES)
def test_access_matrix_cell(scene, function, role, expected, capfd):
    caller = scene.roles[role]
    name, names = expected
    want = (name, tuple(_plain(resolve(n, scene, caller)) for n in names))
    got = outcome(function, scene, caller)
    # ape prints the call trace of every revert to stdout, even under `-s` (make fuzz).
    sys.__stdout__.flush()
    capfd.readouterr()
    assert got == want


def test_access_matrix_covers_every_state_changing_function(scene):
    """A new external function on any of the nine contracts must get a row here (a row is
    named by its last word: "registry sweep" and "license sweep" are both `sweep`)."""
    rows = {name.split()[-1] for name in MATRIX}
    mutating: set[str] = set()
    s = scene.suite
    contracts = (s.registry, s.vault, s.license, s.meter, s.court, scene.court.panel, s.private)
    contracts += (s.campaigns, s.attestations)
    for contract in contracts:
        for abi in contract.contract_type.abi:
            if abi.type == "function" and abi.stateMutability in ("nonpayable", "payable"):
                mutating.add(abi.name)
    # ERC-721's other movers share transferFrom's and approve's authorization paths.
    covered_by_transfer = {"safeTransferFrom", "setApprovalForAll"}
    assert mutating - covered_by_transfer == rows - {"derived"}
