"""Deterministic deployment of the whole suite through the CREATE2 deployment proxy.

The proxy at PROXY (present on anvil and most chains) deploys `init code` at
`keccak(0xff ‖ proxy ‖ salt ‖ keccak(init code))[12:]`. The contracts are deployed in an
order without cycles (registry → vault → attestations → license → meter → arbiter → court →
private data → label campaigns), each one's address computed from the previous ones, then
wired once by the `wirer` (the deploying account). Same salt, same parameters and same
wirer: same addresses on every chain.
PrivateData only reads the registry and the license token: nothing calls it, so it needs no
wiring. Attestations only reads the registry, and the license token reads it for offers that
require a validator set's attestations: it is a constructor argument, no wiring. LabelCampaigns
calls nothing of the suite but the arbiter, which it shares with the court (the panel keys each
case by the contract that sent it): it needs no wiring either.

The arbiter that decides subjective disputes is a PanelArbiter of `arbiter_members` (the wirer
alone by default) deciding by `arbiter_threshold`, or, with `arbiter` set, any contract
implementing IArbiter already on the chain (then no panel is deployed).

The registry's commitment windows are parameters too: public chains get `min_commit_age` 60 s
(registration is commit, then reveal), and only the local chain 31337 may turn commitments off
(0: one-transaction registration, which anyone watching the mempool could front-run), so a
local suite's addresses differ from the public chains' (which all share one).
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from eth_utils import to_checksum_address

from seedbed.core.atomic import write_atomic
from seedbed.core.constants import MAX_GRACE_PERIOD, MAX_WITHDRAWAL_DELAY, MIN_GRACE_PERIOD
from seedbed.core.errors import ChainError, InputError
from seedbed.core.keccak import keccak

PROXY = "0x4e59b44847b379578588920cA78FbF26c0B4956C"
DEFAULT_SALT = "0x" + keccak(b"seedbed.v1").hex()
ORDER = (
    "AssetRegistry",
    "RoyaltyVault",
    "Attestations",
    "LicenseToken",
    "UsageMeter",
    "AssetCourt",
    "PrivateData",
    "LabelCampaigns",
)
ARBITER = "PanelArbiter"  # deployed before the court unless Params.arbiter names another
MAX_PANEL = 16
LOCAL_CHAIN_ID = 31337  # anvil's: the only chain where commitments may be off
MAX_COMMIT_WINDOW = 2**16 - 1  # seconds: the registry keeps a commitment's lag in 16 bits


def deployments_dir() -> Path:
    """Where deployment records live: $SEEDBED_DEPLOYMENTS, or ./deployments."""
    return Path(os.environ.get("SEEDBED_DEPLOYMENTS", "deployments"))


@dataclass(frozen=True)
class Params:
    """Constructor parameters; all but `wirer` are the same on every chain by default."""

    wirer: str
    treasury: str
    fee_bps: int = 0
    withdrawal_delay: int = 2 * 86_400
    grace_period: int = 86_400
    salt: str = DEFAULT_SALT
    min_commit_age: int = 60
    max_commit_age: int = 6 * 3600
    dispute_bond: int = 10**17  # wei each side of a dispute bonds (0.1 ETH)
    answer_period: int = 7 * 86_400
    ruling_timeout: int = 60 * 86_400
    min_duplicate_size: int = 64 * 1024
    arbiter: str = ""  # an IArbiter contract on the chain; "" deploys a PanelArbiter
    arbiter_members: tuple[str, ...] = ()  # the panel; () is the wirer alone
    arbiter_threshold: int = 1

    def __post_init__(self) -> None:
        if not 0 <= self.fee_bps <= 500:
            raise InputError(f"The protocol fee must be between 0 and 500 bps, not {self.fee_bps}.")
        # The meter's constructor enforces the same bounds; checking here names them before a
        # transaction is sent.
        if not MIN_GRACE_PERIOD <= self.grace_period <= MAX_GRACE_PERIOD:
            raise InputError(
                f"The grace period must be between {MIN_GRACE_PERIOD} s (1 hour) and "
                f"{MAX_GRACE_PERIOD} s (30 days), not {self.grace_period} s."
            )
        if not self.grace_period <= self.withdrawal_delay <= MAX_WITHDRAWAL_DELAY:
            raise InputError(
                f"The withdrawal delay must be between the grace period ({self.grace_period} s) "
                f"and {MAX_WITHDRAWAL_DELAY} s (90 days), not {self.withdrawal_delay} s: a "
                "shorter delay would let a reserve leave before the gateway's settlement window."
            )
        # The registry's constructor enforces the same (AssetRegistryBadCommitAges).
        if not 0 <= self.max_commit_age <= MAX_COMMIT_WINDOW:
            raise InputError(
                f"The maximum commitment age must be between 0 and {MAX_COMMIT_WINDOW} s "
                f"(18h12m15s), not {self.max_commit_age} s."
            )
        if self.min_commit_age < 0 or (
            self.min_commit_age and self.min_commit_age >= self.max_commit_age
        ):
            raise InputError(
                f"The minimum commitment age must be 0 (commitments off) or below the maximum "
                f"({self.max_commit_age} s), not {self.min_commit_age} s."
            )
        # The court's constructor refuses zeros (AssetCourtBadParameters); its times are uint32.
        if self.dispute_bond <= 0:
            raise InputError(
                "The dispute bond must be above 0 wei, or claims cost nothing to file."
            )
        for name in ("answer_period", "ruling_timeout"):
            value = getattr(self, name)
            if not 0 < value < 2**32:
                raise InputError(
                    f"The {name.replace('_', ' ')} must be 1 to 2^32 - 1 s, not {value}."
                )
        if not 0 <= self.min_duplicate_size < 2**64:
            raise InputError(
                f"The minimum duplicate size must fit 64 bits, not {self.min_duplicate_size}."
            )
        members = self.panel()
        if self.arbiter and self.arbiter_members:
            raise InputError("Name an arbiter contract or a panel's members, not both.")
        if len(set(m.lower() for m in members)) != len(members) or len(members) > MAX_PANEL:
            raise InputError(f"The arbiter panel needs 1 to {MAX_PANEL} distinct members.")
        if not 1 <= self.arbiter_threshold <= len(members):
            raise InputError(
                f"The arbiter threshold must be 1 to {len(members)} (the panel's size), "
                f"not {self.arbiter_threshold}."
            )

    def panel(self) -> tuple[str, ...]:
        """The PanelArbiter's members: the named ones, or the wirer alone."""
        return tuple(self.arbiter_members) or (self.wirer,)


