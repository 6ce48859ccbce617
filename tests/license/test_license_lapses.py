"""Issue 12 lapses in the license token: scope bits from one constants library, and the
registry's own error for an offer on an asset that does not exist."""

import ape
from license_helpers import raw_terms

from seedbed.core.constants import ACCESS, COMMERCIAL, DERIVE, INFER, TRAIN


def test_scope_constants_are_the_documented_bits(license_token):
    assert (
        (
            license_token.ACCESS(),
            license_token.TRAIN(),
            license_token.INFER(),
            license_token.COMMERCIAL(),
            license_token.DERIVE(),
        )
        == (1, 2, 4, 8, 16)
        == (ACCESS, TRAIN, INFER, COMMERCIAL, DERIVE)
    )


def test_all_defined_scopes_are_accepted_and_no_more(license_token, dataset, make_offer, publisher):
    asset_id, _ = dataset
    assert license_token.offer(make_offer(asset_id, scopes=31)).terms.scopes == 31
    with ape.reverts(license_token.LicenseTokenInvalidScopes, scopes=32):
        license_token.createOffer(raw_terms(asset_id, scopes=32), sender=publisher)


def test_offer_on_a_missing_asset_fails_with_the_registrys_unknown_asset(
    license_token, registry, publisher
):
    for missing in (0, registry.assetCount() + 1):
        with ape.reverts(license_token.AssetRegistryUnknownAsset, assetId=missing):
            license_token.createOffer(raw_terms(missing), sender=publisher)

    # The same error as the registry's, signature for signature (so the same selector).
    def signature(contract):
        errors = contract.contract_type.errors
        return [e.selector for e in errors if e.name == "AssetRegistryUnknownAsset"]

    assert signature(license_token) == signature(registry) == ["AssetRegistryUnknownAsset(uint256)"]
