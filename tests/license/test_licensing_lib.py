"""seedbed.workflows.licensing without a chain: terms from human input, the checks scripts
run before sending, and how licenses and offers read."""

import pytest

from seedbed.core.constants import (
    DERIVE,
    ETH,
    INFER,
    MAX_SERVICE_BPS,
    OFFER_ACTIVE,
    OFFER_PAUSED,
    OFFER_RETIRED,
    TRAIN,
)
from seedbed.core.errors import ChainError, InputError
from seedbed.workflows.licensing import (
    LicenseState,
    OfferState,
    Terms,
    approx_duration,
    build_terms,
    check_buyable,
    check_license,
    check_status_change,
    describe_expiry,
    describe_license,
    describe_offer,
    describe_terms,
    format_bps,
    format_period,
    parse_bps,
    parse_count,
    require_offer_id,
)
from seedbed.workflows.royalties import ETHER, Currency

USDC = Currency("0x" + "11" * 20, "USDC", 6)
BOB, ALICE = "0x" + "b0" * 20, "0x" + "a1" * 20
NOW = 1_700_000_000


def test_build_terms_reads_human_units():
    terms = build_terms(
        7,
        USDC,
        price="12.5",
        unit_price="0.0001",
        duration="30d",
        scopes="train, infer",
        max_units="1_000",
        supply="5",
        soulbound=True,
        min_share="2.5%",
        service_share="12%",
    )
    assert terms == Terms(
        7, USDC.address, 12_500_000, 100, 30 * 86400, 1000, 6, 250, True, 5, 1_200
    )
    assert terms.as_tuple() == (
        7, USDC.address, 12_500_000, 100, 2_592_000, 1000, 6, 250, True, 5, 1_200,
    )  # fmt: skip


def test_build_terms_defaults_to_a_free_perpetual_unlimited_offer():
    terms = build_terms(1, ETHER, scopes="access")
    assert (terms.price, terms.duration, terms.max_units, terms.supply_cap) == (0, 0, 0, 0)
    assert (terms.currency, terms.soulbound, terms.min_upstream_bps) == (ETH, False, 0)
    assert terms.service_bps == 0


@pytest.mark.parametrize(
    ("field", "text", "message"),
    [
        ("duration", "30x", "not a duration"),
        ("scopes", "fly", "not a scope"),
        ("scopes", " ", "no scope given"),
        ("price", "0.0.5", "not an amount"),
        ("price", "0.0000001", "more decimals than USDC's 6"),
        ("unit_price", "-1", "negative"),
        ("max_units", "lots", "--max-units must be a whole number"),
        ("supply", "1.5", "--supply must be a whole number"),
        ("supply", str(2**32), "--supply must be between 0 and"),
        ("min_share", "101%", "more than 100%"),
        ("min_share", "10001", "more than 100%"),
        ("min_share", "2.555%", "not a percentage"),
        ("price", str(2**128), "the price must be between 0 and"),
        ("service_share", "50.01%", "--service-share of 50.01% is more than the contract's"),
        ("service_share", "5001", r"maximum of 50% \(5000 bps\)"),
        ("service_share", "ten", "--service-share must be a whole number"),
    ],
)
def test_build_terms_refuses_bad_input_in_one_sentence(field, text, message):
    kwargs = {"scopes": "train", field: text}
    with pytest.raises(InputError, match=message) as err:
        build_terms(1, USDC, **kwargs)
    assert "\n" not in str(err.value)


def test_terms_refuse_values_the_contract_would():
    with pytest.raises(InputError, match="scope mask"):
        Terms(1, scopes=32)
    with pytest.raises(InputError, match="asset id"):
        Terms(0)
    with pytest.raises(InputError, match="use 'perpetual'"):
        Terms(1, duration=2**40 - 1)  # the contract's buy would overflow its uint40 expiry
    assert Terms(1, duration=100 * 365 * 86400).duration == 3_153_600_000
    assert Terms(1, service_bps=MAX_SERVICE_BPS).service_bps == 5_000
    with pytest.raises(InputError, match="--service-share"):
        Terms(1, service_bps=MAX_SERVICE_BPS + 1)


def test_bps_and_counts():
    assert [parse_bps(t) for t in ("0", "500", "5%", "2.5%", "0.01%", "100%")] == [
        0, 500, 500, 250, 1, 10_000,
    ]  # fmt: skip
    assert [format_bps(b) for b in (0, 1, 250, 500, 10_000)] == [
        "0%", "0.01%", "2.5%", "5%", "100%",
    ]  # fmt: skip
    assert parse_count("1,000", "--supply") == 1000
    with pytest.raises(InputError, match="--supply must be a whole number"):
        parse_count("-3", "--supply")


def test_periods_read_as_written():
    assert format_period(30 * 86400) == "30d"
    assert format_period(0) == "perpetual"
    assert format_period(90 * 60) == "1h30m"
    assert approx_duration(30 * 86400 - 1) == "29d23h"
    assert approx_duration(3 * 3600 + 60 + 5) == "3h1m"
    assert approx_duration(42) == "42s"
    assert approx_duration(0) == "0s"


