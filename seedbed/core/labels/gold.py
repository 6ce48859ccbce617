"""Gold (known-answer) items: commit to them before the campaign, reveal them after.

    commitment = keccak256(salt || sha256(canonical JSON of the gold labels))

where the canonical JSON is the object {item: label} with keys sorted, no spaces, UTF-8
(`model.canonical_json`) and salt is 32 random bytes kept secret until the reveal.
Annotators cannot tell gold items from the others while labelling (the commitment hides
them: the salt stops a guess of the gold set being checked against it), and after the
reveal anyone can check that the gold used for scoring is the gold committed to.
"""

import os
from collections.abc import Mapping

from seedbed.core.errors import InputError
from seedbed.core.keccak import keccak
from seedbed.core.labels.model import gold_sha256


def new_salt() -> bytes:
    """32 random bytes for `gold_commitment`."""
    return os.urandom(32)


def gold_commitment(gold: Mapping[str, str], salt: bytes) -> bytes:
    """The 32-byte commitment to `gold` ({item: label}) under `salt` (see the module notes)."""
    if len(salt) != 32:
        raise InputError(f"The gold salt must be 32 bytes, not {len(salt)}.")
    if not gold:
        raise InputError("The gold set is empty: there is nothing to commit to.")
    for item, label in gold.items():
        if not (isinstance(item, str) and isinstance(label, str) and item and label):
            raise InputError(f"Gold item {item!r} -> {label!r}: both must be non-empty text.")
    return keccak(bytes(salt) + gold_sha256(gold))


def check_gold_reveal(commitment: bytes, gold: Mapping[str, str], salt: bytes) -> None:
    """Raise InputError unless `gold` and `salt` open `commitment`."""
    opened = gold_commitment(gold, salt)
    if opened != bytes(commitment):
        raise InputError(
            f"The revealed gold ({len(gold)} items) and salt give 0x{opened.hex()}, "
            f"not the commitment 0x{bytes(commitment).hex()}."
        )
