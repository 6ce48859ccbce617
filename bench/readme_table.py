"""Print bench/results.json as the README's performance table (Markdown)."""

import json
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results.json"
REFERENCE = {
    "register_gas": "Story Protocol `register` alone: 270–290k",
    "buy_license_gas": "Story Protocol `mintLicenseTokens`: 505–707k",
    "register_derived_2_parents_gas": "Story Protocol derivative registration: 1.4M+",
    "claim_first_gas": "Story Protocol vault claim: ~131k cold",
    "claim_repeat_gas": "sent by the contributor; a third party sending it pays the same",
    "claim_to_first_gas": "includes 25k for creating the recipient account (ETH to an empty one)",
    "pay_eth_gas": "EVM floor ≈ 29k",
    "splits500_100_payments_total_gas": "0xSplits v1: ~3.36M per payment to 500",
    "gateway_paid_rps": "x402 `exact`: 2–3 s per call, each its own on-chain transaction",
    "gateway_added_p50_ms": "x402 `exact`: 200–500 ms facilitator verify per call (2–3 s settled)",
    "gateway_added_p99_ms": "x402 `exact`: 200–500 ms facilitator verify per call (2–3 s settled)",
    "gateway_calls_per_settle": "x402 `exact`: 1 (one transaction per call)",
    "gateway_settle_gas": "x402 `exact`: 61–90k gas per call, one transaction each",
    "campaign_claim_gas": "Sahara, Vana: one off-chain payout or one reward per file; no proof",
}


def fmt(v: float | None) -> str:
    if v is None:
        return "–"
    return f"{int(v):,}" if float(v).is_integer() else f"{v:,.3f}"


def main() -> None:
    doc = json.loads(RESULTS.read_text())
    notes = doc.get("notes", {})
    print("| scenario | measured | target | | reference / note |")
    print("|---|---|---|---|---|")
    for name, s in doc["scenarios"].items():
        target = s["target"]
        if target is None:
            verdict = ""
        elif (s["value"] <= target) if s["better"] == "lower" else (s["value"] >= target):
            verdict = "met"
        else:
            verdict = "**missed**"
        sign = "≤" if s["better"] == "lower" else "≥"
        ref = "; ".join(x for x in (REFERENCE.get(name, ""), notes.get(name, "")) if x)
        tgt = f"{sign} {fmt(target)} {s['unit']}" if target is not None else "–"
        print(f"| `{name}` | {fmt(s['value'])} {s['unit']} | {tgt} | {verdict} | {ref} |")


if __name__ == "__main__":
    main()
