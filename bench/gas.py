"""Gas per operation, from receipts, on a fresh suite deployed exactly as in production.

Each figure is the steady state a user sees most: the payer, buyer or publisher has used the
protocol before (so one-time storage, such as a first balance slot, is not counted), and the
notes say what a first time costs more where it differs.
"""

from __future__ import annotations

import os
from typing import Any

from bench.harness import Results
from seedbed.core.constants import DERIVE, ETH, INFER
from seedbed.core.keccak import keccak
from seedbed.core.treefile import ContributorTree
from seedbed.core.vouchers import Voucher, sign

ZERO_SALT = b"\x00" * 32
URI = "ipfs://bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi/croissant.json"
META = b"\x42" * 32


class GasBench:
    def __init__(
        self, project: Any, chain: Any, accounts: list[Any], keys: list[str], big: ContributorTree
    ):
        from seedbed.chain.client import Suite
        from seedbed.chain.deploy import Params, deploy

        self.project, self.chain, self.keys = project, chain, keys
        self.deployer, self.publisher, self.alice, self.bob, self.gateway, self.buyer = accounts[:6]
        # The direct path (commitments off, as on a local chain) and, beside it, a suite with
        # commit-reveal on, as on public chains.
        params = Params(
            wirer=self.deployer.address, treasury=self.deployer.address, min_commit_age=0
        )
        self.suite = Suite.from_record(
            project, chain, deploy(project, chain, self.deployer, params, write_record=False)
        )
        public = Params(wirer=self.deployer.address, treasury=self.deployer.address)
        self.public = Suite.from_record(
            project, chain, deploy(project, chain, self.deployer, public, write_record=False)
        )
        self.small = ContributorTree.build(
            {
                bytes.fromhex(a.address[2:]): w
                for a, w in ((self.alice, 3), (self.bob, 2), (self.gateway, 1))
            }
        )
        self.big = big

    # -- helpers -------------------------------------------------------------------------------

    def register(
        self, tree: ContributorTree, publisher: Any = None, parents: list[Any] | None = None
    ) -> tuple[int, Any]:
        r = self.suite.registry
        receipt = r.register(
            0,
            os.urandom(32),
            ZERO_SALT,
            tree.top(),
            URI,
            META,
            parents or [],
            sender=publisher or self.publisher,
        )
        return receipt.events.filter(r.AssetRegistered)[0].assetId, receipt

    def proof(self, tree: ContributorTree, account: Any) -> tuple[int, list[tuple[bytes, int]]]:
        weight, nodes = tree.proof(account.address)
        return weight, list(nodes)

    def offer(
        self,
        asset: int,
        scopes: int,
        price: int = 10**15,
        unit_price: int = 10**12,
        min_share: int = 0,
        service_bps: int = 0,
    ) -> int:
        terms = (asset, ETH, price, unit_price, 0, 0, scopes, min_share, False, 0, service_bps)
        receipt = self.suite.license.createOffer(terms, sender=self.publisher)
        return receipt.events.filter(self.suite.license.OfferCreated)[0].offerId

    def buy(self, offer: int, buyer: Any, price: int = 10**15) -> tuple[int, Any]:
        lt = self.suite.license
        receipt = lt.buy(offer, buyer, price, value=price, sender=buyer)
        return receipt.events.filter(lt.LicenseBought)[0].licenseId, receipt

    # -- scenarios -----------------------------------------------------------------------------

    def run(self, res: Results) -> None:
        s = self.suite
        self.register(self.small)  # the publisher's first asset: its balance slot exists now
        _, rec = self.register(self.small)
        res.gas(
            "register_gas", rec, 160_000, "dataset, no parents, 3 contributors, 79-char URI in logs"
        )
        _, rec = self.register(self.big)
        res.gas(
            "register_1m_contributors_gas", rec, 160_000, "same, with a 1,000,000-contributor root"
        )

        calls = [
            s.registry.register.as_transaction(
                0, os.urandom(32), ZERO_SALT, self.small.top(), URI, META, [], sender=self.publisher
            ).data
            for _ in range(100)
        ]
        rec = s.registry.multicall(calls, sender=self.publisher)
        res.record("register_batch100_per_asset_gas", rec.gas_used // 100, "gas", 110_000)
        self.commit_reveal(res)

        # pay: second payment to a pool (the first one also caches the asset's upstream share).
        solo, _ = self.register(self.small)
        s.vault.pay(solo, ETH, 10**15, value=10**15, sender=self.buyer)
        res.gas(
            "pay_eth_gas",
            s.vault.pay(solo, ETH, 10**15, value=10**15, sender=self.buyer),
            40_000,
            "asset without parents; a pool's first payment costs ~20k more",
        )
        p1, _ = self.register(self.small)
        p2, _ = self.register(self.small)
        child, rec = self.register(self.small, parents=[(p1, 1500, 0), (p2, 1000, 0)])
        s.vault.pay(child, ETH, 10**15, value=10**15, sender=self.buyer)
        res.gas(
            "pay_eth_with_parents_gas",
            s.vault.pay(child, ETH, 10**15, value=10**15, sender=self.buyer),
            48_000,
        )

        token = self.deployer.deploy(self.project.MockERC20, "Bench USD", "BUSD", 6)
        token.mint(self.buyer, 10**12, sender=self.deployer)
        token.approve(s.vault, 2**256 - 1, sender=self.buyer)
        s.vault.pay(solo, token, 10**6, sender=self.buyer)
        res.gas("pay_erc20_gas", s.vault.pay(solo, token, 10**6, sender=self.buyer), 70_000)

        big_asset, _ = self.register(self.big)
        s.vault.pay(big_asset, ETH, 10**18, value=10**18, sender=self.buyer)
        res.gas(
            "pay_eth_1m_contributors_gas",
            s.vault.pay(big_asset, ETH, 10**18, value=10**18, sender=self.buyer),
            40_000,
        )
        w, pf = self.proof(self.big, self.alice)
        res.gas(
            "claim_first_gas",
            s.vault.claim(big_asset, ETH, self.alice, w, pf, sender=self.alice),
            85_000,
            f"ETH, proof of {len(pf)} levels for 1,000,000 contributors",
        )
        s.vault.pay(big_asset, ETH, 10**18, value=10**18, sender=self.buyer)
        res.gas(
            "claim_repeat_gas",
            s.vault.claim(big_asset, ETH, self.alice, w, pf, sender=self.alice),
            65_000,
        )
        self.claims_to(res, big_asset)

        s.vault.flowUpstream(child, ETH, sender=self.gateway)  # parents' pools exist now
        s.vault.pay(child, ETH, 10**15, value=10**15, sender=self.buyer)
        res.gas(
            "flow_upstream_2_parents_gas",
            s.vault.flowUpstream(child, ETH, sender=self.gateway),
            35_000 + 2 * 15_000,
        )

        self.splits_comparison(res)
        self.licenses_and_metering(res)
        self.disputes(res)
        from bench import attestations_gas, campaigns_gas

        campaigns_gas.run(res, self)
        attestations_gas.run(res, self)

    def file_asset(self, leaf: bytes, owner: Any) -> tuple[int, list[bytes]]:
        """An asset whose content root holds `leaf` under 20 random siblings: the proof of a
        file in a 1,048,576-file tree."""
        from seedbed.core.merkle import node

        siblings = [os.urandom(32) for _ in range(20)]
        h = leaf
        for sib in siblings:
            h = node(h, sib) if h < sib else node(sib, h)
        r = self.suite.registry
        rec = r.register(0, h, ZERO_SALT, self.small.top(), URI, META, [], sender=owner)
        return rec.events.filter(r.AssetRegistered)[0].assetId, siblings

    def disputes(self, res: Results) -> None:
        """The court of the local suite (a PanelArbiter of the deployer, fee 0)."""
        from seedbed.core.merkle import file_leaf

        s, court = self.suite, self.suite.court
        panel = self.project.PanelArbiter.at(court.ARBITER())
        bond = int(court.BOND())
        answer = int(court.ANSWER_PERIOD())

        def elapse(seconds: int) -> None:
            self.chain.provider.make_request("evm_increaseTime", [seconds])
            self.chain.provider.make_request("evm_mine", [])

        def open_subjective(asset: int) -> tuple[int, Any]:
            rec = court.openSubjective(asset, 1, META, 0, value=bond, sender=self.bob)
            return rec.events.filter(court.DisputeOpened)[0].disputeId, rec

        first, _ = self.register(self.small)
        open_subjective(first)  # the court's first dispute starts its counters
        target, _ = self.register(self.small)
        s.vault.pay(target, ETH, 10**15, value=10**15, sender=self.buyer)
        case, rec = open_subjective(target)
        res.gas("dispute_open_gas", rec, None, "subjective claim: bond, status, hold")
        res.gas(
            "pay_eth_disputed_gas",
            s.vault.pay(target, ETH, 10**15, value=10**15, sender=self.buyer),
            None,
            "a payment to a disputed asset: into its escrow",
        )
        res.gas(
            "dispute_contest_gas",
            court.contest(case, value=bond, sender=self.publisher),
            None,
            "the owner's bond, and the case sent to the arbiter",
        )
        res.gas(
            "dispute_rule_gas",
            panel.vote(court, case, False, sender=self.deployer),
            None,
            "a one-member panel's vote: dismissed, bonds to the owner, hold lifted",
        )
        res.gas(
            "dispute_release_gas",
            s.vault.release(target, ETH, sender=self.gateway),
            None,
            "the escrow in one currency back into the asset's pool",
        )

        sha, size = os.urandom(32), 1 << 20
        path = "data/shared.bin"
        leaf = file_leaf(path, sha, size)
        earlier, pa = self.file_asset(leaf, self.publisher)
        later, pb = self.file_asset(leaf, self.bob)
        proof_a = (path, sha, size, pa)
        proof_b = (path, sha, size, pb)
        rec = court.openDuplicate(earlier, later, proof_a, proof_b, value=bond, sender=self.alice)
        res.gas(
            "dispute_duplicate_open_gas",
            rec,
            None,
            "two 20-level file proofs (1,048,576-file trees), checked at open",
        )
        case = rec.events.filter(court.DisputeOpened)[0].disputeId
        elapse(answer + 1)
        res.gas(
            "dispute_resolve_gas",
            court.resolve(case, sender=self.alice),
            None,
            "an unanswered duplicate claim upheld: bond back, revenue to the earlier asset",
        )

    def claims_to(self, res: Results, asset: int) -> None:
        """Claims paid to a recipient the contributor chose: sent by it, or signed by it and
        sent by a third party; the recipient is a fresh (cold, empty) account each time."""
        from seedbed.core import claim_to

        s, big = self.suite, self.big
        w, pf = self.proof(big, self.bob)
        s.vault.pay(asset, ETH, 10**18, value=10**18, sender=self.buyer)
        res.gas(
            "claim_to_first_gas",
            s.vault.claimTo(asset, ETH, w, pf, os.urandom(20), sender=self.bob),
            None,
            "sent by the contributor to a new recipient (a cold account)",
        )
        s.vault.pay(asset, ETH, 10**18, value=10**18, sender=self.buyer)
        deadline = self.chain.pending_timestamp + 86_400
        recipient = "0x" + os.urandom(20).hex()
        signed = claim_to.ClaimTo(asset, ETH, self.bob.address, recipient, deadline=deadline)
        sig = claim_to.sign(signed, self.chain.provider.chain_id, s.vault.address, self.keys[3])
        res.gas(
            "claim_to_signed_gas",
            s.vault.claimToSigned(*claim_to.args(signed, w, pf, sig), sender=self.gateway),
            None,
            "repeat claim signed by the contributor, sent by a third party to a cold recipient",
        )  # fmt: skip

    def commit_reveal(self, res: Results) -> None:
        """Registration on a suite with commitments on: commit, wait MIN_COMMIT_AGE, reveal."""
        r = self.public.registry
        wait = int(r.MIN_COMMIT_AGE())

        def ripen() -> None:
            self.chain.provider.make_request("evm_increaseTime", [wait])
            self.chain.provider.make_request("evm_mine", [])

        def reveal_one() -> tuple[Any, Any]:
            salt, root = os.urandom(32), os.urandom(32)
            leaf = bytes(r.registrationLeaf(self.publisher, root, salt))
            commit = r.commit(keccak(leaf), sender=self.publisher)
            ripen()
            args: tuple[Any, ...] = (0, root, salt, self.small.top(), URI, META, [])
            return commit, r.register(*args, sender=self.publisher)

        reveal_one()  # the publisher's first asset on this suite: its balance slot exists now
        commit, reveal = reveal_one()
        res.gas("register_commit_gas", commit, None, "commit-reveal on: the commitment alone")
        res.gas("register_reveal_gas", reveal, None, "the reveal: register with the salt")
        res.record(
            "register_commit_reveal_gas",
            commit.gas_used + reveal.gas_used,
            "gas",
            None,
            note=f"both transactions, {wait} s apart; the direct path is register_gas",
        )
        roots = [(os.urandom(32), os.urandom(32)) for _ in range(100)]
        leaves = [bytes(r.registrationLeaf(self.publisher, root, salt)) for root, salt in roots]
        commit = r.commit(keccak(b"".join(leaves)), sender=self.publisher)
        ripen()
        calls = [bytes(r.openCommitment.as_transaction(leaves, sender=self.publisher).data)]
        calls += [
            bytes(
                r.register.as_transaction(
                    0, root, salt, self.small.top(), URI, META, [], sender=self.publisher
                ).data
            )
            for root, salt in roots
        ]
        rec = r.multicall(calls, sender=self.publisher)
        res.record(
            "register_batch100_commit_reveal_per_asset_gas",
            (commit.gas_used + rec.gas_used) // 100,
            "gas",
            110_000,
            note="one commitment for 100 assets, one multicall revealing them",
        )

    def splits_comparison(self, res: Results) -> None:
        """One payment to 500 contributors: 0xSplits v1 pushes to all (~3.36M gas); here one
        O(1) pay, and each contributor's claim covers every payment since its last one."""
        s = self.suite
        tree_weights = {os.urandom(20): 1 for _ in range(499)}
        tree_weights[bytes.fromhex(self.alice.address[2:])] = 1
        tree = ContributorTree.build(tree_weights)
        asset, _ = self.register(tree)
        s.vault.pay(asset, ETH, 10**16, value=10**16, sender=self.buyer)
        pay = s.vault.pay(asset, ETH, 10**16, value=10**16, sender=self.buyer).gas_used
        w, pf = self.proof(tree, self.alice)
        claim = s.vault.claim(asset, ETH, self.alice, w, pf, sender=self.alice).gas_used
        res.record("splits500_pay_gas", pay, "gas", None, note="one payment, whatever the 500")
        res.record(
            "splits500_claim_gas",
            claim,
            "gas",
            None,
            note="per contributor, once for any number of payments",
        )
        res.record(
            "splits500_100_payments_total_gas",
            100 * pay + 500 * claim,
            "gas",
            100 * 3_360_000,
            note="100 payments then 500 claims; 0xSplits v1: 100 × ~3.36M",
        )

    def licenses_and_metering(self, res: Results) -> None:
        s = self.suite
        dataset, _ = self.register(self.small)
        self.offer(dataset, INFER)  # the suite's first offer also starts the offer counter
        rec = s.license.createOffer(
            (dataset, ETH, 10**15, 10**12, 30 * 86400, 0, INFER, 0, False, 0, 0),
            sender=self.publisher,
        )
        res.gas("create_offer_gas", rec, 130_000)
        offer = rec.events.filter(s.license.OfferCreated)[0].offerId
        self.buy(offer, self.buyer)
        lic, rec = self.buy(offer, self.buyer)
        res.gas("buy_license_gas", rec, 150_000, "ETH; a buyer's first license costs ~17k more")

        # A model derived from two datasets of another publisher, under DERIVE licenses.
        d1, _ = self.register(self.small)
        d2, _ = self.register(self.small)
        l1, _ = self.buy(self.offer(d1, DERIVE, min_share=500), self.bob)
        l2, _ = self.buy(self.offer(d2, DERIVE, min_share=500), self.bob)
        self.register(self.small, publisher=self.bob)
        _, rec = self.register(
            self.small, publisher=self.bob, parents=[(d1, 1000, l1), (d2, 1000, l2)]
        )
        res.gas("register_derived_2_parents_gas", rec, 280_000)

        # Metering: the buyer opens a channel with the gateway, signs cumulative vouchers, the
        # gateway settles; the asset's share reaches the vault with payAsset.
        m, buyer, gw = s.meter, self.buyer, self.gateway
        rec = m.deposit(lic, gw, 10**18, value=10**18, sender=buyer)
        res.gas(
            "deposit_eth_first_gas",
            rec,
            None,
            "opens the channel: caches the license's terms and the payer's signer",
        )
        res.gas("deposit_eth_gas", m.deposit(lic, gw, 10**17, value=10**17, sender=buyer), 45_000)
        key = self.keys[5]
        chain_id, meter = self.chain.provider.chain_id, m.address
        deadline = self.chain.pending_timestamp + 86400

        def settle(license_id: int, units: int) -> Any:
            v = Voucher(license_id, buyer.address, gw.address, units, deadline)
            return m.settle(v.as_tuple(), sign(v, chain_id, meter, key), sender=gw)

        settle(lic, 10)
        res.gas(
            "settle_one_gas",
            settle(lic, 1_000_010),
            75_000,
            "one voucher covering 1,000,000 calls, no service share",
        )
        shared, _ = self.buy(self.offer(dataset, INFER, service_bps=1_000), buyer)
        m.deposit(shared, gw, 2 * 10**18, value=2 * 10**18, sender=buyer)
        settle(shared, 10)
        res.gas(
            "settle_one_service_share_gas",
            settle(shared, 1_000_010),
            None,
            "the same with a 10% service share credited to the operator",
        )
        res.gas("meter_gas", m.meter(lic, gw, 10, sender=buyer), 60_000)
        res.gas(
            "pay_asset_gas",
            m.payAsset(dataset, ETH, sender=gw),
            None,
            "pushes what settlements owe an asset into the vault (any number of settlements)",
        )

        licenses = [self.buy(offer, buyer)[0] for _ in range(100)]
        for l_id in licenses:
            m.deposit(l_id, gw, 10**16, value=10**16, sender=buyer)
        vouchers, sigs = [], []
        for i, l_id in enumerate(licenses):
            v = Voucher(l_id, buyer.address, gw.address, 1000 + i, deadline)
            vouchers.append(v.as_tuple())
            sigs.append(sign(v, chain_id, meter, key))
        rec = m.settleBatch(vouchers, sigs, sender=gw)
        res.record(
            "settle_batch100_per_voucher_gas",
            rec.gas_used // 100,
            "gas",
            28_000,
            note="100 channels on licenses of one asset, first settlement of each, with the split",
        )
