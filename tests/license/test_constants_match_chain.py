"""The protocol constants Python keeps (seedbed.core.constants) are the deployed contracts'.

Every public UPPER_CASE getter of the seven contracts is either mirrored in Python, and must
equal it, or listed below with the reason it is not; a getter in neither table fails, so a
constant added to a contract cannot drift from Python unnoticed.
"""

import re

import ape
import pytest
from eth_utils import keccak
from license_helpers import raw_terms

from seedbed.core import access, attestations, constants, ecies
from seedbed.core.claim_to import CLAIM_TO_TYPE
from seedbed.core.errors import InputError
from seedbed.core.vouchers import VOUCHER_TYPEHASH
from seedbed.workflows.licensing import build_terms
from seedbed.workflows.royalties import ETHER

CONTRACTS = {
    "AssetRegistry": "registry",
    "RoyaltyVault": "vault",
    "LicenseToken": "license",
    "UsageMeter": "meter",
    "AssetCourt": "court",
    "PrivateData": "private",
    "LabelCampaigns": "campaigns",
    "Attestations": "attestations",
}

MIRRORED = {
    ("AssetRegistry", "MAX_PARENTS"): constants.MAX_PARENTS,
    ("RoyaltyVault", "MAX_FEE_BPS"): constants.MAX_FEE_BPS,
    ("LicenseToken", "ACCESS"): constants.ACCESS,
    ("LicenseToken", "TRAIN"): constants.TRAIN,
    ("LicenseToken", "INFER"): constants.INFER,
    ("LicenseToken", "COMMERCIAL"): constants.COMMERCIAL,
    ("LicenseToken", "DERIVE"): constants.DERIVE,
    ("LicenseToken", "MAX_DURATION"): constants.MAX_DURATION,
    ("UsageMeter", "USAGE_SCOPES"): constants.USAGE_SCOPES,
    ("UsageMeter", "VOUCHER_TYPEHASH"): VOUCHER_TYPEHASH,
    ("LicenseToken", "MAX_SERVICE_BPS"): constants.MAX_SERVICE_BPS,
    ("UsageMeter", "MIN_GRACE_PERIOD"): constants.MIN_GRACE_PERIOD,
    ("UsageMeter", "MAX_GRACE_PERIOD"): constants.MAX_GRACE_PERIOD,
    ("UsageMeter", "MAX_WITHDRAWAL_DELAY"): constants.MAX_WITHDRAWAL_DELAY,
    ("UsageMeter", "WITHDRAWAL_WINDOW"): constants.WITHDRAWAL_WINDOW,
    ("UsageMeter", "SIGNATURE_GAS"): constants.SIGNATURE_GAS,
    ("RoyaltyVault", "CLAIM_TO_TYPEHASH"): keccak(text=CLAIM_TO_TYPE),
    ("RoyaltyVault", "SIGNATURE_GAS"): constants.SIGNATURE_GAS,  # the ERC-1271 cap, as the meter
    ("AssetCourt", "MAX_LINEAGE_HOPS"): constants.MAX_LINEAGE_HOPS,
    # The signed release request (seedbed.core.access) and the smallest ECIES blob
    # (seedbed.core.ecies: a 33-byte ephemeral key and a 16-byte tag around nothing).
    ("PrivateData", "RELEASE_TYPEHASH"): access.RELEASE_TYPEHASH,
    ("PrivateData", "MIN_WRAPPED_KEY"): ecies.OVERHEAD,
    ("LabelCampaigns", "MAX_WINDOW"): constants.CAMPAIGN_MAX_WINDOW,
    ("LabelCampaigns", "MAX_BATCH"): constants.CAMPAIGN_MAX_BATCH,
    ("LabelCampaigns", "BATCH_ETH_GAS"): constants.CAMPAIGN_BATCH_ETH_GAS,
    ("LabelCampaigns", "PAYOUT_GAS"): constants.CAMPAIGN_PAYOUT_GAS,
    ("Attestations", "MAX_SET_SIZE"): constants.ATTESTATION_MAX_SET_SIZE,
    ("Attestations", "MAX_BATCH"): constants.ATTESTATION_MAX_BATCH,
    ("Attestations", "SCHEMA"): attestations.SCHEMA,
    ("Attestations", "SCHEMA_UID"): attestations.SCHEMA_UID,
}

