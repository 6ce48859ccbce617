"""Rescue (docs/integrity.md §2.5, C4): what is sent by mistake to a contract that owes nothing
for it goes to the treasury, and no sweep can touch what is owed. Before issue 15 nothing
returned tokens sent to the LicenseToken, the UsageMeter or the registry: they were lost."""

from contextlib import contextmanager

import ape
import pytest
from eth_utils import keccak

from seedbed.core.constants import ETH, INFER, TRAIN
from seedbed.core.vouchers import Voucher, sign

FAR = 4_000_000_000
MISTAKE = 777
FORCED = 5  # wei that arrive without a call (a selfdestruct, a block reward)


@pytest.fixture(scope="session")
def carol(accounts):
    return accounts[6]


@pytest.fixture
def coin(project, deployer, stranger):
    """A token nobody uses in these contracts yet; the stranger holds some."""
    token = deployer.deploy(project.MockERC20, "Lost Dollar", "LOST", 6)
    token.mint(stranger, 10**12, sender=deployer)
    return token


@contextmanager
def reverts(error, **inputs):
    """ape.reverts, strict: exactly `error`, with exactly these inputs."""
    with ape.reverts(error) as info:
        yield info
    assert type(info.value).__name__ == error.__name__, f"reverted with {info.value!r}"
    actual = {k: _plain(v) for k, v in dict(info.value.inputs).items()}
    assert actual == {k: _plain(v) for k, v in inputs.items()}


def _plain(value):
    if hasattr(value, "address"):
        return str(value.address).lower()
    return value.lower() if isinstance(value, str) else value


def balance(chain, who):
    return chain.provider.get_balance(str(getattr(who, "address", who)))


def force_eth(chain, who, amount):
    """ETH arriving without a call: none of these contracts has a receive function."""
    address = str(who.address)
    chain.provider.make_request("anvil_setBalance", [address, hex(balance(chain, who) + amount)])


def offer(license_token, asset_id, owner, currency, price=0, unit_price=0, scopes=TRAIN | INFER):
    terms = (asset_id, str(currency), price, unit_price, 0, 0, scopes, 0, False, 0, 1000)
    receipt = license_token.createOffer(terms, sender=owner)
    return receipt.events.filter(license_token.OfferCreated)[0].offerId


def test_tokens_sent_by_mistake_to_the_license_token_return_to_the_treasury(
    chain, license_token, vault, coin, stranger, alice, treasury
):
    assert vault.TREASURY() == treasury.address
    coin.transfer(license_token, MISTAKE, sender=stranger)
    receipt = license_token.sweep(coin, sender=alice)  # anyone may call
    assert receipt.return_value == MISTAKE
    assert receipt.events.filter(license_token.Swept) == [
        license_token.Swept(coin.address, treasury.address, MISTAKE)
    ]
    assert coin.balanceOf(treasury) == MISTAKE and coin.balanceOf(license_token) == 0
    with reverts(license_token.LicenseTokenNothingToSweep, currency=coin):
        license_token.sweep(coin, sender=alice)

    before = balance(chain, treasury)
    force_eth(chain, license_token, FORCED)
    assert license_token.sweep(ETH, sender=alice).return_value == FORCED
    assert balance(chain, treasury) - before == FORCED
    assert balance(chain, license_token) == 0


def test_tokens_sent_by_mistake_to_the_meter_return_to_the_treasury(
    chain, meter, coin, stranger, alice, treasury
):
    coin.transfer(meter, MISTAKE, sender=stranger)
    assert meter.totalHeld(coin) == 0
    receipt = meter.sweepExcess(coin, sender=alice)
    assert receipt.return_value == MISTAKE
    assert receipt.events.filter(meter.ExcessSwept) == [
        meter.ExcessSwept(coin.address, treasury.address, MISTAKE)
    ]
    assert coin.balanceOf(treasury) == MISTAKE and coin.balanceOf(meter) == 0
    with reverts(meter.UsageMeterNoExcess, currency=coin, balance=0, held=0):
        meter.sweepExcess(coin, sender=alice)

    before, held = balance(chain, treasury), meter.totalHeld(ETH)
    assert balance(chain, meter) == held  # no ETH excess to start with
    force_eth(chain, meter, FORCED)
    assert meter.sweepExcess(ETH, sender=alice).return_value == FORCED
    assert balance(chain, treasury) - before == FORCED
    assert balance(chain, meter) == held == meter.totalHeld(ETH)


def test_tokens_sent_by_mistake_to_the_registry_return_to_the_treasury(
    chain, registry, coin, stranger, alice, treasury
):
    assert registry.TREASURY() == treasury.address
    coin.transfer(registry, MISTAKE, sender=stranger)
    receipt = registry.sweep(coin, sender=alice)
    assert receipt.return_value == MISTAKE
    assert receipt.events.filter(registry.Swept) == [
        registry.Swept(coin.address, treasury.address, MISTAKE)
    ]
    assert coin.balanceOf(treasury) == MISTAKE and coin.balanceOf(registry) == 0
    with reverts(registry.AssetRegistryNothingToSweep, currency=coin):
        registry.sweep(coin, sender=alice)

    before = balance(chain, treasury)
    force_eth(chain, registry, FORCED)
    assert registry.sweep(ETH, sender=alice).return_value == FORCED
    assert balance(chain, treasury) - before == FORCED
    assert balance(chain, registry) == 0


