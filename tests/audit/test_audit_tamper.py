"""The audit catches tampered vaults and wrong trees, and tells warnings from failures."""

import pytest

from seedbed.core.constants import ETH


def failed_checks(result):
    return {f.check for f in result.findings.failures}


def pay_and_claim(vault, token, asset, people, payer, claimants, caller):
    token.mint(payer, 10**20, sender=payer)
    token.approve(vault, 10**20, sender=payer)
    vault.pay(asset, ETH, 10**18, value=10**18, sender=payer)
    vault.pay(asset, token, 3 * 10**18, sender=payer)
    for who in claimants:
        weight, proof = people.proof(who.address)
        for currency in (ETH, token):
            vault.claim(asset, currency, who, weight, proof, sender=caller)


@pytest.fixture
def asset(register_asset, publisher, alice, bob):
    return register_asset(publisher, {alice.address: 1, bob.address: 2})


def test_skimming_vault_is_caught_per_claim(
    audit, project, registry, treasury, deployer, token, asset, alice, bob, stranger
):
    skimmer = deployer.deploy(project.SkimmingVault, registry, treasury)
    asset_id, people = asset
    pay_and_claim(skimmer, token, asset_id, people, deployer, [alice, bob], stranger)

    result = audit(vault=skimmer.address, trees={asset_id: people.tree})
    assert not result.ok
    skims = [f for f in result.findings.failures if f.check == "vault payouts match transfers"]
    # Two claimants x two currencies: each claim sent one wei less than its Claimed event.
    assert len(skims) == 4
    assert {(f.account, f.currency) for f in skims} == {
        (who.address.lower(), cur) for who in (alice, bob) for cur in (ETH, token.address.lower())
    }
    assert all(f.expected - f.found == 1 and f.asset == asset_id and f.tx for f in skims)
    # The transfers give the skim away claim by claim; what the skimmer kept is also stranded
    # in its balance beyond the books (one finding per currency).
    assert failed_checks(result) == {"vault payouts match transfers", "vault balance = books"}
    stranded = [f for f in result.findings.failures if f.check == "vault balance = books"]
    assert sorted(f.found - f.expected for f in stranded) == [2, 2]
    html = result.paths["html"].read_text()
    assert 'id="verdict">FAILED<' in html and html.count('<tr class="fail">') == 4 + 2 + 2


def test_mis_splitting_vault_is_caught(
    audit, project, registry, treasury, deployer, token, asset, alice, stranger
):
    bad = deployer.deploy(project.MisSplittingVault, registry, treasury)
    asset_id, people = asset
    token.mint(deployer, 10**20, sender=deployer)
    token.approve(bad, 10**20, sender=deployer)
    bad.pay(asset_id, ETH, 10**18, value=10**18, sender=deployer)
    bad.pay(asset_id, token, 10**18, sender=deployer)
    bad.pay(asset_id, token, 5, sender=deployer)

    result = audit(vault=bad.address)
    assert {"payment split", "conservation"} <= failed_checks(result)
    splits = [f for f in result.findings.failures if f.check == "payment split"]
    assert len(splits) == 3
    assert all(sum(f.found) == sum(f.expected) + 1 for f in splits)
    conservation = {f.currency: f for f in result.findings.failures if f.check == "conservation"}
    assert (
        conservation[token.address.lower()].found - conservation[token.address.lower()].expected
        == 2
    )
    assert conservation[ETH].found - conservation[ETH].expected == 1


def test_honest_vault_with_fees_and_a_fee_on_transfer_token_passes(
    audit, project, registry, treasury, deployer, fot_token, asset, alice, bob, stranger
):
    vault = deployer.deploy(project.RoyaltyVault, registry, treasury, 250, deployer)
    asset_id, people = asset
    pay_and_claim(vault, fot_token, asset_id, people, deployer, [alice], stranger)
    vault.withdrawFees(ETH, sender=stranger)
    result = audit(vault=vault.address, trees={asset_id: people.tree})
    assert result.ok, [f.message for f in result.findings.failures]
    books = result.ledger.books[ETH]
    assert books.fees_earned == books.fees_withdrawn == 10**18 * 250 // 10_000
    assert result.ledger.books[fot_token.address.lower()].fees == vault.fees(fot_token)


def test_tokens_sent_directly_are_stranded_until_swept(
    audit, suite, token, deployer, economy, vault
):
    token.transfer(vault, 777, sender=deployer)
    result = audit()
    assert failed_checks(result) == {"vault balance = books"}
    (stranded,) = [f for f in result.findings.failures if f.check == "vault balance = books"]
    assert stranded.found - stranded.expected == 777 and "Stranded" in stranded.message
    (excess,) = [f for f in result.findings.warnings if f.check == "vault excess"]
    assert excess.found == 777 and excess.currency == token.address.lower()
    vault.sweepExcess(token, sender=deployer)
    after = audit()
    assert after.ok and not after.findings.warnings


