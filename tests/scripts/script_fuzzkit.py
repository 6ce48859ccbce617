"""Run a script's click command in this process, and check the failure contract.

The contract every `SeedbedCommand` script keeps on input a user can get wrong:

- a non-zero exit;
- no traceback, and stderr is exactly one non-empty line, starting with `error:`. Lines that
  start with `WARNING:` are tolerated (ape's logger prints its warnings that way, and they
  are not the script's own output); nothing else is;
- the chain's block number did not move (anvil mines one block per transaction, so no
  transaction was sent);
- no file appeared, vanished or changed in the folders the example pointed the script at.

`error: unexpected ...` is one line, but it is `SeedbedCommand`'s catch-all for an exception no
code anticipated (it says to set SEEDBED_DEBUG=1 for the traceback): a crash with its
traceback hidden, so it counts as a broken contract too.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import io
import os
import traceback
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "scripts"
NOT_FUZZED = {"demo", "benchmark"}
# The scripts that exist when this module is imported (others are being written).
ALL = sorted(p.stem for p in SCRIPTS.glob("*.py") if p.stem not in NOT_FUZZED)
ENV_KEYS = ("SEEDBED_PRIVATE_KEY", "SEEDBED_NETWORK", "SEEDBED_DEPLOYMENTS", "SEEDBED_DEBUG")

_modules: dict[str, Any] = {}


def script(name: str) -> Any:
    """The module scripts/<name>.py, imported once."""
    if name not in _modules:
        spec = importlib.util.spec_from_file_location(
            f"seedbed_script_{name}", SCRIPTS / f"{name}.py"
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _modules[name] = module
    return _modules[name]


@dataclass
class Outcome:
    name: str
    args: list[str]
    code: int
    stdout: str
    stderr: str
    sent: int  # blocks mined while it ran
    changed: list[str] = field(default_factory=list)  # files created, removed or rewritten

    def command_line(self) -> str:
        import shlex

        return "ape run " + shlex.join([self.name, *self.args])

    def problems(self) -> list[str]:
        """What breaks the failure contract (empty for a clean refusal)."""
        found = []
        if self.code == 0:
            found.append("exit 0")
        if "Traceback" in self.stderr:
            found.append("a traceback")
        lines = stderr_lines(self.stderr)
        if len(lines) != 1 or not lines[0].startswith("error:"):
            found.append(f"stderr is not one error: line ({len(lines)} lines)")
        elif lines[0].startswith("error: unexpected"):
            found.append("an unanticipated exception (error: unexpected ...)")
        if self.sent:
            found.append(f"{self.sent} block(s) mined")
        if self.changed:
            found.append(f"files changed: {self.changed[:5]}")
        return found

    def explain(self) -> str:
        return (
            f"{self.command_line()}\n  exit {self.code}; broke: {self.problems()}\n"
            f"  stderr: {self.stderr.strip()[-1500:]!r}\n  stdout: {self.stdout.strip()[-300:]!r}"
        )


def stderr_lines(text: str) -> list[str]:
    """stderr's non-empty lines, ape's `WARNING:` lines left out."""
    return [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("WARNING:")]


def assert_refused(outcome: Outcome) -> str:
    """The run failed cleanly; returns its error line."""
    assert not outcome.problems(), outcome.explain()
    return stderr_lines(outcome.stderr)[0]


def assert_clean(outcome: Outcome, valid: bool) -> None:
    """An input the oracle calls valid may succeed or fail cleanly; any other must fail cleanly."""
    if outcome.code == 0 and valid:
        assert "Traceback" not in outcome.stderr, outcome.explain()
        return
    assert_refused(outcome)


def snapshot(folders: Sequence[Path]) -> dict[str, str]:
    """{path: digest} of every file and folder under `folders`."""
    seen: dict[str, str] = {}
    for top in folders:
        top = Path(top)
        if not top.exists():
            continue
        items = [top, *top.rglob("*")] if top.is_dir() else [top]
        for p in items:
            if p.is_symlink():
                seen[str(p)] = "link:" + os.readlink(p)
            elif p.is_dir():
                seen[str(p)] = "dir"
            elif p.is_file():
                seen[str(p)] = hashlib.sha256(p.read_bytes()).hexdigest()
    return seen


@contextlib.contextmanager
def environment(values: Mapping[str, str | None]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in {*ENV_KEYS, *values}}
    try:
        for k in ENV_KEYS:
            os.environ.pop(k, None)
        for k, v in values.items():
            if v is not None:
                os.environ[k] = v
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


class Runner:
    """runner(name, *args, account=1, network=None, key=None, watch=()) -> Outcome.

    `account` is a TEST::<n> index or None (no --account); `key` is SEEDBED_PRIVATE_KEY;
    `network` replaces the test chain's URL. Runs in a scratch working folder, which is
    always watched for new files along with `watch`.
    """

    def __init__(self, chain: Any, deployments: Path, workdir: Path) -> None:
        self.chain = chain
        self.deployments = deployments
        self.workdir = workdir

    @property
    def url(self) -> str:
        return str(self.chain.provider.http_uri)

    def height(self) -> int:
        return int(self.chain.provider.web3.eth.block_number)

    def __call__(
        self,
        name: str,
        *args: Any,
        account: int | None = 1,
        network: str | None = None,
        key: str | None = None,
        watch: Sequence[Path] = (),
        env: Mapping[str, str | None] | None = None,
    ) -> Outcome:
        argv = [str(a) for a in args]
        argv += ["--network", network or self.url]
        if account is not None:
            argv += ["--account", f"TEST::{account}"]
        folders = [self.workdir, *watch]
        before, start = snapshot(folders), self.height()
        out, err = io.StringIO(), io.StringIO()
        code: int = 0
        values = {"SEEDBED_DEPLOYMENTS": str(self.deployments), "SEEDBED_PRIVATE_KEY": key}
        cwd = os.getcwd()
        with environment({**values, **(env or {})}):
            os.chdir(self.workdir)
            try:
                with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                    script(name).cli.main(argv, prog_name=name, standalone_mode=False)
            except SystemExit as stop:
                code = stop.code if isinstance(stop.code, int) else 1
            except BaseException:  # what a real run would print as a traceback
                code = 1
                err.write(traceback.format_exc())
            finally:
                os.chdir(cwd)
        after = snapshot(folders)
        changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
        return Outcome(
            name, argv, code, out.getvalue(), err.getvalue(), self.height() - start, changed
        )


def examples(n: int) -> int:
    """n examples under the default 'ci' profile (15), scaled with the loaded profile, so
    HYPOTHESIS_PROFILE=deep (400) runs ~27 times as many and 'dev' (5) a third."""
    from hypothesis import settings

    return max(1, n * settings.default.max_examples // 15)