def test_a_sweep_never_touches_reserves_owed_or_earnings(
    chain,
    meter,
    vault,
    license_token,
    register_asset,
    coin,
    publisher,
    alice,
    bob,
    carol,
    gateway,
    stranger,
    treasury,
):
    asset, people = register_asset(publisher, {alice.address: 3, bob.address: 1})
    offer_id = offer(license_token, asset, publisher, coin, unit_price=10)  # 10 % to the gateway
    lic = (
        license_token.buy(offer_id, carol, 0, sender=carol)
        .events.filter(license_token.LicenseBought)[0]
        .licenseId
    )
    coin.mint(carol, 5_000, sender=carol)
    coin.approve(meter, 5_000, sender=carol)
    meter.deposit(lic, gateway, 5_000, sender=carol)
    voucher = Voucher(lic, carol.address, gateway.address, 300, FAR)
    signature = sign(voucher, chain.chain_id, meter.address, carol.private_key)
    meter.settle(voucher.as_tuple(), signature, sender=gateway)
    # The books: a 2,000 reserve, 2,700 owed to the asset, 300 earned by the gateway.
    assert meter.channel(lic, carol, gateway).reserve == 2_000
    assert meter.owedToAsset(asset, coin) == 2_700
    assert meter.earningsOf(gateway, coin) == 300
    assert meter.totalHeld(coin) == 5_000 == coin.balanceOf(meter)

    coin.transfer(meter, MISTAKE, sender=stranger)
    receipt = meter.sweepExcess(coin, sender=stranger)
    assert receipt.return_value == MISTAKE
    assert coin.balanceOf(treasury) == MISTAKE
    assert meter.totalHeld(coin) == 5_000 == coin.balanceOf(meter)
    with reverts(meter.UsageMeterNoExcess, currency=coin, balance=5_000, held=5_000):
        meter.sweepExcess(coin, sender=stranger)

    # Everything owed still pays, to the unit.
    assert meter.payAsset(asset, coin, sender=stranger).return_value == 2_700
    assert vault.accrued(asset, coin) == 2_700
    for who, share in ((alice, 2_025), (bob, 675)):
        weight, proof = people.proof(who.address)
        assert vault.claim(asset, coin, who, weight, proof, sender=stranger).return_value == share
        assert coin.balanceOf(who) == share
    assert meter.withdrawEarnings(coin, gateway, sender=gateway).return_value == 300
    assert coin.balanceOf(gateway) == 300
    requested = meter.requestWithdrawal(lic, gateway, 2_000, sender=carol)
    ready = chain.blocks[requested.block_number].timestamp + meter.WITHDRAWAL_DELAY()
    chain.pending_timestamp = ready
    assert meter.completeWithdrawal(lic, gateway, sender=carol).return_value == 2_000
    assert coin.balanceOf(carol) == 2_000
    assert meter.totalHeld(coin) == 0 == coin.balanceOf(meter)
    assert coin.balanceOf(treasury) == MISTAKE  # the treasury got the mistake and nothing else


def test_a_sweep_during_a_buy_cannot_take_the_price(
    project,
    chain,
    license_token,
    meter,
    vault,
    register_asset,
    deployer,
    publisher,
    alice,
    gateway,
    treasury,
):
    hostile = deployer.deploy(project.ReenteringToken)
    asset, _ = register_asset(publisher, {alice.address: 1})
    offer_id = offer(license_token, asset, publisher, hostile, price=1_000, unit_price=1)
    hostile.mint(alice, 10_000, sender=alice)
    hostile.approve(license_token, 10_000, sender=alice)
    hostile.approve(meter, 10_000, sender=alice)
    guard = keccak(text="ReentrancyGuardReentrantCall()")[:4]

    # While the price sits in the license contract, the token asks it to sweep itself.
    hostile.arm(license_token, license_token.sweep.encode_input(hostile), sender=alice)
    receipt = license_token.buy(offer_id, alice, 1_000, sender=alice)
    lic = receipt.events.filter(license_token.LicenseBought)[0].licenseId
    assert hostile.attempted() and not hostile.reentered()
    assert bytes(hostile.lastError()) == guard
    assert vault.accrued(asset, hostile) == 1_000 == hostile.balanceOf(vault)
    assert hostile.balanceOf(license_token) == 0 and hostile.balanceOf(treasury) == 0

    # The same while a deposit is in flight to the meter, before it is booked.
    hostile.arm(meter, meter.sweepExcess.encode_input(hostile), sender=alice)
    meter.deposit(lic, gateway, 600, sender=alice)
    assert hostile.attempted() and not hostile.reentered()
    assert bytes(hostile.lastError()) == guard
    assert meter.channel(lic, alice, gateway).reserve == 600
    assert meter.totalHeld(hostile) == 600 == hostile.balanceOf(meter)
    assert hostile.balanceOf(treasury) == 0
