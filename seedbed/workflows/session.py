"""The public Python API: one object connected to a node and a Seedbed deployment, with a
method per workflow. The scripts are thin over the same workflow functions, so a notebook
does exactly what `ape run …` does:

    from seedbed import Seedbed
    with Seedbed.connect("http://127.0.0.1:8545", key="0x…") as sb:
        asset = sb.register("data/birds", spdx="CC-BY-4.0", contributors="people.csv").assets[0]
        offer = sb.offer(asset.asset_id, scopes="train,infer", unit_price="0.00001")

Amounts are text in the currency's units ("0.05", "20 USDC"); results are dataclasses with
exact integers. It needs only the installed package: the ABIs ship inside it, and the
deployment record is read from `deployments/<chain-id>.json` (or the folder/file given).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from seedbed.chain.accounts import resolve_account, signer_from_key
from seedbed.chain.client import Suite
from seedbed.chain.contracts import PackagedContracts
from seedbed.chain.deploy import load_record, record_path
from seedbed.core.errors import ChainError, InputError
from seedbed.core.units import parse_duration
from seedbed.core.vouchers import SignedVoucher
from seedbed.workflows import claims, escrow, licenses, offers, register, settle, usage
from seedbed.workflows.channels import ChannelView


class Seedbed:
    """A connection to one chain's Seedbed deployment, signing as one account (or none)."""

    def __init__(
        self, suite: Suite, chain: Any, account: Any, contracts: Any, network: Any = None
    ) -> None:
        self.suite, self.chain, self.account = suite, chain, account
        self.contracts = contracts  # where the ABIs come from: the package's, or a project's
        self._network = network

    # ------------------------------------------------------------------ connecting

    @classmethod
    def connect(
        cls,
        network: str = "http://127.0.0.1:8545",
        *,
        key: str | None = None,
        account: str | None = None,
        deployment: str | Path | None = None,
        project: Any = None,
        verbose: bool = False,
    ) -> Seedbed:
        """Connect to `network` (a node URL or an ape network choice) and its deployment.

        Sign with `key` (hex private key) or `account` (an ape alias, or TEST::<n> on a local
        chain); with neither, only reading methods work. `deployment` is a record file or a
        folder of them (default: $SEEDBED_DEPLOYMENTS or ./deployments). `project` uses an
        ape project's contracts instead of the packaged ABIs. ape's INFO lines are kept
        for `verbose`."""
        from ape import chain, networks
        from ape.logging import logger

        if not verbose:
            logger.set_level("WARNING")

        signer = signer_from_key(key) if key else resolve_account(account) if account else None
        context = networks.parse_network_choice(network, disconnect_on_exit=True)
        try:
            context.__enter__()
        except Exception as err:
            raise ChainError(f"Cannot reach the node {network}: {err}") from None
        try:
            record = _record(chain.chain_id, deployment)
            contracts = project or PackagedContracts()
            suite = Suite.from_record(contracts, chain, record)
        except BaseException:
            context.__exit__(None, None, None)
            raise
        return cls(suite, chain, signer, contracts, context)

    def close(self) -> None:
        if self._network is not None:
            self._network.__exit__(None, None, None)
            self._network = None

    def __enter__(self) -> Seedbed:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, err: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def address(self) -> str:
        return str(self._signer().address)

    def _signer(self) -> Any:
        if self.account is None:
            raise InputError("This session has no signer: connect with key= or account=.")
        return self.account

    # ------------------------------------------------------------------ publishers

    def register(self, *folders: str | Path, spdx: str, **options: Any) -> register.RegisterRun:
        """Register folders as assets (options as `ape run register`: contributors, parents,
        shares, licenses, kind, name, description, uri_base, out, excludes, symlinks…; and
        `note`, `wait`, `clock` for a registry that asks for commitments, see
        `register_folders`)."""
        contributors = options.pop("contributors", ())
        if isinstance(contributors, str | Path):
            contributors = (contributors,)
        return register.register_folders(
            self.suite, self._signer(), folders, spdx=spdx, contributors=contributors, **options
        )

    def offer(self, asset_id: int, *, scopes: str, **terms: Any) -> offers.OfferPublished:
        """Publish a license offer (terms as `ape run offer`: price, unit_price, duration,
        max_units, supply, soulbound, min_share, service_share, token)."""
        return offers.publish_offer(
            self.suite, self.chain, self._signer(), asset_id, scopes=scopes, **terms
        )

    # ------------------------------------------------------------------ consumers

    def buy(self, offer_id: int, **options: Any) -> licenses.LicenseBought:
        """Buy a license (options: to, max_price, approve)."""
        return licenses.buy_license(self.suite, self.chain, self._signer(), offer_id, **options)

    def open_channel(
        self, license_id: int, operator: str, *, signer: str | None = None, units: int = 0
    ) -> escrow.ChannelOpened:
        """Open the signer's channel with gateway `operator` on a license it holds (options:
        the voucher `signer`, default the account; `units` a capped license allots it)."""
        return escrow.open_channel(
            self.suite, self.chain, self._signer(), license_id, operator, signer=signer,
            units=units,
        )  # fmt: skip

    def deposit(
        self, license_id: int, amount: str, *, operator: str, approve: bool = False
    ) -> escrow.Deposited:
        """Deposit into the channel (license, this account, `operator`), opening it if new."""
        return escrow.deposit(
            self.suite, self.chain, self._signer(), license_id, operator, amount, approve=approve
        )

    def channel(self, license_id: int, *, operator: str, payer: str | None = None) -> ChannelView:
        """A channel now (default payer: this account): reserve, units, limit, signer,
        closesAt and any pending withdrawal."""
        who = payer or self.address
        return escrow.channel_status(self.suite, self.chain, license_id, who, operator)

    def request_withdrawal(
        self, license_id: int, amount: str, *, operator: str
    ) -> escrow.WithdrawalRequested:
        """Start a channel withdrawal of `amount` (or "all"): completable after the delay,
        within its window."""
        return escrow.request_withdrawal(
            self.suite, self.chain, self._signer(), license_id, operator, amount
        )

    def cancel_withdrawal(self, license_id: int, *, operator: str) -> escrow.WithdrawalCancelled:
        return escrow.cancel_withdrawal(
            self.suite, self.chain, self._signer(), license_id, operator
        )

    def complete_withdrawal(self, license_id: int, *, operator: str) -> escrow.Withdrawn:
        return escrow.complete_withdrawal(
            self.suite, self.chain, self._signer(), license_id, operator
        )

    def change_signer(self, license_id: int, signer: str | None = None) -> escrow.SignerChanged:
        """Schedule a new voucher signer on a license (None = this account); delayed."""
        return escrow.change_signer(self.suite, self.chain, self._signer(), license_id, signer)

    def sign_voucher(
        self,
        license_id: int,
        units: int,
        deadline: str = "1d",
        *,
        operator: str,
        payer: str | None = None,
    ) -> usage.VoucherSigned:
        """Sign "the channel (license, payer, operator) has used `units` units in total",
        settleable for `deadline`; the payer defaults to this account, which must be the
        channel's voucher signer."""
        return usage.sign_voucher(
            self.suite, self.chain, self._signer(), license_id, units, parse_duration(deadline),
            operator=operator, payer=payer,
        )  # fmt: skip

    # ------------------------------------------------------------------ gateways

    def settle(
        self,
        vouchers: Sequence[SignedVoucher] = (),
        *,
        ledger: str | Path,
        batch_size: int = 100,
        pay: bool = True,
    ) -> settle.SettleRun:
        """Settle the `ledger`'s pending vouchers, first adding `vouchers` to it (each checked
        against its channel's reserve), then pay the assets what the meter owes them."""
        return settle.settle(
            self.suite, self.chain, self._signer(), ledger, batch_size=batch_size,
            vouchers=list(vouchers), pay=pay,
        )  # fmt: skip

    def earnings(self, operator: str | None = None, token: str | None = None) -> escrow.Earnings:
        """An operator's service earnings not yet withdrawn (default: this account's)."""
        return escrow.earnings(self.suite, self.chain, operator or self.address, token)

    def withdraw_earnings(
        self, *, token: str | None = None, to: str | None = None
    ) -> escrow.EarningsWithdrawn:
        """Withdraw this operator's service earnings (to itself, or `to`)."""
        return escrow.withdraw_earnings(self.suite, self.chain, self._signer(), token=token, to=to)

    # ------------------------------------------------------------------ revenue

    def pay(self, asset_id: int, amount: str, **options: Any) -> claims.Paid:
        return claims.pay(self.suite, self.chain, self._signer(), asset_id, amount, **options)

    def flow(self, asset_id: int, **options: Any) -> list[claims.Flowed]:
        """Move pending upstream revenue to the parents (options: token, all_levels)."""
        return claims.flow(self.suite, self.chain, self._signer(), asset_id, **options)

    def claim(
        self, tree: str | Path | Sequence[str | Path], *, who: str | None = None, **options: Any
    ) -> claims.ClaimRun:
        """Claim `who`'s share (default: the signer's) of the assets of the tree file(s)."""
        trees = [str(tree)] if isinstance(tree, str | Path) else [str(t) for t in tree]
        signer = self._signer()
        return claims.claim(self.suite, self.chain, signer, who or signer.address, trees, **options)

    # ------------------------------------------------------------------ auditors

    def audit(
        self, out: str | Path | None = None, *, db: str | Path | None = None, **options: Any
    ) -> Any:
        """Rebuild every flow from the logs and check it (`ape run audit`); returns the
        AuditResult (`.ok`, `.findings`, `.ledger`)."""
        from seedbed.workflows.audit import run_audit

        db_path = db or Path(out or ".") / "audit.sqlite"
        Path(db_path).parent.mkdir(parents=True, exist_ok=True)
        return run_audit(self.contracts, self.chain, self.suite, db_path, out, **options)


def _record(chain_id: int, deployment: str | Path | None) -> dict[str, Any]:
    path = Path(deployment) if deployment is not None else None
    if path is not None and path.is_file():
        try:
            record: dict[str, Any] = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as err:
            raise InputError(f"The deployment record {path} is unreadable: {err}.") from None
        if int(record.get("chain_id", -1)) != chain_id:
            raise ChainError(
                f"The deployment record {path} is for chain {record.get('chain_id')}, "
                f"but the node is chain {chain_id}."
            )
        return record
    found = load_record(chain_id, path)
    if found is None:
        raise ChainError(
            f"No Seedbed deployment recorded for chain {chain_id} "
            f"({record_path(chain_id, path)}); deploy with `ape run deploy` first."
        )
    return found
