"""An independent EIP-712 implementation (Foundry's cast) agrees with seedbed.core.vouchers and
with the meter: same digest, same signature, and each side's signature verifies on the other."""

import json
import shutil
import subprocess

import pytest
from meterkit import FAR, as_args

from seedbed.core.vouchers import (
    VOUCHER_TYPE,
    VOUCHER_TYPEHASH,
    SignedVoucher,
    Voucher,
    digest,
    typed_data,
)

pytestmark = pytest.mark.skipif(
    shutil.which("cast") is None, reason="Foundry's cast is not on PATH"
)


def cast(*args):
    return subprocess.run(
        ["cast", *map(str, args)], capture_output=True, text=True, timeout=60, check=False
    )


@pytest.fixture
def typed_file(tmp_path, suite, meter):
    def write(voucher):
        path = tmp_path / f"voucher-{voucher.license_id}-{voucher.cumulative_units}.json"
        path.write_text(json.dumps(typed_data(voucher, suite.chain_id, meter.address)))
        return path

    return write


def test_a_voucher_signed_by_cast_settles_on_chain_and_matches_python(
    meter, licensed, signer, deposit, typed_file, alice, gateway
):
    license_id = licensed(alice, unit_price=10)
    deposit(alice, license_id, 1_000)
    voucher = Voucher(license_id, alice.address, gateway.address, 42, FAR)
    out = cast(
        "wallet",
        "sign",
        "--data",
        "--from-file",
        typed_file(voucher),
        "--private-key",
        alice.private_key,
    )
    assert out.returncode == 0, out.stderr
    signature = bytes.fromhex(out.stdout.strip().removeprefix("0x"))
    # RFC 6979 nonces: both implementations produce the very same bytes.
    assert signature == signer(alice, license_id, 42).signature

    receipt = meter.settle(*as_args(SignedVoucher(voucher, signature)), sender=gateway)
    [log] = receipt.events.filter(meter.UsageSettled)
    assert (log.licenseId, log.units, log.amount) == (license_id, 42, 420)


def test_a_python_signature_verifies_with_cast_for_the_holder_only(
    suite, meter, signer, typed_file, alice, bob
):
    signed = signer(alice, 7, 2**70)  # above 2**64: JSON numbers would lose it, strings don't
    path = typed_file(signed.voucher)
    sig = "0x" + signed.signature.hex()
    ok = cast("wallet", "verify", "--address", alice.address, "--data", "--from-file", path, sig)
    assert ok.returncode == 0 and "Validation succeeded" in ok.stdout, ok.stderr
    wrong = cast("wallet", "verify", "--address", bob.address, "--data", "--from-file", path, sig)
    assert wrong.returncode != 0 and "Validation failed" in wrong.stderr

    # cast on the raw digest: our EIP-712 hash is the one cast signed and verified above.
    message_hash = "0x" + digest(signed.voucher, suite.chain_id, meter.address).hex()
    raw = cast("wallet", "verify", "--no-hash", "--address", alice.address, message_hash, sig)
    assert raw.returncode == 0, raw.stderr


def test_python_cast_and_the_meter_compute_the_same_digest_and_typehash(
    chain, suite, meter, alice, gateway
):
    voucher = Voucher(3, alice.address, gateway.address, 2**70 + 5, FAR)
    expected = digest(voucher, suite.chain_id, meter.address)
    assert bytes(meter.voucherDigest(voucher.as_tuple())) == expected
    out = cast(
        "call",
        meter.address,
        "voucherDigest((uint256,address,address,uint256,uint256))(bytes32)",
        f"(3,{alice.address},{gateway.address},{2**70 + 5},{FAR})",
        "--rpc-url",
        chain.provider.http_uri,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "0x" + expected.hex()

    typehash = cast("keccak", VOUCHER_TYPE).stdout.strip()
    assert typehash == "0x" + VOUCHER_TYPEHASH.hex() == "0x" + bytes(meter.VOUCHER_TYPEHASH()).hex()