@dataclass
class Planned:
    name: str
    address: str
    init_code: bytes
    args: tuple[Any, ...] = field(default_factory=tuple)


def create2_address(salt: bytes, init_code: bytes, deployer: str = PROXY) -> str:
    raw = keccak(b"\xff" + bytes.fromhex(deployer[2:]) + salt + keccak(init_code))[12:]
    return to_checksum_address(raw)


def plan(project: Any, params: Params) -> list[Planned]:
    """Init code and predicted address of each contract, in deployment order."""
    salt = bytes.fromhex(params.salt.removeprefix("0x"))
    if len(salt) != 32:
        raise InputError("The salt must be 32 bytes of hex.")
    out: list[Planned] = []
    addr: dict[str, str] = {}

    def add(name: str, *args: Any) -> None:
        container = getattr(project, name)
        code = bytes.fromhex(container.contract_type.deployment_bytecode.bytecode[2:])
        init = code + bytes(container.constructor.encode_input(*args))
        addr[name] = create2_address(salt, init)
        out.append(Planned(name, addr[name], init, args))

    add(
        "AssetRegistry",
        params.wirer,
        params.treasury,
        params.min_commit_age,
        params.max_commit_age,
    )
    add("RoyaltyVault", addr["AssetRegistry"], params.treasury, params.fee_bps, params.wirer)
    add("Attestations", addr["AssetRegistry"])
    add("LicenseToken", addr["AssetRegistry"], addr["RoyaltyVault"], addr["Attestations"],
        params.wirer)  # fmt: skip
    add(
        "UsageMeter",
        addr["LicenseToken"],
        addr["RoyaltyVault"],
        params.withdrawal_delay,
        params.grace_period,
    )
    if params.arbiter:
        arbiter: str = to_checksum_address(params.arbiter)
    else:
        add(ARBITER, list(params.panel()), params.arbiter_threshold)
        arbiter = addr[ARBITER]
    add(
        "AssetCourt",
        addr["AssetRegistry"],
        addr["RoyaltyVault"],
        arbiter,
        params.dispute_bond,
        params.answer_period,
        params.ruling_timeout,
        params.min_duplicate_size,
    )
    add("PrivateData", addr["AssetRegistry"], addr["LicenseToken"])
    # A campaign dispute waits for the same arbiter as long as a court case may.
    add("LabelCampaigns", arbiter, params.ruling_timeout)
    return out


