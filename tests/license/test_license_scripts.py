"""`ape run offer / buy / licenses / offers` as a user runs them: what they print, what they
do on chain, and one clear `error:` line (nothing sent) for every bad input."""

import re

import pytest

from seedbed.core.constants import (
    DERIVE,
    ETH,
    INFER,
    OFFER_ACTIVE,
    OFFER_PAUSED,
    OFFER_RETIRED,
    TRAIN,
)

PUBLISHER, ALICE, BOB, STRANGER = 1, 2, 3, 5


def ok(result):
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


def refused(result, *fragments):
    """Exit non-zero with exactly one `error:` line naming the problem, and no traceback."""
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    for fragment in fragments:
        assert fragment.lower() in errors[0].lower(), errors[0]
    return errors[0]


def nonces(accounts):
    return [a.nonce for a in accounts]


def new_id(text, what):
    match = re.search(rf"{what} (\d+)", text)
    assert match, text
    return int(match.group(1))


@pytest.fixture
def people(accounts):
    return [accounts[i] for i in (PUBLISHER, ALICE, BOB, STRANGER)]


def test_publish_buy_list_and_check(
    run_script, license_token, vault, dataset, publisher, bob, chain
):
    asset_id, _ = dataset
    out = ok(
        run_script(
            "offer", asset_id, "--price", "0.05", "--unit-price", "0.0001",
            "--duration", "30d", "--scopes", "train,infer", "--max-units", "1000",
            "--supply", "5", "--min-share", "5%", "--service-share", "7.5%", account=PUBLISHER,
        )
    )  # fmt: skip
    offer_id = new_id(out, "offer")
    assert f"offer {offer_id} published for asset {asset_id}" in out
    assert "0.05 ETH" in out and "train,infer" in out and "30d" in out
    assert "service:     7.5% of each metered charge to the gateway operator" in out
    terms = license_token.offer(offer_id).terms
    assert (terms.price, terms.unitPrice, terms.duration) == (5 * 10**16, 10**14, 30 * 86400)
    assert (terms.scopes, terms.maxUnits, terms.supplyCap) == (TRAIN | INFER, 1000, 5)
    assert (terms.minUpstreamBps, terms.soulbound, terms.currency) == (500, False, ETH)
    assert terms.serviceBps == 750

    accrued = vault.accrued(asset_id, ETH)
    out = ok(run_script("buy", offer_id, account=BOB))
    license_id = new_id(out, "license")
    assert f"license {license_id} bought for 0.05 ETH" in out
    assert "expires" in out and "(in 30d)" in out
    assert license_token.ownerOf(license_id) == bob.address
    assert vault.accrued(asset_id, ETH) - accrued == 5 * 10**16

    out = ok(run_script("licenses", account=BOB))
    assert f"{bob.address} holds 1 license" in out
    assert re.search(rf"license {license_id}: valid, asset {asset_id}, offer {offer_id}", out)
    assert "capped at 1000 units" in out

    out = ok(run_script("licenses", "--check", license_id, "--scopes", "train", account=BOB))
    assert f"license {license_id} is valid, held by {bob.address}, carries train" in out

    out = ok(run_script("offers", asset_id, account=None))
    assert re.search(rf"offer {offer_id}: active, asset {asset_id}, 0.05 ETH, train,infer", out)
    assert "1 of 5 sold" in out and "service share 7.5%" in out


def test_erc20_offer_and_buy_with_approve(run_script, license_token, vault, token, dataset, bob):
    asset_id, _ = dataset
    out = ok(
        run_script(
            "offer", asset_id, "--price", "12.5", "--scopes", "access", "--token", token.address,
            "--soulbound", account=PUBLISHER,
        )
    )  # fmt: skip
    offer_id = new_id(out, "offer")
    assert "12.5 TUSD" in out and "soulbound" in out
    price = 125 * 10**17
    assert license_token.offer(offer_id).terms.price == price

    token.mint(bob, price, sender=bob)
    before = bob.nonce
    refused(run_script("buy", offer_id, account=BOB), "allowance", "--approve")
    assert bob.nonce == before and license_token.balanceOf(bob) == 0

    out = ok(run_script("buy", offer_id, "--approve", account=BOB))
    assert "approved the license contract to spend 12.5 TUSD" in out
    assert "never expires" in out
    assert token.balanceOf(bob) == 0
    assert vault.accrued(asset_id, token.address) == price
    assert token.allowance(bob, license_token) == 0  # exactly the price was approved


