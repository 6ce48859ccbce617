"""The demo's validator: an independent account checks street-signs as registered (its files
against the content root, Croissant, the campaign's label noise), signs the verdict as an EAS
off-chain attestation, anchors it and certifies the asset; the publisher then makes its DERIVE
offer require that validator's attestation, so the model maker's purchase (the next step)
goes through only because a live certificate stands. The steps are `ape run attest`'s.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from seedbed.workflows import attest
from seedbed.workflows.demo_campaign import CAMPAIGN

if TYPE_CHECKING:
    from seedbed.workflows.demo import Demo


def run(demo: Demo) -> None:
    signs = demo.assets["street-signs"]
    v, suite, chain = demo.validator, demo.suite, demo.chain
    demo.say("   a validator checks street-signs and attests to it; its DERIVE offer requires that")
    out = demo.out / "validator"
    out.mkdir(parents=True, exist_ok=True)
    from seedbed.workflows.demo import EXAMPLES  # the demo imports this module lazily

    checked = attest.check(
        suite, chain, signs.asset_id, EXAMPLES / "datasets" / "street-signs",
        out=out / "check.json", others=[], labels=CAMPAIGN / "export.json", label_studio=True,
        method="majority", max_noise_bps=2_000, max_duplicates=0,
        meta=demo.out / "street-signs",
    )  # fmt: skip
    c = checked.check
    demo.say(
        f"   check: files {'match' if c['rehash']['ok'] else 'DO NOT match'} the content root, "
        f"Croissant {'valid' if c['croissant_valid'] else 'invalid'}, label noise "
        f"{c['label_noise_bps'] / 100:g}% -> {'passes' if c['passed'] else 'fails'} "
        f"(method hash {c['method_hash'][:18]}…)"
    )
    root = attest.asset_root(suite, signs.asset_id)
    figures = attest.read_check(checked.out, signs.asset_id, root)
    signed = attest.sign(suite, chain, v, signs.asset_id, out=out / "attestation.json",
                         valid_for=365 * 86_400, **figures)  # fmt: skip
    anchored = attest.anchor(suite, chain, v, [signed.out], out / "batch.json")
    [cert] = attest.certify(suite, chain, demo.trees_pub, out / "batch.json")
    made = attest.create_set(suite, chain, demo.signs_pub, [v.address], 1)
    attest.require(suite, chain, demo.signs_pub, signs.offers["derive"], made.id)
    demo.say(
        f"   EAS off-chain attestation 0x{signed.uid.hex()[:16]}… anchored in one root "
        f"({anchored.gas:,} gas, the same for any number), certified by anyone; offer "
        f"#{signs.offers['derive']} now sells only while validator set {made.id} "
        f"(1 of 1) certifies asset #{cert.asset}"
    )