def _simulated_runtime(project: Any, provider: Any, salt: bytes, init_code: bytes) -> bytes:
    """The runtime code the proxy would leave at the predicted address, by running the
    creation in an eth_call (see contracts/tooling/Create2Probe.sol); nothing is sent."""
    probe = project.Create2Probe
    code = bytes.fromhex(probe.contract_type.deployment_bytecode.bytecode[2:])
    data = code + bytes(probe.constructor.encode_input(PROXY, salt + init_code))
    return bytes(provider.web3.eth.call({"data": "0x" + data.hex()}))


def _git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True, timeout=5
        )
        return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def record_path(chain_id: int, folder: Path | None = None) -> Path:
    return (folder or deployments_dir()) / f"{chain_id}.json"


def deploy(
    project: Any,
    chain: Any,
    account: Any,
    params: Params,
    folder: Path | None = None,
    write_record: bool = True,
    say: Callable[[str], None] = lambda _m: None,
) -> dict[str, Any]:
    """Deploy (or find) the suite, wire it, verify the code, and write the record.

    Re-running is safe: a contract already at its predicted address is verified and skipped.
    """
    provider = chain.provider
    if params.min_commit_age == 0 and int(provider.chain_id) != LOCAL_CHAIN_ID:
        raise InputError(
            f"A minimum commitment age of 0 is only for the local chain {LOCAL_CHAIN_ID}: on "
            f"chain {provider.chain_id} registrations would be squattable, since anyone who "
            "sees one pending could register the same content first."
        )
    if len(provider.get_code(PROXY)) == 0:
        raise ChainError(
            f"Chain {provider.chain_id} has no deterministic deployment proxy at {PROXY}; "
            "deploy it first (see README, 'Deploy to a real network')."
        )
    if to_checksum_address(account.address) != to_checksum_address(params.wirer):
        raise InputError("The deploying account must be the wirer named in the parameters.")
    if params.arbiter and len(provider.get_code(params.arbiter)) == 0:
        raise InputError(
            f"The arbiter {params.arbiter} has no code on chain {provider.chain_id}: it must be a "
            "contract implementing IArbiter (rulingFee, requestRuling)."
        )
    salt = bytes.fromhex(params.salt.removeprefix("0x"))
    contracts: dict[str, dict[str, Any]] = {}
    first_block: int | None = None
    planned = plan(project, params)
    if write_record:
        _check_record(provider, planned, params.salt, folder)
    _check_no_other_suite(project, provider, {p.name: p.address for p in planned})
    for item in planned:
        present = bytes(provider.get_code(item.address))
        if present:
            # Code at a CREATE2 address can only come from this exact init code, and our
            # constructors are deterministic: it is ours.
            say(f"{item.name} already at {item.address}, skipped")
        else:
            expected = _simulated_runtime(project, provider, salt, item.init_code)
            receipt = account.transfer(PROXY, 0, data=salt + item.init_code)
            first_block = receipt.block_number if first_block is None else first_block
            present = bytes(provider.get_code(item.address))
            if not present or present != expected:
                raise ChainError(
                    f"The code at {item.address} is not the {item.name} that was simulated "
                    "before sending: the deployment did not go as planned."
                )
            say(f"{item.name} deployed at {item.address} ({receipt.gas_used:,} gas)")
        contracts[item.name] = {
            "address": item.address,
            "code_hash": "0x" + keccak(present).hex(),
            "args": [_json_arg(a) for a in item.args],
        }

    registry = project.AssetRegistry.at(contracts["AssetRegistry"]["address"])
    license_ = project.LicenseToken.at(contracts["LicenseToken"]["address"])
    _wire(registry, "licenseGate", "wireLicenseGate", license_.address, account, say)
    _wire(license_, "meter", "wireMeter", contracts["UsageMeter"]["address"], account, say)
    vault = project.RoyaltyVault.at(contracts["RoyaltyVault"]["address"])
    court = contracts["AssetCourt"]["address"]
    _wire(registry, "court", "wireCourt", court, account, say)
    _wire(vault, "court", "wireCourt", court, account, say)

    old = load_record(provider.chain_id, folder) if write_record else None
    if first_block is None:
        first_block = old["block"] if old and old.get("salt") == params.salt else 0
    record = {
        "chain_id": provider.chain_id,
        "block": first_block,
        "salt": params.salt,
        "proxy": PROXY,
        "parameters": asdict(params),
        "contracts": contracts,
        "commit": _git_commit(),
        "deployed_at": int(time.time()),
    }
    if write_record:
        path = record_path(provider.chain_id, folder)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, (json.dumps(record, indent=2) + "\n").encode())
    return record


