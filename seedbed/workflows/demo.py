"""The end-to-end story `make demo` tells, on a local chain.

Two publishers register example datasets with their annotators; a validator attests to one,
whose DERIVE offer then requires that attestation; a model maker licenses both
(DERIVE) and registers a model derived from them, offering inference with a service share
for the gateway that serves it; an app licenses the model (INFER), funds a channel with the
gateway operator and makes 10,000 paid HTTP calls to a gateway process in front of the
example model's server, each paid with a signed cumulative voucher the gateway checks
locally; the gateway settles all of them in one transaction when its policy says so, pays the
model's share into the vault and withdraws its own; a private dataset is sealed, read and
trained on by its licensee through the gateway and refused to everyone else
(`demo_private`); revenue flows upstream; every
contributor is paid; every wei is accounted for; the audit rebuilds every flow from the logs
and checks it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from eth_account import Account

from seedbed.chain.client import Suite
from seedbed.chain.deploy import Params, deploy
from seedbed.client import GatewayClient
from seedbed.core import x402
from seedbed.core.constants import ETH
from seedbed.core.treefile import ContributorTree
from seedbed.core.units import round_amount as format_amount
from seedbed.workflows import services
from seedbed.workflows.claims import flow
from seedbed.workflows.escrow import deposit, withdraw_earnings
from seedbed.workflows.licenses import buy_license
from seedbed.workflows.offers import publish_offer
from seedbed.workflows.register import register_folders

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
        self.validator = accounts[6] if len(accounts) > 6 else self.operator
        self.assets: dict[str, Published] = {}
        self.suite: Suite
        self.campaign: Any = None  # demo_campaign.Campaign once step_campaign ran

    # -- steps -----------------------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        self.out.mkdir(parents=True, exist_ok=True)
        self.step_deploy()
        self.step_campaign()
        self.step_publish_datasets()
        self.step_validate()
        self.step_model()
        license_id = self.step_consumer()
        self.step_calls_and_settle(license_id)
        self.step_conservation()
        self.step_private_data()
        self.step_flow_and_claims()
        return self.step_audit()

    def step_deploy(self) -> None:
        self.say("1. Deploying Seedbed through the CREATE2 proxy (same addresses on every chain)")
        # Commitments off, as on every local chain: each registration is one transaction.
        params = Params(
            wirer=self.operator.address, treasury=self.operator.address, min_commit_age=0
        )
        record = deploy(self.project, self.chain, self.operator, params, write_record=False)
        (self.out / "deployment.json").write_text(json.dumps(record, indent=2) + "\n")
        self.suite = Suite.from_record(self.project, self.chain, record)
        for name, address in self.suite.addresses.items():
            self.say(f"   {name:14} {address}")

    def step_campaign(self) -> None:
        from seedbed.workflows import demo_campaign

        self.campaign = demo_campaign.run(self)

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
            self.suite,
            publisher,
            [folder],
            spdx=spdx,
            contributors=[contributors],
            kind=kind,
            name=name,
            description=f"Seedbed demo asset {name}",
            out=self.out / name,
            parents=parents,
            licenses=licenses,
        )
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
            "3. Two publishers register example datasets with their annotators, and offer licenses"
        )
        ds, people = EXAMPLES / "datasets", EXAMPLES / "contributors"
        trees = self._register(
            self.trees_pub,
            "city-trees",
            ds / "city-trees",
            people / "city-trees.csv",
            "dataset",
            "CC-BY-4.0",
        )
        signs = self._register(
            self.signs_pub,
            "street-signs",
            ds / "street-signs",
            # The campaign's weights when it ran (the same root its bounty was paid from).
            self.campaign.contributors if self.campaign else people / "street-signs-log.csv",
            "dataset",
            "CC-BY-SA-4.0",
        )
        for pub, asset in ((self.trees_pub, trees), (self.signs_pub, signs)):
            self._offer(pub, asset, "train", scopes="train", price="0.05", duration="365d")
            self._offer(pub, asset, "derive", scopes="derive,train", price="0.2", min_share="15%")

    def step_validate(self) -> None:
        from seedbed.workflows import demo_validator

        demo_validator.run(self)

    def step_model(self) -> None:
        self.say(
            "4. A model maker licenses both datasets (DERIVE) and registers a model "
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
            self.modeler,
            "sign-tree-model",
            EXAMPLES / "model",
            team,
            "model",
            "Apache-2.0",
            parents=(f"{trees.asset_id}:20%", f"{signs.asset_id}:15%"),
            licenses=(l1, l2),
        )
        self.say(
            "   lineage: 20% of the model's revenue goes upstream to city-trees, "
            "15% to street-signs"
        )
        self._offer(
            self.modeler,
            model,
            "infer",
            scopes="infer",
            price="0.01",
            unit_price="0.00001",
            duration="30d",
            service_share="10%",
        )

    def step_consumer(self) -> int:
        self.say(
            "5. An app licenses the model for inference and funds a channel with the gateway "
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
        model = self.assets["sign-tree-model"]
        with self._services(model) as gateway:
            self.say(
                f"6. The app calls the model through the gateway at {gateway.url}: {CALLS:,} "
                "paid HTTP requests, each paid with a cumulative voucher the gateway checks "
                "locally against the channel's reserve"
            )
            self._show_challenge(gateway.url, model.asset_id)
            start_block = int(self.chain.blocks.height)
            answers = self._calls(gateway.url, license_id, model.asset_id)
            self.say(answers)
            settled = self._wait_for_settlement(license_id, start_block)
        self.to_asset = settled["to_asset"]
        self.say(
            f"   the gateway settled all {settled['units']:,} calls in ONE transaction "
            f"({settled['gas']:,} gas) as its policy says (every {CALLS:,} units): "
            f"{format_amount(settled['amount'])} left the reserve, "
            f"{format_amount(settled['share'])} of it the gateway's service share"
        )
        self.say(
            f"   and pushed the model's {format_amount(self.to_asset)} into the vault (payAsset), "
            "where its contributors and lineage can claim it"
        )
        earned = withdraw_earnings(self.suite, self.chain, self.gateway)
        self.service = earned.amount
        self.say(f"   the gateway operator withdrew its {format_amount(earned.amount)} of earnings")
        self.settled = settled["amount"]
        self.license_id = license_id

    @contextmanager
    def _services(self, model: Published) -> Iterator[services.Service]:
        """The example model's server and a gateway process in front of it."""
        upstream = services.model_server()
        try:
            ledger = self.out / "gateway-ledger.sqlite"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{ledger}{suffix}").unlink(missing_ok=True)
            config = self.out / "gateway.toml"
            config.write_text(
                gateway_config(
                    self.gateway.address,
                    (self.out / "deployment.json").resolve(),
                    ledger.resolve(),
                    model.asset_id,
                    upstream.url,
                )
            )
            gateway = services.gateway(config, self.chain.provider.http_uri, "TEST::5")
            try:
                yield gateway
            finally:
                gateway.stop()
        finally:
            upstream.stop()

    def _show_challenge(self, url: str, asset_id: int) -> None:
        body = '{"task":"sign","caption":"a stop sign at a junction"}'
        self.say(f"   try it: curl -i {url}/v1/assets/{asset_id}/invoke -d '{body}'")
        answer = httpx.post(f"{url}/v1/assets/{asset_id}/invoke", content=body.encode())
        required = x402.decode(answer.headers[x402.PAYMENT_REQUIRED], x402.PAYMENT_REQUIRED)
        accepts = required["accepts"][0]
        self.say(
            f"   without a payment: {answer.status_code} Payment Required, PAYMENT-REQUIRED "
            f"offers scheme {accepts['scheme']} on {accepts['network']}, payTo {accepts['payTo']}"
        )

    def _calls(self, url: str, license_id: int, asset_id: int) -> str:
        tests = EXAMPLES / "datasets" / "street-signs" / "annotations" / "test.jsonl"
        rows = [json.loads(line) for line in tests.read_text().splitlines() if line.strip()]
        start = time.perf_counter()
        right = 0
        with GatewayClient(
            url,
            private_key=self.app_key,
            license_id=license_id,
            chain_id=self.suite.chain_id,
            meter_address=self.suite.meter.address,
        ) as app:
            first = app.chat(
                [{"role": "user", "content": rows[0]["caption"]}], model="sign-tree-model"
            )
            reply = first["choices"][0]["message"]["content"]
            for k in range(1, CALLS):
                row = rows[k % len(rows)]
                answer = app.invoke(asset_id, {"task": "sign", "caption": row["caption"]})
                right += answer["label"] == row["label"]
            served = app.served
        elapsed = time.perf_counter() - start
        if served != CALLS:
            raise RuntimeError(f"the gateway served {served} units for {CALLS} calls")
        return (
            f"   {CALLS:,} paid calls over HTTP in {elapsed:.1f} s ({CALLS / elapsed:,.0f}/s), one "
            f'OpenAI-style chat ("{rows[0]["caption"]}" -> "{reply}") and the rest invoke; '
            f"the model was right on {right / (CALLS - 1):.0%} of the held-out captions"
        )

    def _wait_for_settlement(self, license_id: int, start_block: int) -> dict[str, int]:
        meter = self.suite.meter
        deadline = time.monotonic() + 120
        while int(meter.channel(license_id, self.app.address, self.gateway.address).units) < CALLS:
            if time.monotonic() > deadline:
                raise RuntimeError("the gateway did not settle the calls within 120 s")
            time.sleep(0.2)
        head = int(self.chain.blocks.height)
        settled = list(meter.UsageSettled.range(start_block, head + 1))
        if len(settled) != 1:
            raise RuntimeError(f"expected one settlement, found {len(settled)}")
        log = settled[0]
        deadline = time.monotonic() + 60
        while not (
            paid := list(meter.AssetPaid.range(start_block, int(self.chain.blocks.height) + 1))
        ):
            if time.monotonic() > deadline:
                raise RuntimeError("the gateway did not pay the asset within 60 s")
            time.sleep(0.2)
        receipt = self.chain.provider.get_receipt(log.transaction_hash)
        return {
            "units": int(log.units),
            "amount": int(log.amount),
            "share": int(log.serviceShare),
            "gas": int(receipt.gas_used),
            "to_asset": sum(int(p.amount) for p in paid),
        }

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

    def step_private_data(self) -> None:
        from seedbed.workflows import demo_private

        self.private = demo_private.publish(self)
        demo_private.use(self, self.private)

    def step_flow_and_claims(self) -> None:
        self.say("8. Revenue flows upstream, and every contributor is paid")
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
            each: dict[str, int] = {}
            for i in range(0, len(requests), 64):
                rec = vault.claimBatch(requests[i : i + 64], sender=self.gateway)
                for ev in rec.events.filter(vault.Claimed):
                    paid += ev.amount
                    each[str(ev.account)] = int(ev.amount)
            total_paid += paid
            self.say(
                f"   {asset.name}: {len(requests)} contributors claimed {format_amount(paid)} "
                f"(accrued {format_amount(vault.accrued(asset.asset_id, ETH))})"
            )
            if asset.name == "street-signs" and self.campaign is not None:
                from seedbed.workflows import demo_campaign

                demo_campaign.show_royalties(self, self.campaign, asset.asset_id, each)
        self.say(
            f"   in all, {format_amount(total_paid)} reached contributors; the vault keeps "
            f"{format_amount(vault.held(ETH))} (rounding dust, below one wei per contributor "
            "and pool, and revenue not yet claimed)"
        )

    def step_audit(self) -> dict[str, Any]:
        self.say("9. The audit rebuilds every flow from the chain's logs and checks it")
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


def gateway_config(
    operator: str, deployment: Path, ledger: Path, model_asset: int, upstream: str
) -> str:
    """The demo gateway's configuration: the model per call, settled every CALLS units."""
    return f"""[gateway]
host = "127.0.0.1"
port = 0
operator = "{operator}"
deployment = "{deployment}"

[ledger]
sqlite = "{ledger}"

[settlement]
threshold_units = {CALLS}
interval_seconds = 3600
margin_seconds = 3600

[[assets]]
id = {model_asset}
kind = "model"
model = "sign-tree-model"
upstream = "{upstream}"
pricing = "call"
units = 1
description = "the example sign-and-tree model"
"""
