"""Audit: rebuild every royalty flow from the chain's events, check it, and report it.

`run_audit` (ingest + rebuild + check + reports) and `ingest_only` are the entry points; see
`scripts/audit.py` for the command line.
"""

from seedbed.workflows.audit.run import AuditResult, ingest_only, run_audit

__all__ = ["AuditResult", "ingest_only", "run_audit"]