def _check_record(provider: Any, planned: list[Planned], salt: str, folder: Path | None) -> None:
    """Before sending anything: a suite recorded for this chain with the same salt that is live
    on it, at other addresses (other parameters), is not replaced by a second one; every script
    reads the record, so overwriting it would silently move them all to a new, empty suite. A
    new --salt is the way to ask for a second suite."""
    old = load_record(int(provider.chain_id), folder)
    if not old or old.get("salt") != salt:
        return
    recorded = old.get("contracts", {}).get("AssetRegistry", {}).get("address")
    ours = next(p.address for p in planned if p.name == "AssetRegistry")
    if not recorded or str(recorded).lower() == ours.lower():
        return
    if bytes(provider.get_code(recorded)):
        raise ChainError(
            f"{record_path(int(provider.chain_id), folder)} records a live Seedbed suite on "
            f"this chain (AssetRegistry {recorded}) with the same salt and other parameters; "
            "nothing was sent. Deploy with the recorded parameters, or another --salt."
        )


def _check_no_other_suite(project: Any, provider: Any, addresses: dict[str, str]) -> None:
    """Before sending anything: the registry does not depend on the fee or the delays, nor the
    license token on the delays, so other such parameters with the same account and salt
    find them already deployed and wired to another suite; deploying the rest would waste
    gas and then fail at the wiring."""
    links = (
        ("AssetRegistry", "licenseGate", "LicenseToken"),
        ("LicenseToken", "meter", "UsageMeter"),
        ("AssetRegistry", "court", "AssetCourt"),
        ("RoyaltyVault", "court", "AssetCourt"),
    )
    for name, getter, target in links:
        if not bytes(provider.get_code(addresses[name])):
            continue
        current = str(getattr(getattr(project, name).at(addresses[name]), getter)())
        if int(current, 16) != 0 and current.lower() != addresses[target].lower():
            raise ChainError(
                f"A Seedbed suite with other parameters is already deployed from this account "
                f"and salt ({name} at {addresses[name]} is wired to {current}); nothing was "
                "sent. Use another --salt, or the recorded parameters."
            )


def _json_arg(value: Any) -> Any:
    if isinstance(value, int):
        return value
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return str(value)


def _wire(
    contract: Any, getter: str, setter: str, target: str, account: Any, say: Callable[[str], None]
) -> None:
    current = getattr(contract, getter)()
    if int(str(current), 16) == 0:
        getattr(contract, setter)(target, sender=account)
        say(f"wired {contract.contract_type.name}.{getter} -> {target}")
    elif to_checksum_address(str(current)) != to_checksum_address(target):
        raise ChainError(
            f"{contract.contract_type.name}.{getter} is wired to {current}, not {target}."
        )


def load_record(chain_id: int, folder: Path | None = None) -> dict[str, Any] | None:
    path = record_path(chain_id, folder)
    if not path.exists():
        return None
    try:
        data: dict[str, Any] = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise InputError(f"The deployment record {path} is unreadable: {err}.") from err
    return data
