"""Fixtures for fuzzing the scripts: an in-process runner, and a small world on chain that
the valid arguments point at (built by running the scripts themselves)."""

from dataclasses import dataclass
from pathlib import Path

import pytest
from script_fuzzkit import Runner


@pytest.fixture(scope="session")
def runner(chain, deployments_dir, tmp_path_factory):
    """runner(name, *args, account=1, ...) runs scripts/<name>.py's command in this process."""
    return Runner(chain, deployments_dir, tmp_path_factory.mktemp("script-cwd"))


@dataclass(frozen=True)
class World:
    asset: int  # registered by TEST::1 (publisher) from `folder`, listed, {alice 3, bob 1}
    folder: Path  # its folder, with .seedbed/{manifest.json,contributors.sbtree,croissant.json}
    tree: Path
    manifest: Path
    croissant: Path
    offer: int  # by the publisher on `asset`: 0.01 ETH, 0.001 ETH a unit, train,infer, 30d
    license: int  # bought by TEST::2 (alice) from `offer`, with a 0.01 ETH channel to `operator`
    operator: str  # TEST::4, the gateway operator of alice's channel
    token: str  # a plain ERC-20 nobody holds
    publisher: str
    alice: str
    bob: str


@pytest.fixture(scope="session")
def world(runner, suite, token, publisher, alice, bob, gateway, tmp_path_factory):
    base = tmp_path_factory.mktemp("world")
    folder = base / "birds"
    (folder / "data").mkdir(parents=True)
    (folder / "data" / "train.csv").write_text("id,label\n1,wren\n2,owl\n")
    (folder / "README.md").write_text("# Birds\n")
    people = base / "people.csv"
    people.write_text(f"address,weight\n{alice.address},3\n{bob.address},1\n")

    def ok(*args, **kw):
        outcome = runner(*args, **kw)
        assert outcome.code == 0, outcome.explain()
        return outcome.stdout

    out = ok("register", folder, "--spdx", "CC-BY-4.0", "--contributors", people)
    asset = int(out.split("asset ", 1)[1].split(":", 1)[0])
    out = ok(
        "offer", asset, "--scopes", "train,infer", "--price", "0.01", "--unit-price", "0.001",
        "--duration", "30d",
    )  # fmt: skip
    offer = int(out.split("offer ", 1)[1].split(" ", 1)[0])
    out = ok("buy", offer, account=2)
    license_id = int(out.split("license ", 1)[1].split(" ", 1)[0])
    ok("deposit", license_id, "0.01", "--operator", gateway.address, account=2)
    seedbed = folder / ".seedbed"
    return World(
        asset=asset,
        folder=folder,
        tree=seedbed / "contributors.sbtree",
        manifest=seedbed / "manifest.json",
        croissant=seedbed / "croissant.json",
        offer=offer,
        license=license_id,
        operator=str(gateway.address),
        token=str(token.address),
        publisher=str(publisher.address),
        alice=str(alice.address),
        bob=str(bob.address),
    )
