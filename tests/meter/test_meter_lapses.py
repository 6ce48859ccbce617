"""Issue 12 lapses in the meter: the metered scopes come from the license's scope bits, and
the EIP-712 domain is readable on-chain (ERC-5267) and is the one vouchers are signed in."""

import ape
import pytest
from eth_utils import keccak

DOMAIN_TYPE = "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"


def test_metered_scopes_are_the_licenses_access_train_and_infer(meter, license_token):
    assert meter.USAGE_SCOPES() == (
        license_token.ACCESS() | license_token.TRAIN() | license_token.INFER()
    )


@pytest.mark.parametrize("scope_name", ["ACCESS", "TRAIN", "INFER"])
def test_each_metered_scope_alone_is_enough_to_meter(
    meter, license_token, licensed, alice, gateway, scope_name
):
    scopes = getattr(license_token, scope_name)()
    license_id = licensed(alice, unit_price=10, scopes=scopes)
    meter.deposit(license_id, gateway, 100, value=100, sender=alice)
    receipt = meter.meter(license_id, gateway, 3, sender=alice)
    assert [e.amount for e in receipt.events.filter(meter.UsageSettled)] == [30]


def test_commercial_and_derive_alone_are_not_metered(
    meter, license_token, licensed, alice, gateway
):
    scopes = license_token.COMMERCIAL() | license_token.DERIVE()
    license_id = licensed(alice, unit_price=10, scopes=scopes)
    with ape.reverts(meter.UsageMeterScopeMissing, licenseId=license_id, scopes=scopes):
        meter.deposit(license_id, gateway, 100, value=100, sender=alice)
    with ape.reverts(meter.UsageMeterScopeMissing, licenseId=license_id, scopes=scopes):
        meter.open(license_id, gateway, alice, 0, sender=alice)


def test_eip712_domain_names_the_meter_on_this_chain(meter, suite):
    fields, name, version, chain_id, verifying, salt, extensions = meter.eip712Domain()
    assert bytes(fields) == b"\x0f"
    assert (name, version) == ("Seedbed UsageMeter", "2")
    assert chain_id == suite.chain_id
    assert verifying == meter.address
    assert bytes(salt) == b"\0" * 32 and list(extensions) == []


def test_voucher_digest_is_built_from_the_reported_domain(meter):
    """An integrator with only eip712Domain() and the type string reproduces voucherDigest."""
    from eth_abi import encode

    _, name, version, chain_id, verifying, _, _ = meter.eip712Domain()
    separator = keccak(
        encode(
            ["bytes32", "bytes32", "bytes32", "uint256", "address"],
            [
                keccak(text=DOMAIN_TYPE),
                keccak(text=name),
                keccak(text=version),
                chain_id,
                verifying,
            ],
        )
    )
    type_string = (
        "Voucher(uint256 licenseId,address payer,address operator,"
        "uint256 cumulativeUnits,uint256 deadline)"
    )
    assert bytes(meter.VOUCHER_TYPEHASH()) == keccak(text=type_string)
    payer, operator = "0x" + "11" * 20, "0x" + "22" * 20
    struct = keccak(
        encode(
            ["bytes32", "uint256", "address", "address", "uint256", "uint256"],
            [keccak(text=type_string), 7, payer, operator, 42, 99],
        )
    )
    voucher = (7, payer, operator, 42, 99)
    assert bytes(meter.voucherDigest(voucher)) == keccak(b"\x19\x01" + separator + struct)


def test_the_digest_binds_the_payer_and_the_operator(meter):
    """Change either address and the digest changes: a signature names its channel."""
    a, b = "0x" + "11" * 20, "0x" + "22" * 20
    base = bytes(meter.voucherDigest((7, a, b, 42, 99)))
    assert bytes(meter.voucherDigest((7, b, b, 42, 99))) != base
    assert bytes(meter.voucherDigest((7, a, a, 42, 99))) != base
    assert bytes(meter.voucherDigest((7, b, a, 42, 99))) != base
