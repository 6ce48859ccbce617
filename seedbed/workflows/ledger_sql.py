"""SQL for `seedbed.workflows.ledger`: the schema and every statement, in one place to review."""

SCHEMA_VERSION = 1

# uint256 columns hold 64 lowercase hex digits: fixed width, so text order is numeric order
# and SQL can compare them (SQLite integers stop at 2**63).
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;
-- The highest voucher per license: the only one worth settling.
CREATE TABLE IF NOT EXISTS vouchers (
    license_id       TEXT PRIMARY KEY CHECK (length(license_id) = 64),
    cumulative_units TEXT NOT NULL CHECK (length(cumulative_units) = 64),
    deadline         TEXT NOT NULL CHECK (length(deadline) = 64),
    signature        BLOB NOT NULL,
    signer           TEXT NOT NULL,
    accepted_at      INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
-- Append-only: every voucher ever accepted, for disputes and audits.
CREATE TABLE IF NOT EXISTS voucher_history (
    seq              INTEGER PRIMARY KEY,
    license_id       TEXT NOT NULL,
    cumulative_units TEXT NOT NULL,
    deadline         TEXT NOT NULL,
    signature        BLOB NOT NULL,
    signer           TEXT NOT NULL,
    accepted_at      INTEGER NOT NULL
) STRICT;
-- What the chain has settled per license (tx_hash is NULL after a sync from chain state).
CREATE TABLE IF NOT EXISTS settlements (
    license_id    TEXT PRIMARY KEY CHECK (length(license_id) = 64),
    settled_units TEXT NOT NULL CHECK (length(settled_units) = 64),
    tx_hash       TEXT,
    updated_at    INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
"""

HIGHEST = """
SELECT
    (SELECT cumulative_units FROM vouchers WHERE license_id = :id),
    (SELECT settled_units FROM settlements WHERE license_id = :id)
"""
UPSERT_VOUCHER = """
INSERT INTO vouchers VALUES (:id, :units, :deadline, :signature, :signer, :at)
ON CONFLICT (license_id) DO UPDATE SET
    cumulative_units = excluded.cumulative_units, deadline = excluded.deadline,
    signature = excluded.signature, signer = excluded.signer, accepted_at = excluded.accepted_at
"""
APPEND_HISTORY = """
INSERT INTO voucher_history
    (license_id, cumulative_units, deadline, signature, signer, accepted_at)
VALUES (:id, :units, :deadline, :signature, :signer, :at)
"""
PENDING = """
SELECT v.license_id, v.cumulative_units, v.deadline, v.signature
FROM vouchers v LEFT JOIN settlements s USING (license_id)
WHERE s.settled_units IS NULL OR v.cumulative_units > s.settled_units
ORDER BY v.deadline, v.license_id
"""
MARK_SETTLED = """
INSERT INTO settlements VALUES (:id, :units, :tx, :at)
ON CONFLICT (license_id) DO UPDATE SET
    settled_units = excluded.settled_units, tx_hash = excluded.tx_hash,
    updated_at = excluded.updated_at
WHERE excluded.settled_units > settlements.settled_units
"""
SYNC_SETTLED = """
INSERT INTO settlements VALUES (:id, :units, NULL, :at)
ON CONFLICT (license_id) DO UPDATE SET
    settled_units = excluded.settled_units, tx_hash = NULL, updated_at = excluded.updated_at
WHERE excluded.settled_units != settlements.settled_units
"""