# ----------------------------------------------------------------------- offers


def offer(status=OFFER_ACTIVE, sold=0, cap=0, price=10**17):
    return OfferState(4, Terms(9, price=price, scopes=TRAIN, supply_cap=cap), status, sold, BOB)


def test_check_buyable_passes_a_good_offer():
    check_buyable(offer(cap=3, sold=2), True, 10**17, ETHER)
    check_buyable(offer(), True, None, ETHER)  # no ceiling given


@pytest.mark.parametrize(
    ("state", "listed", "ceiling", "message"),
    [
        (offer(status=OFFER_PAUSED), True, None, "Offer 4 is paused"),
        (offer(status=OFFER_RETIRED), True, None, "Offer 4 is retired"),
        (offer(cap=2, sold=2), True, None, r"Offer 4 is sold out \(2 of 2\)"),
        (offer(), True, 10**17 - 1, "costs 0.1 ETH, above your --max-price of 0.0999"),
        (offer(), False, None, "Asset 9 is delisted"),
    ],
)
def test_check_buyable_names_the_reason(state, listed, ceiling, message):
    with pytest.raises(ChainError, match=message):
        check_buyable(state, listed, ceiling, ETHER)


def test_status_changes_and_offer_ids():
    check_status_change(offer(), OFFER_PAUSED)
    with pytest.raises(ChainError, match="already paused"):
        check_status_change(offer(status=OFFER_PAUSED), OFFER_PAUSED)
    with pytest.raises(ChainError, match="retired offer never changes"):
        check_status_change(offer(status=OFFER_RETIRED), OFFER_ACTIVE)
    require_offer_id(3, 3)
    for missing in (0, 4):
        with pytest.raises(ChainError, match=f"Offer {missing} does not exist"):
            require_offer_id(missing, 3)


def test_offer_and_terms_read_plainly():
    state = OfferState(
        2,
        Terms(5, USDC.address, 5_000_000, 100, 86400 * 30, 10, TRAIN | INFER, 500, True, 3, 250),
        1, 1, BOB,
    )  # fmt: skip
    assert describe_offer(state, USDC) == (
        "offer 2: active, asset 5, 5 USDC, train,infer, 30d, 0.0001 USDC per unit, "
        "max 10 units, min share 5%, service share 2.5%, soulbound, 1 of 3 sold"
    )
    lines = describe_terms(state.terms, USDC)
    assert "price:       5 USDC" in lines
    assert "service:     2.5% of each metered charge to the gateway operator" in lines
    assert "transfers:   soulbound (cannot move)" in lines


# ----------------------------------------------------------------------- licenses


def lic(expires=NOW + 100, cap=0, scopes=TRAIN | DERIVE, min_bps=300):
    terms = Terms(9, scopes=scopes, max_units=cap, min_upstream_bps=min_bps, duration=100)
    return LicenseState(12, 4, BOB, terms, NOW, expires)


def test_status_by_the_contract_rule():
    """Valid = not expired (units used are per channel in the meter, not the license's)."""
    assert lic().status(NOW + 99) == "valid"
    assert lic().status(NOW + 100) == "expired"  # from expiresAt on, inclusive
    assert lic(expires=0).status(NOW + 10**9) == "valid"
    assert lic(cap=5).status(NOW) == "valid"
    assert lic(cap=5).status(NOW + 100) == "expired"


def test_license_reads_plainly():
    assert describe_license(lic(cap=5), NOW) == (
        "license 12: valid, asset 9, offer 4, scopes train,derive, "
        "expires 2023-11-14 22:15:00 UTC (in 1m40s), capped at 5 units"
    )
    assert describe_license(lic(), NOW).endswith("unlimited units")
    assert describe_expiry(0, NOW) == "never expires"
    assert describe_expiry(NOW, NOW).startswith("expired 2023-11-14")


def test_check_license_passes_a_serving_license():
    check_license(lic(), NOW, account=BOB.upper().replace("0X", "0x"), scopes=DERIVE)
    check_license(lic(), NOW, scopes=TRAIN, asset_id=9, share_bps=300)


@pytest.mark.parametrize(
    ("state", "kwargs", "message"),
    [
        (lic(expires=NOW), {}, "License 12 expired at 2023-11-14"),
        (lic(), {"account": ALICE}, f"License 12 is held by {BOB}, not {ALICE}"),
        (lic(), {"scopes": INFER | TRAIN}, r"lacks the infer scope \(it has train,derive\)"),
        (lic(), {"asset_id": 8}, "License 12 is for asset 9, not asset 8"),
        (lic(), {"share_bps": 299}, "2.99% upstream share is below the 3% minimum"),
    ],
)
def test_check_license_names_the_reason(state, kwargs, message):
    with pytest.raises(ChainError, match=message):
        check_license(state, NOW, **kwargs)
