"""Values shared with the contracts, in one place.

Each one that a contract exposes as an UPPER_CASE getter is compared with the deployed
contract by tests/license/test_constants_match_chain.py; a getter added to a contract fails
that test until it has a counterpart here or a reason in the test's "not mirrored" table.
"""

ETH = "0x0000000000000000000000000000000000000000"
"""The vault's and the meter's currency id for native ETH."""

# -- asset kinds (AssetRegistry) ------------------------------------------------------------

DATASET, MODEL, OTHER = 0, 1, 2
KINDS = {"dataset": DATASET, "model": MODEL, "other": OTHER}

MAX_PARENTS = 16
"""AssetRegistry.MAX_PARENTS: the most parents one asset can derive from."""

# -- license scopes (LicenseToken, contracts/libraries/Scopes.sol) --------------------------

ACCESS, TRAIN, INFER, COMMERCIAL, DERIVE = 1, 2, 4, 8, 16
ALL_SCOPES = ACCESS | TRAIN | INFER | COMMERCIAL | DERIVE  # Scopes.ALL: valid offer scopes
USAGE_SCOPES = ACCESS | TRAIN | INFER
"""UsageMeter.USAGE_SCOPES (Scopes.METERED): a license needs one of these to be metered."""

# -- shares and fees --------------------------------------------------------------------------

BPS = 10_000
"""Basis points in 100%: every share and fee is out of this."""
MAX_FEE_BPS = 500
"""RoyaltyVault.MAX_FEE_BPS: the highest protocol fee a deployment may set (5%)."""

# -- offers (LicenseToken) --------------------------------------------------------------------

OFFER_NONE, OFFER_ACTIVE, OFFER_PAUSED, OFFER_RETIRED = 0, 1, 2, 3

MAX_DURATION = 100 * 365 * 86_400
"""LicenseToken.MAX_DURATION: the longest license an offer can sell (100 years of 365 days);
createOffer refuses a longer one with LicenseTokenInvalidDuration."""

MAX_SERVICE_BPS = 5_000
"""LicenseToken.MAX_SERVICE_BPS: the largest share of each metered charge an offer may give the
gateway operator named in the payer's voucher (50%)."""

# -- metering (UsageMeter) ----------------------------------------------------------------------

MIN_GRACE_PERIOD = 3_600
MAX_GRACE_PERIOD = 30 * 86_400
MAX_WITHDRAWAL_DELAY = 90 * 86_400
"""UsageMeter's deployment bounds: 1 hour ≤ grace period ≤ 30 days and grace period ≤
withdrawal delay ≤ 90 days, so a reserve can never leave before the settlement window a
gateway was promised."""

WITHDRAWAL_WINDOW = 3 * 86_400
"""UsageMeter.WITHDRAWAL_WINDOW: a ready withdrawal completes within this long or lapses."""

SIGNATURE_GAS = 60_000
"""UsageMeter.SIGNATURE_GAS: the most gas one ERC-1271 voucher-signature check may use."""

MAX_LINEAGE_HOPS = 8
"""AssetCourt.MAX_LINEAGE_HOPS: the longest parent path a duplicate claim's answer may walk."""

# -- labeling campaigns (LabelCampaigns) -------------------------------------------------------

CAMPAIGN_MAX_WINDOW = 365 * 86_400
"""LabelCampaigns.MAX_WINDOW: the longest challenge or claim window, and how far ahead postBy
may be, so no pool or bond is locked for years by a typo."""

CAMPAIGN_MAX_BATCH = 64
"""LabelCampaigns.MAX_BATCH: the most claims in one claimBatch."""

CAMPAIGN_BATCH_ETH_GAS = 100_000
CAMPAIGN_PAYOUT_GAS = 100_000
"""LabelCampaigns.BATCH_ETH_GAS and PAYOUT_GAS: the gas each ETH send of a batch, and each
payout of finish, is given; a call left with less than that (× 64/63) is refused."""

# -- Solidity integer limits (the widths of the contracts' struct fields) ----------------------

UINT32_MAX = 2**32 - 1
UINT40_MAX = 2**40 - 1
UINT64_MAX = 2**64 - 1
UINT128_MAX = 2**128 - 1
UINT256_MAX = 2**256 - 1

# -- validator attestations (Attestations) -----------------------------------------------------

ATTESTATION_MAX_SET_SIZE = 16
"""Attestations.MAX_SET_SIZE: the most validators in a set, so `satisfied` (read by every gated
`buy`) costs O(16) storage reads at most."""

ATTESTATION_MAX_BATCH = 256
"""Attestations.MAX_BATCH: the most UIDs one multiRevokeOffchain revokes."""
