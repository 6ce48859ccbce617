"""What the audit found: per check, how many items passed, and every failure and warning."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

FAIL, WARN = "fail", "warn"


@dataclass
class Finding:
    check: str
    status: str  # FAIL or WARN
    message: str  # one sentence naming what differs
    asset: int | None = None
    account: str | None = None
    currency: str | None = None
    expected: Any = None
    found: Any = None
    tx: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class CheckTally:
    name: str
    checked: int = 0
    failed: int = 0
    warned: int = 0


@dataclass
class Findings:
    """Collects results; `passed`/`fail`/`warn` keep a tally per check name."""

    tallies: dict[str, CheckTally] = field(default_factory=dict)
    items: list[Finding] = field(default_factory=list)

    def _tally(self, check: str) -> CheckTally:
        tally = self.tallies.get(check)
        if tally is None:
            tally = self.tallies[check] = CheckTally(check)
        return tally

    def passed(self, check: str, n: int = 1) -> None:
        tally = self.tallies.get(check)
        if tally is None:
            tally = self.tallies[check] = CheckTally(check)
        tally.checked += n

    def fail(self, check: str, message: str, **where: Any) -> None:
        tally = self._tally(check)
        tally.checked += 1
        tally.failed += 1
        self.items.append(Finding(check, FAIL, message, **where))

    def warn(self, check: str, message: str, **where: Any) -> None:
        tally = self._tally(check)
        tally.checked += 1
        tally.warned += 1
        self.items.append(Finding(check, WARN, message, **where))

    def equal(
        self, check: str, expected: Any, found: Any, message: str | Callable[[], str], **where: Any
    ) -> bool:
        """Pass when equal; otherwise a failure quoting both values. `message` may be a
        function, so hot paths only format it when the check fails."""
        if expected == found:
            self.passed(check)
            return True
        text = message if isinstance(message, str) else message()
        self.fail(check, text, expected=expected, found=found, **where)
        return False

    @property
    def failures(self) -> list[Finding]:
        return [f for f in self.items if f.status == FAIL]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.items if f.status == WARN]

    @property
    def ok(self) -> bool:
        return not any(f.status == FAIL for f in self.items)

    # -- persistence (the ledger snapshot keeps the event-level results) -----------------------

    def state(self) -> dict[str, Any]:
        return {
            "tallies": [[t.name, t.checked, t.failed, t.warned] for t in self.tallies.values()],
            "items": [f.as_dict() for f in self.items],
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Findings:
        out = cls()
        for name, checked, failed, warned in state["tallies"]:
            out.tallies[name] = CheckTally(name, checked, failed, warned)
        out.items = [Finding(**item) for item in state["items"]]
        return out
