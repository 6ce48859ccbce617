"""SQL for `seedbed.workflows.ledger`: the schema and every statement, in one place to review."""

SCHEMA_VERSION = 2  # 2: keyed by channel (license, payer, operator), with its chain state

# uint256 columns hold 64 lowercase hex digits: fixed width, so text order is numeric order
# and SQL can compare them (SQLite integers stop at 2**63). Addresses are checksummed text.
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;
-- One row per channel: the chain state last synced (what backs its vouchers) and the highest
-- voucher accepted (the only one worth settling). A channel is known only once synced.
CREATE TABLE IF NOT EXISTS channels (
    license_id        TEXT NOT NULL CHECK (length(license_id) = 64),
    payer             TEXT NOT NULL,
    operator          TEXT NOT NULL,
    asset_id          TEXT NOT NULL,
    currency          TEXT NOT NULL,
    unit_price        TEXT NOT NULL,
    reserve           TEXT NOT NULL,
    unit_limit        TEXT NOT NULL,
    settled_units     TEXT NOT NULL,
    withdrawal        TEXT NOT NULL,
    window_end        INTEGER NOT NULL,
    signer            TEXT NOT NULL,
    signer_is_contract INTEGER NOT NULL,
    signer_until      INTEGER NOT NULL,
    closes_at         INTEGER NOT NULL,
    synced_at         INTEGER NOT NULL,
    cumulative_units  TEXT,
    deadline          TEXT,
    signature         BLOB,
    voucher_signer    TEXT,
    accepted_at       INTEGER,
    settle_tx         TEXT,
    PRIMARY KEY (license_id, payer, operator)
) STRICT, WITHOUT ROWID;
-- Append-only: every voucher ever accepted, for disputes and audits.
CREATE TABLE IF NOT EXISTS voucher_history (
    seq              INTEGER PRIMARY KEY,
    license_id       TEXT NOT NULL,
    payer            TEXT NOT NULL,
    operator         TEXT NOT NULL,
    cumulative_units TEXT NOT NULL,
    deadline         TEXT NOT NULL,
    signature        BLOB NOT NULL,
    signer           TEXT NOT NULL,
    accepted_at      INTEGER NOT NULL
) STRICT;
"""

CHANNEL = """
SELECT unit_price, reserve, unit_limit, settled_units, withdrawal, window_end, signer,
       signer_is_contract, signer_until, closes_at, cumulative_units
FROM channels WHERE license_id = :id AND payer = :payer AND operator = :operator
"""
ACCEPT = """
UPDATE channels SET cumulative_units = :units, deadline = :deadline, signature = :signature,
    voucher_signer = :signer, accepted_at = :at
WHERE license_id = :id AND payer = :payer AND operator = :operator
"""
APPEND_HISTORY = """
INSERT INTO voucher_history
    (license_id, payer, operator, cumulative_units, deadline, signature, signer, accepted_at)
VALUES (:id, :payer, :operator, :units, :deadline, :signature, :signer, :at)
"""
# The chain is the source of truth for everything but the voucher: a sync overwrites it all,
# settled units included (raised after a crash before recording, lowered after a reorg).
SYNC = """
INSERT INTO channels (license_id, payer, operator, asset_id, currency, unit_price, reserve,
    unit_limit, settled_units, withdrawal, window_end, signer, signer_is_contract,
    signer_until, closes_at, synced_at)
VALUES (:id, :payer, :operator, :asset, :currency, :price, :reserve, :limit, :settled,
    :withdrawal, :window_end, :signer, :contract, :until, :closes_at, :at)
ON CONFLICT (license_id, payer, operator) DO UPDATE SET
    asset_id = excluded.asset_id, currency = excluded.currency,
    unit_price = excluded.unit_price, reserve = excluded.reserve,
    unit_limit = excluded.unit_limit, settled_units = excluded.settled_units,
    withdrawal = excluded.withdrawal, window_end = excluded.window_end,
    signer = excluded.signer, signer_is_contract = excluded.signer_is_contract,
    signer_until = excluded.signer_until, closes_at = excluded.closes_at,
    synced_at = excluded.synced_at
"""
# A settlement this process sent: it moves the reserve and the settled units together (what
# the meter did), and never backwards (an older settlement reported late changes nothing).
MARK_SETTLED = """
UPDATE channels SET settled_units = :units, reserve = :reserve, settle_tx = :tx
WHERE license_id = :id AND payer = :payer AND operator = :operator
  AND :units > settled_units
"""
PENDING = """
SELECT license_id, payer, operator, cumulative_units, deadline, signature
FROM channels
WHERE cumulative_units IS NOT NULL AND cumulative_units > settled_units
ORDER BY deadline, license_id, payer, operator
"""
# A gateway's ledger: the highest voucher, the units served (NULL: never served through it).
PENDING_SERVED = """
SELECT c.license_id, c.payer, c.operator, c.cumulative_units, c.deadline, c.signature,
       c.settled_units, s.served_units
FROM channels c LEFT JOIN gateway_served s
    ON s.license_id = c.license_id AND s.payer = c.payer AND s.operator = c.operator
WHERE c.cumulative_units IS NOT NULL
ORDER BY c.deadline, c.license_id, c.payer, c.operator
"""
HIGHEST_UP_TO = """
SELECT cumulative_units, deadline, signature FROM voucher_history
WHERE license_id = ? AND payer = ? AND operator = ? AND cumulative_units <= ?
ORDER BY cumulative_units DESC LIMIT 1
"""
ASSETS = "SELECT DISTINCT asset_id, currency FROM channels ORDER BY asset_id, currency"
