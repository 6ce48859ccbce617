"""Who may call what: every state-changing function of the four contracts, by every role.

The table below is the access policy. A cell is OK (the call succeeds) or the exact custom
error with its values; `caller`, `asset`, `license` ... in an error name the values of the
scene set up once for the module: the publisher owns asset A (and its derivative D, which
has pending upstream), sells offer O (with a service share), and the buyer holds license L
(ACCESS | DERIVE scope) with a channel to the gateway: a reserve, units metered (so the asset
is owed and the gateway has earnings), a withdrawal that is ready and a signed voucher; the
publisher has a batch commitment; a few tokens were sent to each contract by mistake. Money
moves (pay, claim, flow, settle, payAsset, sweeps) are open to anyone; funds only ever go to
the account or treasury entitled. onLicenseTransfer is the license contract's alone, useDerive
the registry's; a commitment opens for its committer only; claimTo pays the caller's own share.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

import pytest
from ape.exceptions import ContractLogicError
from eth_abi import encode
from eth_utils import keccak
from testkit.registering import ZERO_SALT, commitment_of, registration_leaf

from seedbed.core.claim_to import ClaimTo
from seedbed.core.claim_to import args as claim_to_args
from seedbed.core.claim_to import sign as sign_claim
from seedbed.core.constants import ACCESS, DATASET, DERIVE, ETH, MODEL, OFFER_PAUSED
from seedbed.core.vouchers import Voucher, sign

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


@pytest.fixture(scope="module")
def scene(
    suite, chain, deployer, publisher, alice, bob, stranger, gateway, token, register_asset
) -> Scene:
    roles = dict(owner=deployer, publisher=publisher, buyer=alice, stranger=stranger)
    roles["gateway"] = gateway
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
    chain.pending_timestamp += suite.meter.WITHDRAWAL_DELAY()
    chain.mine()
    suite.vault.pay(asset, ETH, 1_000, value=1_000, sender=stranger)
    suite.vault.pay(derived, ETH, 1_000, value=1_000, sender=stranger)
    token.mint(stranger, 40, sender=deployer)
    token.transfer(suite.vault, 10, sender=stranger)  # excess: nobody's revenue
    for mistaken in (suite.registry, suite.license, suite.meter):  # sent there by mistake
        token.transfer(mistaken, 10, sender=stranger)
    deadline = chain.blocks.head.timestamp + 10**6
    voucher = Voucher(license_id, alice.address, gateway.address, 55, deadline)
    v = voucher.as_tuple()
    signature = sign(voucher, chain.chain_id, suite.meter.address, alice.private_key)
    salt = keccak(text="salt")
    leaves = [registration_leaf(publisher, keccak(text=f"batch {i}"), salt) for i in (1, 2)]
    suite.registry.commit(commitment_of(leaves), sender=publisher)
    claim_to = ClaimTo(asset, ETH, alice.address, alice.address, deadline=deadline)
    weight, proof = people.proof(alice)
    signed = sign_claim(claim_to, chain.chain_id, suite.vault.address, alice.private_key)
    signed_claim = claim_to_args(claim_to, weight, proof, signed)
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
    )


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
    }[name]


def call(function: str, w: Scene, caller: Any) -> Any:
    """Sends `function` as `caller` with arguments that only the role can make fail."""
    s, tx = w.suite, {"sender": caller}
    reg, vault, lic, meter = s.registry, s.vault, s.license, s.meter
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
    }
    return calls[function]()


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


def test_access_matrix_covers_every_state_changing_function(suite, token):
    """A new external function on any of the four contracts must get a row here (a row is
    named by its last word: "registry sweep" and "license sweep" are both `sweep`)."""
    rows = {name.split()[-1] for name in MATRIX}
    mutating: set[str] = set()
    for contract in (suite.registry, suite.vault, suite.license, suite.meter):
        for abi in contract.contract_type.abi:
            if abi.type == "function" and abi.stateMutability in ("nonpayable", "payable"):
                mutating.add(abi.name)
    # ERC-721's other movers share transferFrom's and approve's authorization paths.
    covered_by_transfer = {"safeTransferFrom", "setApprovalForAll"}
    assert mutating - covered_by_transfer == rows - {"derived"}
