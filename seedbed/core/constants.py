"""Values shared with the contracts."""

ETH = "0x0000000000000000000000000000000000000000"
"""The vault's and the meter's currency id for native ETH."""

DATASET, MODEL, OTHER = 0, 1, 2
KINDS = {"dataset": DATASET, "model": MODEL, "other": OTHER}

ACCESS, TRAIN, INFER, COMMERCIAL, DERIVE = 1, 2, 4, 8, 16

BPS = 10_000
MAX_PARENTS = 16
OFFER_NONE, OFFER_ACTIVE, OFFER_PAUSED, OFFER_RETIRED = 0, 1, 2, 3
