"""`ape run withdraw --request <amount|all> | --complete [--token ADDR]`: take escrow back
from the usage meter in two steps; with neither option, show the escrow and any request."""

import click
from ape.cli import ConnectedProviderCommand, account_option

from seedbed.cli.errors import one_line_errors


@click.command(cls=ConnectedProviderCommand)
@account_option()
@click.option("--request", "request", metavar="AMOUNT", help='Start a withdrawal ("all" for all).')
@click.option("--complete", is_flag=True, help="Finish the withdrawal requested earlier.")
@click.option("--token", "token", metavar="ADDR", help="The ERC-20 escrow (default: ETH).")
@one_line_errors
def cli(account, request, complete, token):
    """Withdraw escrow: --request starts the delay, --complete pays out after it.

    Until the delay ends, gateways may still settle vouchers from the escrow, so completing
    pays the smaller of what was requested and what is left. A new request replaces the
    previous one and restarts the delay.
    """
    from ape import chain, project

    from seedbed.chain.client import Suite
    from seedbed.core.errors import InputError
    from seedbed.workflows.royalties import currency_of

    if request is not None and complete:
        raise InputError("use either --request AMOUNT or --complete, not both.")
    suite = Suite.load(project, chain)
    escrow = Escrow(suite, chain, account, currency_of(chain, token))
    if request is not None:
        escrow.request(request)
    elif complete:
        escrow.complete()
    else:
        escrow.status()


class Escrow:
    """One account's escrow in one currency, read once from the chain."""

    def __init__(self, suite, chain, account, currency):
        from seedbed.workflows.meter import suite_decoder

        self.meter, self.account, self.currency = suite.meter, account, currency
        self.decoder = suite_decoder(suite)
        self.balance = int(self.meter.escrowOf(account.address, currency.address))
        pending = self.meter.withdrawalOf(account.address, currency.address)
        self.requested, self.ready_at = int(pending.amount), int(pending.readyAt)
        self.now = int(chain.blocks.head.timestamp)

    def fmt(self, amount):
        return self.currency.format(amount)

    def request(self, text):
        from seedbed.core.errors import InputError
        from seedbed.core.units import format_duration
        from seedbed.workflows.meter import format_time, preflight

        amount = self.balance if text.strip().lower() == "all" else self.currency.parse(text)
        if amount == 0:
            raise InputError(
                f"nothing to withdraw: the amount is zero (escrow {self.fmt(self.balance)})."
            )
        if amount > self.balance:
            raise InputError(
                f"you have {self.fmt(self.balance)} in escrow, less than the "
                f"{self.fmt(amount)} requested."
            )
        args = (self.currency.address, amount)
        preflight(
            self.meter,
            "requestWithdrawal",
            *args,
            sender=self.account.address,
            decoder=self.decoder,
        )
        if self.ready_at:
            click.echo(f"replacing the earlier request for {self.fmt(self.requested)}")
        receipt = self.meter.requestWithdrawal(*args, sender=self.account)
        log = receipt.events.filter(self.meter.WithdrawalRequested)[0]
        delay = format_duration(int(self.meter.WITHDRAWAL_DELAY()))
        click.echo(
            f"requested {self.fmt(log.amount)}; ready at {format_time(log.readyAt)} (after {delay})"
        )
        click.echo("until then, vouchers may still be settled from this escrow")

    def complete(self):
        from seedbed.core.errors import InputError
        from seedbed.workflows.meter import format_time, format_wait, preflight

        if self.ready_at == 0:
            raise InputError(
                f"{self.account.address} has not requested a {self.currency.symbol} withdrawal; "
                "use --request first."
            )
        if self.now < self.ready_at:
            raise InputError(
                f"the withdrawal is not ready until {format_time(self.ready_at)} "
                f"({format_wait(self.ready_at - self.now)})."
            )
        payout = min(self.requested, self.balance)
        click.echo(
            f"will pay {self.fmt(payout)} "
            f"(requested {self.fmt(self.requested)}, escrow {self.fmt(self.balance)})"
        )
        currency = self.currency.address
        preflight(
            self.meter,
            "completeWithdrawal",
            currency,
            sender=self.account.address,
            decoder=self.decoder,
        )
        receipt = self.meter.completeWithdrawal(currency, sender=self.account)
        log = receipt.events.filter(self.meter.Withdrawn)[0]
        click.echo(f"withdrew {self.fmt(log.amount)}; escrow left {self.fmt(log.escrow)}")

    def status(self):
        from seedbed.workflows.meter import format_time, format_wait

        click.echo(f"escrow of {self.account.address}: {self.fmt(self.balance)}")
        if self.ready_at == 0:
            click.echo("no withdrawal requested")
            return
        state = "ready" if self.now >= self.ready_at else "not ready"
        click.echo(
            f"requested {self.fmt(self.requested)}: {state} at {format_time(self.ready_at)} "
            f"({format_wait(self.ready_at - self.now)}); "
            f"would pay {self.fmt(min(self.requested, self.balance))}"
        )
