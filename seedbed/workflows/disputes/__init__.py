"""Disputes over assets, through the deployment's AssetCourt: what `ape run dispute` does.

- `opening`: a subjective claim (bonded, decided by the arbiter), a duplicate-content claim
  (file proofs from both folders' registered manifests) and a prior-commitment claim (from
  the claimant's pending registration file, upheld at once);
- `steps`: a lineage answer, a contest, resolving, a panel member's vote, a lapse, releasing
  the escrow and withdrawing deposits;
- `report`: a dispute, an asset or the whole court, and the next step and who may take it;
- `facts`: the court's values read from the chain, and `send` (state checks, simulation,
  funds, then the transaction) that every step uses.

Nothing is sent before every check the contracts make has passed here, so bad input changes
nothing on the chain.
"""

from seedbed.workflows.disputes.facts import (
    REASONS,
    Court,
    Dispute,
    court_of,
    lineage_path,
    read_dispute,
)
from seedbed.workflows.disputes.opening import (
    Evidence,
    Opened,
    SharedFile,
    claim_prior,
    evidence_of,
    open_duplicate,
    open_subjective,
    pick_shared,
    registered_manifest,
    shared_files,
)
from seedbed.workflows.disputes.report import AssetReport, DisputeReport, Overview, show
from seedbed.workflows.disputes.steps import (
    Release,
    Step,
    Vote,
    Withdrawn,
    answer,
    contest,
    lapse,
    release,
    resolve,
    rule,
    withdraw,
)

__all__ = [
    "REASONS",
    "AssetReport",
    "Court",
    "Dispute",
    "DisputeReport",
    "Evidence",
    "Opened",
    "Overview",
    "Release",
    "SharedFile",
    "Step",
    "Vote",
    "Withdrawn",
    "answer",
    "claim_prior",
    "contest",
    "court_of",
    "evidence_of",
    "lapse",
    "lineage_path",
    "open_duplicate",
    "open_subjective",
    "pick_shared",
    "read_dispute",
    "registered_manifest",
    "release",
    "resolve",
    "rule",
    "shared_files",
    "show",
    "withdraw",
]
