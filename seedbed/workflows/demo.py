"""The end-to-end story `make demo` tells, on a local chain.

Two publishers register example datasets with their annotators; a model maker licenses both
(DERIVE) and registers a model derived from them, offering inference with a service share
for the gateway that serves it; an app licenses the model (INFER), funds a channel with the
gateway operator and makes 10,000 metered calls, each acknowledged by the gateway with a
signed cumulative voucher it checks against the channel's reserve; the gateway settles all of
them in one transaction, pays the model's share into the vault and withdraws its own; revenue
flows upstream; every contributor is paid; every wei is accounted for; the audit rebuilds
every flow from the logs and checks it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_account import Account

from seedbed.chain.client import Suite
from seedbed.chain.deploy import Params, deploy
from seedbed.core.constants import ETH
from seedbed.core.treefile import ContributorTree
from seedbed.core.units import round_amount as format_amount
from seedbed.core.vouchers import SignedVoucher, Voucher, VoucherDomain
from seedbed.workflows.channels import reader
from seedbed.workflows.claims import flow
from seedbed.workflows.escrow import deposit, withdraw_earnings
from seedbed.workflows.ledger import Accepted, VoucherLedger
from seedbed.workflows.licenses import buy_license
from seedbed.workflows.offers import publish_offer
from seedbed.workflows.register import register_folders
from seedbed.workflows.settle import settle

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
CALLS = 10_000


@dataclass
class Published:
    name: str
    asset_id: int
    tree: ContributorTree
    tree_path: Path
    offers: dict[str, int] = field(default_factory=dict)


class Demo:
    def __init__(
        self, project: Any, chain: Any, accounts: list[Any], out: Path, say: Callable[[str], None]
    ):
        self.project, self.chain, self.out, self.say = project, chain, out, say
        (self.operator, self.trees_pub, self.signs_pub, self.modeler, self.app, self.gateway) = (
            accounts[:6]
        )
        self.app_key = accounts[4].private_key
        self.assets: dict[str, Published] = {}
        self.suite: Suite

    # -- steps -----------------------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        self.out.mkdir(parents=True, exist_ok=True)
        self.step_deploy()
        self.step_publish_datasets()
        self.step_model()
        license_id = self.step_consumer()
        self.step_calls_and_settle(license_id)
        self.step_conservation()
        self.step_flow_and_claims()
        return self.step_audit()

    def step_deploy(self) -> None:
        self.say("1. Deploying Seedbed through the CREATE2 proxy (same addresses on every chain)")
        params = Params(wirer=self.operator.address, treasury=self.operator.address)
        record = deploy(self.project, self.chain, self.operator, params, write_record=False)
        (self.out / "deployment.json").write_text(json.dumps(record, indent=2) + "\n")
        self.suite = Suite.from_record(self.project, self.chain, record)
        for name, address in self.suite.addresses.items():
            self.say(f"   {name:14} {address}")

    def _register(
        self,
        publisher: Any,
        name: str,
        folder: Path,
        contributors: Path,
        kind: str,
        spdx: str,
        parents: tuple[str, ...] = (),
        licenses: tuple[int, ...] = (),
    ) -> Published:
        """Through the register workflow, as `ape run register` does."""
        run = register_folders(
            self.suite, publisher, [folder], spdx=spdx, contributors=[contributors], kind=kind,
            name=name, description=f"Seedbed demo asset {name}", out=self.out / name,
            parents=parents, licenses=licenses,
        )  # fmt: skip
        asset, prepared = run.assets[0], run.prepared[0]
        self.say(
            f"   {name}: asset #{asset.asset_id}, {prepared.manifest.count} files, "
            f"content root 0x{asset.content_root.hex()[:16]}…, {prepared.tree.count} "
            f"contributors (total weight {prepared.tree.total})"
        )
        published = Published(name, asset.asset_id, prepared.tree, Path(asset.tree))
        self.assets[name] = published
        return published

    def _offer(self, publisher: Any, asset: Published, label: str, **terms: Any) -> int:
        """Through the offers workflow, as `ape run offer` does (terms as the script reads them)."""
        done = publish_offer(self.suite, self.chain, publisher, asset.asset_id, **terms)
        asset.offers[label] = done.offer_id
        t = done.terms
        self.say(
            f"   offer #{done.offer_id} on {asset.name}: {label}, {format_amount(t.price)}"
            + (f", {format_amount(t.unit_price)} per call" if t.unit_price else "")
            + (
                f", derivatives pass back ≥ {t.min_upstream_bps / 100:g}%"
                if t.min_upstream_bps
                else ""
            )
            + (f", {t.service_bps / 100:g}% of each charge to the gateway" if t.service_bps else "")
        )
        return done.offer_id

    def _buy(self, buyer: Any, offer_id: int, who: str) -> int:
        bought = buy_license(self.suite, self.chain, buyer, offer_id)
        self.say(
            f"   {who} bought license #{bought.license_id} (offer #{offer_id}) "
            f"for {format_amount(bought.price)}; "
            "the price went straight to the asset's contributors and lineage"
        )
        return bought.license_id

    def step_publish_datasets(self) -> None:
        self.say(
            "2. Two publishers register example datasets with their annotators, and offer licenses"
        )
        ds, people = EXAMPLES / "datasets", EXAMPLES / "contributors"
        trees = self._register(
            self.trees_pub, "city-trees", ds / "city-trees", people / "city-trees.csv",
            "dataset", "CC-BY-4.0",
        )  # fmt: skip
        signs = self._register(
            self.signs_pub, "street-signs", ds / "street-signs", people / "street-signs-log.csv",
            "dataset", "CC-BY-SA-4.0",
        )  # fmt: skip
        for pub, asset in ((self.trees_pub, trees), (self.signs_pub, signs)):
            self._offer(pub, asset, "train", scopes="train", price="0.05", duration="365d")
            self._offer(pub, asset, "derive", scopes="derive,train", price="0.2", min_share="15%")

    def step_model(self) -> None:
        self.say(
            "3. A model maker licenses both datasets (DERIVE) and registers a model "
            "derived from them"
        )
        trees, signs = self.assets["city-trees"], self.assets["street-signs"]
        l1 = self._buy(self.modeler, trees.offers["derive"], "the model maker")
        l2 = self._buy(self.modeler, signs.offers["derive"], "the model maker")
        team = self.out / "model-team.csv"
        rows = [
            f"{Account.from_key(bytes([9]) * 31 + bytes([i])).address},{w}"
            for i, w in ((1, 50), (2, 30), (3, 20))
        ]
        team.write_text("address,weight\n" + "\n".join(rows) + "\n")
        model = self._register(
            self.modeler, "sign-tree-model", EXAMPLES / "model", team, "model", "Apache-2.0",
            parents=(f"{trees.asset_id}:20%", f"{signs.asset_id}:15%"), licenses=(l1, l2),
        )  # fmt: skip
        self.say(
            "   lineage: 20% of the model's revenue goes upstream to city-trees, "
            "15% to street-signs"
        )
        self._offer(
            self.modeler, model, "infer", scopes="infer", price="0.01", unit_price="0.00001",
            duration="30d", service_share="10%",
        )  # fmt: skip

    def step_consumer(self) -> int:
        self.say(
            "4. An app licenses the model for inference and funds a channel with the gateway "
            f"operator {self.gateway.address}"
        )
        model = self.assets["sign-tree-model"]
        license_id = self._buy(self.app, model.offers["infer"], "the app")
        done = deposit(self.suite, self.chain, self.app, license_id, self.gateway.address, "0.2")
        self.deposited = done.arrived
        self.say(
            f"   the app deposited {format_amount(done.arrived)} into its channel's reserve; "
            "it pays only the vouchers the app signs for this gateway on this license"
        )
        return license_id

    def step_calls_and_settle(self, license_id: int) -> None:
        self.say(
            f"5. {CALLS:,} metered calls: the app signs a cumulative voucher per call, the gateway "
            "checks each against the channel's reserve and records it"
        )
        meter = self.suite.meter
        chain_id = self.chain.provider.chain_id
        domain = VoucherDomain(chain_id, meter.address)
        deadline = self.chain.pending_timestamp + 86400
        payer, operator = self.app.address, self.gateway.address
        start = time.perf_counter()
        signed = []
        for units in range(1, CALLS + 1):
            v = Voucher(license_id, payer, operator, units, deadline)
            sig = Account.unsafe_sign_hash(domain.digest(v), self.app_key)
            signed.append(SignedVoucher(v, bytes(sig.signature)))
        ledger_path = self.out / "gateway-ledger.sqlite"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{ledger_path}{suffix}").unlink(missing_ok=True)
        # The gateway reads the channel's reserve, limit and signer from chain on first sight.
        chain_reader = reader(self.suite, self.chain)
        with VoucherLedger(ledger_path, chain_id, meter.address, chain_reader) as ledger:
            now = int(self.chain.blocks.head.timestamp)
            results = ledger.accept_many(signed, now=now)
            refused = [r for r in results if not isinstance(r, Accepted)]
            if refused:
                raise RuntimeError(f"the gateway refused {len(refused)} vouchers: {refused[0]}")
            latest = ledger.pending()
            last = results[-1]
            assert isinstance(last, Accepted)
            elapsed = time.perf_counter() - start
            self.say(
                f"   signed, verified and recorded {CALLS:,} vouchers in {elapsed:.1f} s; the "
                f"ledger keeps only the latest: {latest[0].voucher.cumulative_units:,} units, "
                f"{format_amount(last.unsettled)} unsettled, covered by the "
                f"{format_amount(last.available)} reserve"
            )
        # The gateway settles its ledger exactly as `ape run settle` does.
        run = settle(self.suite, self.chain, self.gateway, ledger_path)
        report = run.report
        if report is None or len(report.settled) != 1 or report.skipped:
            raise RuntimeError(f"the gateway's settlement did not settle the voucher: {report}")
        settled = report.settled[0]
        receipt = self.chain.provider.get_receipt(report.transactions[0])
        self.say(
            f"   the gateway settled {settled.units:,} calls in ONE transaction "
            f"({receipt.gas_used:,} gas): {format_amount(settled.amount)} left the reserve, "
            f"{format_amount(settled.service_share)} of it the gateway's service share"
        )
        if [(p.asset_id, p.tx is not None) for p in run.paid] != [(settled.asset_id, True)]:
            raise RuntimeError(f"the model's share was not paid into the vault: {run.paid}")
        self.to_asset = run.paid[0].amount
        self.say(
            f"   payAsset pushed the model's {format_amount(self.to_asset)} into the vault, "
            "where its contributors and lineage can claim it"
        )
        earned = withdraw_earnings(self.suite, self.chain, self.gateway)
        self.service = earned.amount
        self.say(f"   the gateway operator withdrew its {format_amount(earned.amount)} of earnings")
        self.settled = settled.amount
        self.license_id = license_id

    def step_conservation(self) -> None:
        meter = self.suite.meter
        view = meter.channel(self.license_id, self.app.address, self.gateway.address)
        reserve = int(view.reserve)
        held = int(meter.totalHeld(ETH))
        balance = int(self.chain.provider.get_balance(meter.address))
        ok = (
            self.deposited == self.settled + reserve
            and self.settled == self.service + self.to_asset
            and balance == held == reserve
        )
        self.say(
            f"   conserved to the wei: deposited {format_amount(self.deposited)} = settled "
            f"{format_amount(self.settled)} (service {format_amount(self.service)} + asset "
            f"{format_amount(self.to_asset)}) + reserve left {format_amount(reserve)}; the "
            f"meter holds {format_amount(balance)}, all of it the reserve"
        )
        if not ok:
            raise RuntimeError(
                f"metering is not conserved: deposited {self.deposited}, settled {self.settled}, "
                f"service {self.service}, to asset {self.to_asset}, reserve {reserve}, "
                f"meter balance {balance}, totalHeld {held}"
            )

    def step_flow_and_claims(self) -> None:
        self.say("6. Revenue flows upstream, and every contributor is paid")
        vault = self.suite.vault
        model = self.assets["sign-tree-model"]
        pending = vault.pendingUpstream(model.asset_id, ETH)
        for flowed in flow(self.suite, self.chain, self.gateway, model.asset_id):
            self.say(
                f"   {format_amount(flowed.amount)} flowed from asset #{flowed.child} "
                f"to asset #{flowed.parent}"
            )
        self.say(f"   ({format_amount(pending)} was pending upstream of the model)")
        total_paid = 0
        for asset in self.assets.values():
            requests = []
            for address, _weight in asset.tree.items():
                account = "0x" + address.hex()
                w, proof = asset.tree.proof(address)
                requests.append((asset.asset_id, ETH, account, w, list(proof)))
            paid = 0
            for i in range(0, len(requests), 64):
                rec = vault.claimBatch(requests[i : i + 64], sender=self.gateway)
                paid += sum(ev.amount for ev in rec.events.filter(vault.Claimed))
            total_paid += paid
            self.say(
                f"   {asset.name}: {len(requests)} contributors claimed {format_amount(paid)} "
                f"(accrued {format_amount(vault.accrued(asset.asset_id, ETH))})"
            )
        self.say(
            f"   in all, {format_amount(total_paid)} reached contributors; the vault keeps "
            f"{format_amount(vault.held(ETH))} (rounding dust below one wei per claim, and "
            "revenue not yet claimed)"
        )

    def step_audit(self) -> dict[str, Any]:
        self.say("7. The audit rebuilds every flow from the chain's logs and checks it")
        from seedbed.workflows.audit.run import run_audit

        trees = {a.asset_id: a.tree_path for a in self.assets.values()}
        result = run_audit(
            self.project,
            self.chain,
            self.suite,
            self.out / "audit.sqlite",
            self.out / "audit",
            trees,
        )
        failures = result.findings.failures
        checked = sum(t.checked for t in result.findings.tallies.values())
        self.say(
            f"   {result.ingest.total_events:,} events rebuilt into the ledger; "
            f"{checked:,} checks against the chain, {len(failures)} failed"
        )
        for finding in failures:
            self.say(f"   FAIL {finding.message}")
        return {"report": str(result.paths.get("html", self.out / "audit")), "ok": result.ok}
