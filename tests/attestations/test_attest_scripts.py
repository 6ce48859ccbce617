"""`ape run attest` end to end as real processes: a validator signs and anchors, anyone
certifies, the asset's owner gates an offer on a set, a revocation stops the sale; every
step re-run is a no-op, and bad input is one `error:` line with nothing sent."""

from __future__ import annotations

import json

import ape

from seedbed.core import attestations as att
from seedbed.core.constants import ACCESS, ETH

PRICE = 10**15


def ok(proc):
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout) if proc.stdout.lstrip()[:1] in ("{", "[") else proc.stdout


def refused(proc, words):
    assert proc.returncode != 0
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), proc.stderr
    assert words in lines[0], lines[0]


def test_a_validator_gates_an_offer_and_a_revocation_stops_it(
    run_script, dataset, license_token, attestations, publisher, alice, accounts, chain, tmp_path
):
    validator = accounts[6]
    pkg, batch = tmp_path / "a.json", tmp_path / "batch.json"
    signed = ok(run_script("attest", "sign", dataset, "--out", pkg, "--noise-bps", "150",
                           "--json", account=6))  # fmt: skip
    package = json.loads(pkg.read_text())
    msg = att.verify(package)  # eas-sdk's format: a package anyone can check
    assert package["signer"] == validator.address
    assert att.QualityClaim.decode(msg.data).label_noise_bps == 150
    assert signed["uid"] == "0x" + msg.uid().hex()
    # Re-signing keeps the file (and its UID): a re-run after a crash changes nothing.
    assert ok(run_script("attest", "sign", dataset, "--out", pkg, "--json", account=6))["already"]
    assert json.loads(pkg.read_text()) == package

    anchored = ok(run_script("attest", "anchor", pkg, "--batch", batch, "--json", account=6))
    assert not anchored["already"] and anchored["gas"] <= 50_000
    assert int(attestations.anchoredAt(validator, anchored["root"])) > 0
    again = ok(run_script("attest", "anchor", "--batch", batch, "--json", account=6))
    assert again["already"]

    ok(run_script("attest", "certify", batch, account=5))  # anyone certifies
    height = chain.blocks.height
    assert ok(run_script("attest", "certify", batch, "--json", account=5))[0]["already"]
    assert chain.blocks.height == height

    made = ok(run_script("attest", "set", validator.address, "--threshold", "1", "--json",
                         account=1))  # fmt: skip
    terms = (dataset, ETH, PRICE, 0, 0, 0, ACCESS, 0, False, 0, 0)
    offer = license_token.createOffer(terms, sender=publisher).events[0]
    offer_id = license_token.offerCount()
    assert offer is not None
    refused(run_script("attest", "require", offer_id, made["id"], account=5), "NotAssetOwner")
    ok(run_script("attest", "require", offer_id, made["id"], account=1))
    assert license_token.offerValidatorSet(offer_id) == made["id"]
    listed = ok(run_script("offers", dataset, account=None))
    assert f"offer {offer_id}: " in listed
    assert f"sold only with validator set {made['id']}'s attestations" in listed
    license_token.buy(offer_id, alice, PRICE, value=PRICE, sender=alice)

    st = ok(run_script("attest", "status", dataset, made["id"], "--json", account=None))
    assert st["satisfied"] and st["live"] == 1
    ok(run_script("attest", "revoke", pkg, account=6))
    st = ok(run_script("attest", "status", dataset, made["id"], "--json", account=None))
    assert not st["satisfied"] and st["certificates"][0]["revoked"]
    with ape.reverts(license_token.LicenseTokenNotAttested):
        license_token.buy(offer_id, alice, PRICE, value=PRICE, sender=alice)


def test_bad_input_is_one_error_line_and_nothing_is_sent(run_script, dataset, chain, tmp_path):
    pkg = tmp_path / "p.json"
    height = chain.blocks.height
    refused(run_script("attest", "sign", "999999", "--out", pkg, account=6), "does not exist")
    refused(run_script("attest", "sign", dataset, "--out", pkg, "--noise-bps", "10001",
                       account=6), "10001")  # fmt: skip
    pkg.write_text("{}")
    refused(run_script("attest", "sign", dataset, "--out", pkg, account=6), "not replaced")
    refused(run_script("attest", "anchor", pkg, "--batch", tmp_path / "b.json", account=6),
            "package")  # fmt: skip
    refused(run_script("attest", "revoke", "0x12", account=6), "UID")
    refused(run_script("attest", "set", "0x" + "00" * 20, "--threshold", "1", account=6), "zero")
    assert chain.blocks.height == height
    assert not (tmp_path / "b.json").exists()


def test_a_later_fail_withdraws_the_pass_and_a_retired_validator_counts_for_nothing(
    run_script, dataset, accounts, tmp_path
):
    v = accounts[7]
    made = ok(run_script("attest", "set", v.address, "--threshold", "1", "--json", account=1))
    ok(run_script("attest", "sign", dataset, "--out", tmp_path / "pass.json", account=7))
    ok(run_script("attest", "anchor", tmp_path / "pass.json", "--batch", tmp_path / "b1.json",
                  account=7))  # fmt: skip
    ok(run_script("attest", "certify", tmp_path / "b1.json", account=5))
    st = ok(run_script("attest", "status", dataset, made["id"], "--json", account=None))
    assert st["satisfied"]
    ok(run_script("attest", "sign", dataset, "--failed", "--out", tmp_path / "fail.json",
                  account=7))  # fmt: skip
    ok(run_script("attest", "anchor", tmp_path / "fail.json", "--batch", tmp_path / "b2.json",
                  account=7))  # fmt: skip
    ok(run_script("attest", "certify", tmp_path / "b2.json", account=5))
    text = ok(run_script("attest", "status", dataset, made["id"], account=None))
    assert "does not satisfy" in text and "failed" in text
    ok(run_script("attest", "retire", account=7))
    assert "had retired" in ok(run_script("attest", "retire", account=7))
    ok(run_script("attest", "sign", dataset, "--out", tmp_path / "late.json", account=7))
    refused(run_script("attest", "anchor", tmp_path / "late.json", "--batch", tmp_path / "b3.json",
                       account=7), "retired")  # fmt: skip
    assert not (tmp_path / "b3.json").exists()