def test_pause_resume_retire(run_script, license_token, dataset, make_offer, bob):
    asset_id, _ = dataset
    offer_id = make_offer(asset_id, price=10**15)
    out = ok(run_script("offer", "--pause", offer_id, account=PUBLISHER))
    assert f"offer {offer_id} paused" in out
    assert license_token.offer(offer_id).status == OFFER_PAUSED
    before = bob.nonce
    refused(run_script("buy", offer_id, account=BOB), f"offer {offer_id} is paused")
    assert bob.nonce == before
    assert f"offer {offer_id} resumed" in ok(
        run_script("offer", "--resume", offer_id, account=PUBLISHER)
    )
    assert license_token.offer(offer_id).status == OFFER_ACTIVE
    assert f"offer {offer_id} retired" in ok(
        run_script("offer", "--retire", offer_id, account=PUBLISHER)
    )
    assert license_token.offer(offer_id).status == OFFER_RETIRED


@pytest.mark.parametrize(
    ("args", "account", "fragments"),
    [
        (["--scopes", "train"], STRANGER, ["not the owner of asset"]),
        (["--scopes", "train", "--duration", "30x"], PUBLISHER, ["'30x' is not a duration"]),
        (["--scopes", "fly"], PUBLISHER, ["'fly' is not a scope"]),
        (["--scopes", "train", "--price", "0.0.5"], PUBLISHER, ["is not an amount"]),
    ],
)
def test_offer_refuses_bad_input(
    run_script, license_token, dataset, people, args, account, fragments
):
    asset_id, _ = dataset
    count, before = license_token.offerCount(), nonces(people)
    refused(run_script("offer", asset_id, *args, account=account), *fragments)
    assert license_token.offerCount() == count
    assert nonces(people) == before


def test_buy_refuses_before_sending(
    run_script, license_token, registry, dataset, make_offer, buy, publisher, people
):
    asset_id, _ = dataset
    pricey = make_offer(asset_id, price=2 * 10**17)
    sold_out = make_offer(asset_id, supplyCap=1)
    buy(sold_out, publisher)
    count, before = license_token.licenseCount(), nonces(people)

    refused(
        run_script("buy", pricey, "--max-price", "0.1", account=BOB),
        "costs 0.2 ETH, above your --max-price of 0.1 ETH",
    )
    refused(run_script("buy", sold_out, account=BOB), "sold out")
    refused(run_script("buy", 999, account=BOB), "offer 999 does not exist")
    assert nonces(people) == before
    registry.setDelisted(asset_id, True, sender=publisher)
    before = nonces(people)
    refused(run_script("buy", pricey, account=BOB), "delisted")

    assert license_token.licenseCount() == count
    assert nonces(people) == before


def test_license_check_explains_why_a_license_would_not_serve(
    chain, run_script, license_token, dataset, make_offer, buy, bob, people
):
    asset_id, _ = dataset
    derive = buy(make_offer(asset_id, scopes=TRAIN | DERIVE, minUpstreamBps=700, duration=900), bob)
    before = nonces(people)

    refused(
        run_script("licenses", "--check", derive, "--scopes", "infer", account=BOB),
        "lacks the infer scope",
    )
    refused(
        run_script("licenses", "--check", derive, "--asset", asset_id, "--share", "5%",
                   account=BOB),
        "5% upstream share is below the 7% minimum",
    )  # fmt: skip
    chain.mine(timestamp=license_token.expiresAt(derive))
    refused(run_script("licenses", "--check", derive, account=BOB), f"license {derive} expired")
    assert nonces(people) == before


def test_licenses_lists_usage_per_channel_and_transferred_licenses(
    run_script, license_token, meter, dataset, make_offer, buy, bob, alice, gateway
):
    asset_id, _ = dataset
    capped = buy(make_offer(asset_id, maxUnits=2, scopes=INFER), bob)
    moved = buy(make_offer(asset_id), bob)
    kept = buy(make_offer(asset_id), bob)
    meter.open(capped, gateway, bob, 0, sender=bob)
    meter.meter(capped, gateway, 2, sender=bob)  # free units, charged on chain by the holder
    license_token.transferFrom(bob, alice, moved, sender=bob)

    out = ok(run_script("licenses", account=BOB))
    assert f"{bob.address} holds 2 licenses" in out
    assert f"license {capped}: valid" in out and "capped at 2 units" in out
    assert f"channel to {gateway.address}: 2 units used of 2, reserve 0 ETH" in out
    assert f"license {kept}: valid" in out
    assert f"license {moved}:" not in out
    out = ok(run_script("licenses", alice.address, account=None))
    assert f"license {moved}: valid" in out
