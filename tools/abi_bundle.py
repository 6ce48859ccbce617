"""Write the integrator's ABI bundle and error table from ape's build output.

    python tools/abi_bundle.py           # (re)write docs/abi/<Contract>.json and docs/errors.md
    python tools/abi_bundle.py --check   # exit 1, with one line, if the committed docs drift

Reads `.build/__local__.json` (what `bash tools/compile.sh` leaves): each contract type there
carries its ABI and the compiler's NatSpec (`userdoc` / `devdoc`). The error table lists every
custom error a call on the four contracts can return: those in each contract's ABI (its own,
its libraries' and the OpenZeppelin code it inherits) plus the errors of the suite's other
contracts that bubble up through a nested call (`BUBBLES` below, stated by hand because the
ABI does not say which callee a revert came from), plus the ERC-20 token's own errors, which
SafeERC20 passes through unchanged.

`--check` also keeps docs/INTEGRATING.md honest: its EIP-712 domain and voucher type string
must be those in contracts/UsageMeter.sol, and every signature it gives to `cast send` or
`cast call` must be a function of the bundle.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from eth_utils import keccak

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / ".build" / "__local__.json"
DOCS = ROOT / "docs"
INTEGRATING = DOCS / "INTEGRATING.md"
METER_SOURCE = ROOT / "contracts" / "UsageMeter.sol"

CONTRACTS = (
    "AssetRegistry",
    "RoyaltyVault",
    "LicenseToken",
    "UsageMeter",
    "AssetCourt",
    "PanelArbiter",
    "PrivateData",
    "LabelCampaigns",
    "Attestations",
)
TOKEN_PATHS = "the ERC-20 token, through pay, buy, deposit, completeWithdrawal"
TOKEN_TYPE = "MockERC20"  # an OpenZeppelin ERC20: the source of the ERC-6093 token errors

# Errors of one suite contract that reach the caller of another through a nested call, and
# the call they come through. Only errors that can actually happen are listed.
BUBBLES: Mapping[str, Mapping[str, str]] = {
    "LicenseToken": {
        "RoyaltyVaultAmountTooLarge": "buy → RoyaltyVault.pay",
        "RoyaltyVaultNothingArrived": "buy → RoyaltyVault.pay",
    },
    "RoyaltyVault": {
        "AssetRegistryUnknownAsset": "pay, claim, claimable, release → AssetRegistry",
    },
    "AssetCourt": {
        "AssetRegistryUnknownAsset": "openSubjective, openDuplicate, claimPriorCommitment → AssetRegistry.asset",
    },
    "PanelArbiter": {
        "AssetCourtNotArbiter": "vote → AssetCourt.rule (a case sent by another contract)",
        "AssetCourtWrongState": "vote → AssetCourt.rule",
    },
    "UsageMeter": {
        "LicenseTokenUnknownLicense": "open, deposit → LicenseToken.usageTerms",
        "RoyaltyVaultAmountTooLarge": "payAsset → RoyaltyVault.pay",
        "RoyaltyVaultNothingArrived": "payAsset → RoyaltyVault.pay",
    },
}

# NatSpec for OpenZeppelin errors that ship without any (OZ documents most errors with @dev,
# which the table uses; these have neither @notice nor @dev).
FALLBACK_NOTICES: Mapping[str, str] = {
    "InvalidShortString": (
        "OpenZeppelin ShortStrings: a short string is malformed (EIP-712 name or version; "
        "not reachable with this deployment's constants)."
    ),
    "StringTooLong": (
        "OpenZeppelin ShortStrings: a string is longer than 31 bytes (EIP-712 name or "
        "version; not reachable with this deployment's constants)."
    ),
}


class BundleError(Exception):
    """One sentence for the command line."""


# -- reading the build -----------------------------------------------------------------------------


def load_build(path: Path = BUILD) -> dict[str, Any]:
    if not path.is_file():
        raise BundleError(
            f"{path.relative_to(ROOT)} is missing: run `bash tools/compile.sh` first."
        )
    types = json.loads(path.read_text())["contractTypes"]
    for name in (*CONTRACTS, TOKEN_TYPE):
        if name not in types:
            raise BundleError(f"The build has no contract {name}: run `bash tools/compile.sh`.")
    return types


def canonical_type(param: Mapping[str, Any]) -> str:
    kind = param["type"]
    if kind.startswith("tuple"):
        return "(" + ",".join(canonical_type(c) for c in param["components"]) + ")" + kind[5:]
    return kind


def signature(item: Mapping[str, Any]) -> str:
    name = item.get("name", item["type"])  # the constructor, fallback and receive have none
    return f"{name}({','.join(canonical_type(i) for i in item.get('inputs', []))})"


def selector(sig: str) -> str:
    return "0x" + keccak(text=sig)[:4].hex()


def _doc_text(entry: Any, key: str) -> str:
    if isinstance(entry, list):  # errors: one entry per declaration
        entry = next((e for e in entry if e.get(key)), entry[0] if entry else {})
    return " ".join(str((entry or {}).get(key, "")).split())


def notice_of(types: Mapping[str, Any], sig: str, owners: Iterable[str]) -> str:
    for name in owners:
        text = _doc_text(types[name].get("userdoc", {}).get("errors", {}).get(sig), "notice")
        if text:
            return text
    for name in owners:
        text = _doc_text(types[name].get("devdoc", {}).get("errors", {}).get(sig), "details")
        if text:
            return text
    return FALLBACK_NOTICES.get(sig.split("(")[0], "")


# -- what is written ------------------------------------------------------------------------------


def abi_files(types: Mapping[str, Any]) -> dict[str, str]:
    out = {}
    for name in CONTRACTS:
        abi = sorted(types[name]["abi"], key=lambda i: (i["type"], i.get("name", ""), signature(i)))
        text = json.dumps(abi, indent=2, sort_keys=True) + "\n"
        out[f"docs/abi/{name}.json"] = text
        # The same ABIs inside the package, so `pip install` gives a library that talks to a
        # deployment from any folder (seedbed.chain.contracts loads them).
        out[f"seedbed/chain/abi/{name}.json"] = text
    return out


def error_rows(types: Mapping[str, Any]) -> list[tuple[str, str, str, str]]:
    by_sig: dict[str, dict[str, Any]] = {}
    names: dict[str, str] = {}
    for contract in CONTRACTS:
        for item in types[contract]["abi"]:
            if item["type"] == "error":
                sig = signature(item)
                row = by_sig.setdefault(sig, {"raised": [], "via": []})
                row["raised"].append(contract)
                names[item["name"]] = sig
    for caller, errors in BUBBLES.items():
        for name, path in errors.items():
            if name not in names:
                raise BundleError(f"BUBBLES names {name}, which no contract of the suite declares.")
            by_sig[names[name]]["via"].append(f"{caller} ({path})")
    rows = []
    for sig in sorted(by_sig, key=lambda s: (_group(s), s)):
        row = by_sig[sig]
        notice = notice_of(types, sig, row["raised"])
        if not notice:
            raise BundleError(f"The error {sig} has no NatSpec: document it in its interface.")
        where = ", ".join(row["raised"])
        if row["via"]:
            where += "; also via " + "; ".join(row["via"])
        rows.append((selector(sig), sig, where, notice))
    return rows


def token_rows(types: Mapping[str, Any]) -> list[tuple[str, str, str, str]]:
    rows = []
    for item in types[TOKEN_TYPE]["abi"]:
        if item["type"] == "error" and item["name"].startswith("ERC20"):
            sig = signature(item)
            notice = notice_of(types, sig, [TOKEN_TYPE])
            if not notice:
                raise BundleError(f"The token error {sig} has no NatSpec.")
            rows.append((selector(sig), sig, TOKEN_PATHS, notice))
    return sorted(rows, key=lambda r: r[1])


def _group(sig: str) -> int:
    for i, prefix in enumerate(CONTRACTS):
        if sig.startswith(prefix):
            return i
    return len(CONTRACTS)  # OpenZeppelin's last


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _table(rows: Iterable[tuple[str, str, str, str]]) -> list[str]:
    lines = ["| selector | signature | contract(s) | notice |", "|---|---|---|---|"]
    lines += [f"| `{s}` | `{_cell(g)}` | {_cell(w)} | {_cell(n)} |" for s, g, w, n in rows]
    return lines


def errors_md(types: Mapping[str, Any]) -> str:
    lines = [
        "# Errors a call on the Seedbed contracts can return",
        "",
        "Generated by `python tools/abi_bundle.py` from the compiler's ABI and NatSpec: do not",
        "edit by hand (`python tools/abi_bundle.py --check` fails when this file drifts).",
        "",
        "Revert data is the 4-byte selector followed by the ABI-encoded values. To decode one by",
        "hand: `cast decode-error --sig '<signature>' <revert data>` (or `cast 4byte <selector>`",
        "for a guess from the public database). *contract(s)* names the contracts whose ABI has",
        "the error; *also via* names a contract whose call can return it from a nested call.",
        "",
        "Notices of OpenZeppelin errors are OpenZeppelin's own `@dev` text.",
        "",
        *_table(error_rows(types)),
        "",
        "## Errors of the ERC-20 token itself",
        "",
        "SafeERC20 passes a token's revert data through unchanged, so a failing `transferFrom`",
        "(no allowance, no balance) surfaces as the token's own error. For an OpenZeppelin",
        "ERC-20 (ERC-6093) these are:",
        "",
        *_table(token_rows(types)),
        "",
        "## Not in the tables",
        "",
        "- `ECDSAInvalidSignature*`: never returned. The meter checks signatures with",
        "  `SignatureChecker`, which uses `ECDSA.tryRecover`; a bad signature is",
        "  `UsageMeterBadSignature` (or a `VoucherSkipped` event in a batch).",
        "- `Panic(uint256)` (`0x4e487b71`): arithmetic overflow, e.g. `meter` with a `units` so",
        "  large that `unitsUsed + units` overflows. `Error(string)` (`0x08c379a0`): never, the",
        "  contracts have no `require` strings; a token or contract wallet may return it.",
        "- Inside `settleBatch`, errors do not revert the batch: each skipped voucher emits",
        "  `VoucherSkipped(licenseId, reason)` with `reason` = the revert data above.",
        "",
    ]
    return "\n".join(lines)


def generate(types: Mapping[str, Any]) -> dict[str, str]:
    files = abi_files(types)
    files["docs/errors.md"] = errors_md(types)
    return files


# -- INTEGRATING.md against the code --------------------------------------------------------------


def integrating_problems(types: Mapping[str, Any]) -> list[str]:
    if not INTEGRATING.is_file():
        return ["docs/INTEGRATING.md is missing."]
    text = INTEGRATING.read_text()
    source = METER_SOURCE.read_text()
    problems = []
    domain = re.search(r'EIP712\("([^"]*)",\s*"([^"]*)"\)', source)
    typestring = re.search(r'keccak256\(\s*"(Voucher\([^"]*\))"\s*\)', source)
    if not domain or not typestring:
        return ["contracts/UsageMeter.sol no longer shows its EIP-712 domain or voucher type."]
    for fact in (f'"{domain.group(1)}"', f'"{domain.group(2)}"', typestring.group(1)):
        if fact not in text:
            problems.append(f"docs/INTEGRATING.md does not quote {fact} from UsageMeter.sol.")
    known = {signature(i) for c in CONTRACTS for i in types[c]["abi"] if i["type"] == "function"}
    known |= {signature(i) for i in types[TOKEN_TYPE]["abi"] if i["type"] == "function"}
    for sig in cast_signatures(text):
        if sig not in known:
            problems.append(f"docs/INTEGRATING.md calls {sig}, which no contract has.")
    return problems


def cast_signatures(text: str) -> list[str]:
    """The function signatures given to `cast send` / `cast call` (return types dropped)."""
    sigs = []
    for match in re.finditer(r"cast (?:send|call)\b[^\n]*?[\"']([A-Za-z_]\w*\([^\"']*)[\"']", text):
        raw = match.group(1)
        depth = 0
        for end, ch in enumerate(raw):
            depth += ch == "("
            depth -= ch == ")"
            if depth == 0 and ch == ")":
                sigs.append(raw[: end + 1].replace(" ", ""))
                break
    return sigs


# -- command line ----------------------------------------------------------------------------------


def main(argv: list[str]) -> int:
    check = "--check" in argv
    try:
        types = load_build()
        files = generate(types)
        if check:
            for rel, content in files.items():
                path = ROOT / rel
                if not path.is_file() or path.read_text() != content:
                    print(f"{rel} differs from the build: run `make abi` and commit it.")
                    return 1
            for folder in ("docs/abi", "seedbed/chain/abi"):
                present = (ROOT / folder).glob("*.json")
                stale = sorted(p.name for p in present if f"{folder}/{p.name}" not in files)
                if stale:
                    print(f"{folder}/{stale[0]} is not a contract of the bundle: remove it.")
                    return 1
            problems = integrating_problems(types)
            if problems:
                print(problems[0])
                return 1
            return 0
        for rel, content in files.items():
            path = ROOT / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content)
        built = BUILD.relative_to(ROOT)
        print(f"Wrote {len(files)} files (docs/, seedbed/chain/abi/) from {built}.")
        return 0
    except BundleError as err:
        print(err)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