def test_wrong_tree_fails_naming_the_asset(audit, economy):
    swapped = {economy.dataset: economy.trees[economy.model]}
    result = audit(trees=swapped)
    (wrong,) = result.findings.failures
    assert wrong.check == "tree matches registration" and wrong.asset == economy.dataset
    assert wrong.expected == ["0x" + economy.d_people.root.hex(), economy.d_people.total]
    assert wrong.found == ["0x" + economy.m_people.root.hex(), economy.m_people.total]


def test_unknown_asset_for_a_tree_is_an_input_error(audit, economy):
    from seedbed.core.errors import InputError

    with pytest.raises(InputError, match="Asset 99 is not registered"):
        audit(trees={99: economy.trees[economy.model]})


# -- the meter: an index that lost or changed events disagrees with the chain ---------------------


def _tamper(db, name, change):
    """Rewrite (or with change=None delete) the first stored event called `name`, and drop the
    ledger snapshot so the next audit rebuilds from the altered events."""
    import json
    import sqlite3

    with sqlite3.connect(db) as con:
        block, index, args = con.execute(
            "SELECT block_number, log_index, args FROM events WHERE name = ? "
            "ORDER BY block_number, log_index LIMIT 1",
            (name,),
        ).fetchone()
        if change is None:
            con.execute(
                "DELETE FROM events WHERE block_number = ? AND log_index = ?", (block, index)
            )
        else:
            values = json.loads(args)
            change(values)
            con.execute(
                "UPDATE events SET args = ? WHERE block_number = ? AND log_index = ?",
                (json.dumps(values), block, index),
            )
        con.execute("DELETE FROM snapshot")


def _plus_one(index, inner=None):
    def change(values):
        if inner is None:
            values[index] += 1
        else:
            values[index][inner] += 1

    return change


@pytest.mark.parametrize(
    ("event", "change", "must_fail"),
    [
        # One wei more deposited than arrived: the reserve, totalHeld and the meter's balance
        # all disagree with the rebuilt books.
        (
            "Deposited",
            _plus_one(1),
            {
                "meter.channel",
                "meter.totalHeld",
                "meter balance = books",
                "reserve running balance",
            },
        ),
        # One wei of a settlement moved from the asset to the operator.
        (
            "UsageSettled",
            _plus_one(4),
            {
                "meter.earningsOf",
                "meter.owedToAsset",
                "settlement charge",
                "asset paid what it was owed",
                "earnings withdrawn whole",
            },
        ),
        # The offer's service share is not what the meter cached.
        ("OfferCreated", _plus_one(3, 10), {"meter.metered", "settlement charge"}),
        # A withdrawal the index lost: the books owe more than the meter holds.
        (None, "Withdrawn", {"meter.channel", "meter.totalHeld", "meter balance = books"}),
        # A payAsset the index lost: the asset still looks owed, the vault was paid unasked.
        (
            None,
            "AssetPaid",
            {"meter.owedToAsset", "meter.totalHeld", "asset payment reached the vault"},
        ),
    ],
    ids=["deposit+1", "share+1", "offer-bps", "lost-withdrawal", "lost-asset-payment"],
)
def test_meter_views_and_balance_catch_a_tampered_index(
    audit, economy, tmp_path, event, change, must_fail
):
    db = tmp_path / "events.sqlite"
    assert audit(db_path=db).ok
    if event is None:  # delete the event named by `change`
        _tamper(db, change, None)
    else:
        _tamper(db, event, change)
    result = audit(db_path=db)
    assert not result.ok
    assert must_fail <= failed_checks(result), failed_checks(result)


def test_tokens_sent_to_the_meter_are_explained_per_transaction(
    audit, suite, economy, offer_of, publisher, consumer, gateway, token, deployer, stranger
):
    """A token channel: deposits, a settlement, payAsset and a withdrawal of earnings match
    the token's own transfers; tokens sent to the meter directly are stranded, not revenue."""
    meter, license_token = suite.meter, suite.license
    offer = offer_of(economy.dataset, publisher, currency=token, price=10**6, service_bps=2_500)
    token.mint(consumer, 10**21, sender=deployer)
    for spender in (license_token, meter):
        token.approve(spender, 10**21, sender=consumer)
    receipt = license_token.buy(offer, consumer, 10**6, sender=consumer)
    license_id = receipt.events.filter(license_token.LicenseBought)[0].licenseId
    meter.deposit(license_id, gateway, 10**13, sender=consumer)
    meter.meter(license_id, gateway, 40, sender=consumer)
    meter.payAsset(economy.dataset, token, sender=stranger)
    meter.withdrawEarnings(token, stranger, sender=gateway)
    token.transfer(meter, 777, sender=deployer)

    result = audit()
    assert failed_checks(result) == {"meter balance = books"}, [
        f.message for f in result.findings.failures
    ]
    (excess,) = [f for f in result.findings.warnings if f.check == "meter excess"]
    assert excess.found == 777 and excess.currency == token.address.lower()
    assert result.findings.tallies["meter payouts match transfers"].failed == 0
    earned = result.ledger.earnings[gateway.address.lower(), token.address.lower()]
    assert earned.earned == earned.withdrawn == 40 * 10**9 * 2_500 // 10_000
