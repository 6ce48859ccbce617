"""Benchmarks: `make bench` (= `ape run benchmark`). Writes bench/results.json and prints a table.

ape run benchmark [--only gas|tooling|audit|script|gateway|private|lifecycle] ...
"""

import sys
from pathlib import Path

import click

from seedbed.cli.command import command

# bench/ is a folder of the project, not an installed package: make it importable.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

GROUPS = ("gas", "tooling", "script", "audit", "gateway", "private", "lifecycle")


@command()
@click.option("--only", multiple=True, type=click.Choice(GROUPS), help="Run only these groups.")
def cli(only):
    from ape import accounts, chain, project

    from bench import tooling
    from bench.harness import RESULTS, Results, table

    groups = set(only or GROUPS)
    res = Results()
    test_accounts = list(accounts.test_accounts)[:10]
    keys = [a.private_key for a in test_accounts]
    big = None
    if groups & {"gas", "tooling"}:
        print("Building a 1,000,000-contributor tree ...")
        big, build_s = tooling.big_tree([a.address for a in test_accounts])
        if "tooling" in groups:
            print("tooling")
            tooling.trees(res, big, build_s, test_accounts[2].address)
    if "gas" in groups:
        from bench.gas import GasBench

        print("gas (steady state, from receipts)")
        bench = GasBench(project, chain, test_accounts, keys, big)
        bench.run(res)
        meter = bench.suite.meter.address
    else:
        meter = "0x" + "00" * 20
    if "tooling" in groups:
        tooling.ledger(res, chain.provider.chain_id, meter)
        tooling.hashing(res)
    if "script" in groups:
        from bench import scripts as script_bench

        script_bench.run(res, project, chain, test_accounts)
    if "audit" in groups:
        from bench import audit as audit_bench

        audit_bench.run(res, project, chain, test_accounts)
    if "gateway" in groups:
        from bench import gateway_load

        print("gateway (real gateway processes under load, on an anvil of their own)")
        gateway_load.run(res, project)
    if "private" in groups:
        from bench import private as private_bench

        print("private (sealing, streaming a sealed dataset, key release; an anvil of its own)")
        private_bench.run(res, project)
    if "lifecycle" in groups:
        from bench import lifecycle

        lifecycle.run(res)
    res.merge_into(RESULTS)
    print()
    print(table(res))
    print(f"\nWritten to {RESULTS}")