_DEPLOYED = "set at deployment (seedbed.chain.deploy.Params), not a protocol constant"
_SUITE = "the address of another contract of the same deployment"
NOT_MIRRORED = {
    ("AssetRegistry", "WIRER"): _DEPLOYED,
    ("AssetRegistry", "TREASURY"): _DEPLOYED,
    ("AssetRegistry", "MIN_COMMIT_AGE"): _DEPLOYED,
    ("AssetRegistry", "MAX_COMMIT_AGE"): _DEPLOYED,
    ("RoyaltyVault", "REGISTRY"): _SUITE,
    ("RoyaltyVault", "TREASURY"): _DEPLOYED,
    ("RoyaltyVault", "FEE_BPS"): _DEPLOYED,
    ("RoyaltyVault", "MAX_BATCH"): "read from the vault where used (royalties.send_claims, claims)",
    ("RoyaltyVault", "BATCH_ETH_GAS"): "gas per ETH send inside claimBatch; no Python uses it",
    ("LicenseToken", "REGISTRY"): _SUITE,
    ("LicenseToken", "VAULT"): _SUITE,
    ("LicenseToken", "WIRER"): _DEPLOYED,
    ("LicenseToken", "ATTESTATIONS"): _SUITE,
    ("Attestations", "REGISTRY"): _SUITE,
    ("UsageMeter", "LICENSE"): _SUITE,
    ("UsageMeter", "VAULT"): _SUITE,
    (
        "UsageMeter",
        "MAX_BATCH",
    ): "read from the meter where used (meter and settle, check_batch_size)",
    ("UsageMeter", "WITHDRAWAL_DELAY"): _DEPLOYED,
    ("UsageMeter", "GRACE_PERIOD"): _DEPLOYED,
    ("RoyaltyVault", "WIRER"): _DEPLOYED,
    ("AssetCourt", "REGISTRY"): _SUITE,
    ("AssetCourt", "VAULT"): _SUITE,
    ("AssetCourt", "ARBITER"): _DEPLOYED,
    ("AssetCourt", "BOND"): _DEPLOYED,
    ("AssetCourt", "ANSWER_PERIOD"): _DEPLOYED,
    ("AssetCourt", "RULING_TIMEOUT"): _DEPLOYED,
    ("AssetCourt", "MIN_DUPLICATE_SIZE"): _DEPLOYED,
    ("LabelCampaigns", "ARBITER"): _DEPLOYED,
    ("LabelCampaigns", "RULING_TIMEOUT"): _DEPLOYED,
    ("PrivateData", "REGISTRY"): _SUITE,
    ("PrivateData", "LICENSE"): _SUITE,
    (
        "PrivateData",
        "MAX_WRAPPED_KEY",
    ): "a bound against oversized logs only; the tooling wraps a 32-byte key (81 bytes)",
}

_CONSTANT = re.compile(r"[A-Z][A-Z0-9_]*")


def constant_getters(suite):
    """(contract name, getter name) of every no-argument UPPER_CASE view of the eight."""
    found = set()
    for name, attribute in CONTRACTS.items():
        contract = getattr(suite, attribute)
        for method in contract.contract_type.view_methods:
            if not method.inputs and _CONSTANT.fullmatch(method.name):
                found.add((name, method.name))
    return found


def test_every_constant_getter_is_mirrored_or_has_a_reason(suite):
    getters = constant_getters(suite)
    unexplained = sorted(getters - MIRRORED.keys() - NOT_MIRRORED.keys())
    assert not unexplained, (
        f"{unexplained}: add each to seedbed/core/constants.py and MIRRORED, "
        "or to NOT_MIRRORED with the reason"
    )
    stale = sorted((MIRRORED.keys() | NOT_MIRRORED.keys()) - getters)
    assert not stale, f"{stale} are no longer getters of the deployed contracts"
    assert not MIRRORED.keys() & NOT_MIRRORED.keys()
    assert all(reason.strip() for reason in NOT_MIRRORED.values())


@pytest.mark.parametrize(("contract", "getter"), sorted(MIRRORED), ids="{0[0]}.{0[1]}".format)
def test_python_constant_equals_the_deployed_getter(suite, contract, getter):
    value = getattr(getattr(suite, CONTRACTS[contract]), getter)()
    expected = MIRRORED[(contract, getter)]
    if isinstance(expected, bytes):
        assert bytes(value) == expected
    elif isinstance(expected, str):
        assert value == expected
    else:
        assert int(value) == expected


def test_all_scopes_is_the_widest_mask_the_contract_accepts(
    license_token, dataset, publisher, make_offer
):
    """ALL_SCOPES has no getter (Scopes.ALL is internal): createOffer is its witness."""
    asset_id, _ = dataset
    offer_id = make_offer(asset_id, scopes=constants.ALL_SCOPES)
    assert license_token.offer(offer_id).terms.scopes == constants.ALL_SCOPES
    too_wide = constants.ALL_SCOPES + 1
    with ape.reverts(license_token.LicenseTokenInvalidScopes, scopes=too_wide):
        license_token.createOffer(raw_terms(asset_id, scopes=too_wide), sender=publisher)


@pytest.mark.parametrize(
    "duration",
    [constants.MAX_DURATION + 1, 200 * 365 * 86_400],
    ids=["one second above the maximum", "200 years"],
)
def test_python_and_the_contract_both_refuse_a_duration_above_the_maximum(
    license_token, dataset, publisher, duration
):
    asset_id, _ = dataset
    with pytest.raises(InputError, match="longer than the contract's maximum") as refused:
        build_terms(asset_id, ETHER, scopes="access", duration=str(duration))
    assert "\n" not in str(refused.value)

    cap = license_token.MAX_DURATION()
    with ape.reverts(license_token.LicenseTokenInvalidDuration, duration=duration, maxDuration=cap):
        license_token.createOffer(raw_terms(asset_id, duration=duration), sender=publisher)


def test_python_and_the_contract_both_accept_the_maximum_duration(
    license_token, dataset, publisher
):
    asset_id, _ = dataset
    terms = build_terms(asset_id, ETHER, scopes="access", duration=str(constants.MAX_DURATION))
    receipt = license_token.createOffer(terms.as_tuple(), sender=publisher)
    offer_id = receipt.events.filter(license_token.OfferCreated)[0].offerId
    assert license_token.offer(offer_id).terms.duration == constants.MAX_DURATION
