"""`ape run pay / flow / claim / claimable` as a user runs them: success paths, and every
refusal as one `error:` line, a non-zero exit, no traceback and no transaction sent."""

import pytest
from vault_helpers import ETH

MILLI = 10**15  # 0.001 ETH


@pytest.fixture
def family(register_asset, publisher, alice, bob, tmp_path):
    """parent {alice 3, bob 1} <- child {alice 1} passing 50% upstream; trees saved."""
    parent, parent_people = register_asset(publisher, {alice.address: 3, bob.address: 1})
    child, child_people = register_asset(publisher, {alice.address: 1}, [(parent, 5000)])
    trees = {}
    for name, people in (("parent", parent_people), ("child", child_people)):
        trees[name] = tmp_path / f"{name}.sbtree"
        people.tree.save(trees[name])
    return parent, child, trees


def height(chain):
    return chain.provider.web3.eth.block_number


def succeeded(result):
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


def refused(chain, run_script, phrase, *args, account=1):
    """Runs a command that must fail cleanly and change nothing on chain."""
    before = height(chain)
    result = run_script(*args, account=account)
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert phrase.lower() in errors[0].lower(), errors[0]
    assert height(chain) == before  # nothing was sent
    return errors[0]


def test_pay_eth_splits_and_reports(chain, run_script, vault, family):
    parent, child, _ = family
    out = succeeded(run_script("pay", child, "0.004 ETH"))
    assert f"paid 0.004 ETH into asset {child}" in out
    assert "to its contributors:  0.002 ETH" in out and "pending upstream:     0.002 ETH" in out
    assert vault.accrued(child, ETH) == 2 * MILLI and vault.pendingUpstream(child, ETH) == 2 * MILLI
    out = succeeded(run_script("pay", parent, "0.5"))  # a bare number is in ETH
    assert vault.accrued(parent, ETH) == 500 * MILLI


def test_pay_token_needs_an_allowance_or_approve(
    chain, run_script, vault, family, token, publisher
):
    _, child, _ = family
    token.mint(publisher, 10 * 10**18, sender=publisher)
    refused(chain, run_script, "token without allowance", "pay", child, "2.5", "--token", token)
    out = succeeded(run_script("pay", child, "2.5 TUSD", "--token", token, "--approve"))
    assert "approved the vault to spend 2.5 TUSD" in out and "paid 2.5 TUSD" in out
    assert token.allowance(publisher, vault) == 0  # approved exactly the amount
    assert vault.accrued(child, token) == 125 * 10**16
    refused(chain, run_script, "insufficient balance", "pay", child, "8", "--token", token)


def test_pay_refusals(chain, run_script, family, alice):
    _, child, _ = family
    refused(chain, run_script, "does not exist", "pay", 999, "0.1")
    refused(chain, run_script, "not an asset id", "pay", "x", "0.1")
    refused(chain, run_script, "more than zero", "pay", child, "0")
    refused(chain, run_script, "not an amount", "pay", child, "lots")
    refused(chain, run_script, "insufficient balance", "pay", child, "1000000 ETH")
    refused(chain, run_script, "not a token", "pay", child, "1", "--token", alice.address)


def test_flow_one_level_and_cascade(chain, run_script, vault, register_asset, publisher, alice):
    grand, _ = register_asset(publisher, {alice.address: 1})
    parent, _ = register_asset(publisher, {alice.address: 1}, [(grand, 5000)])
    child, _ = register_asset(publisher, {alice.address: 1}, [(parent, 5000)])
    vault.pay(child, ETH, 8 * MILLI, value=8 * MILLI, sender=publisher)
    out = succeeded(run_script("flow", child))
    assert f"asset {child} -> asset {parent}: 0.004 ETH" in out
    assert vault.pendingUpstream(parent, ETH) == 2 * MILLI and vault.accrued(grand, ETH) == 0
    vault.pay(child, ETH, 8 * MILLI, value=8 * MILLI, sender=publisher)
    out = succeeded(run_script("flow", child, "--all"))
    assert f"asset {child} -> asset {parent}: 0.004 ETH" in out
    assert f"asset {parent} -> asset {grand}: 0.004 ETH" in out  # both payments' share
    assert "2 flow transactions sent" in out
    assert vault.accrued(grand, ETH) == 4 * MILLI and vault.pendingUpstream(parent, ETH) == 0
    refused(chain, run_script, "nothing to flow", "flow", child)
    refused(chain, run_script, "has no parents", "flow", grand)
    refused(chain, run_script, "does not exist", "flow", 999)


def test_claim_flows_the_children_in_first_then_claims(
    chain, run_script, vault, family, publisher, alice, bob, token
):
    parent, child, trees = family
    vault.pay(parent, ETH, 4 * MILLI, value=4 * MILLI, sender=publisher)
    vault.pay(child, ETH, 8 * MILLI, value=8 * MILLI, sender=publisher)  # 4 pending for parent
    out = succeeded(run_script("claimable", alice.address, "--tree", trees["parent"]))
    assert "asset" in out and "after flows" in out
    row = next(line for line in out.splitlines() if line.startswith(str(parent)))
    assert "3/4 (75%)" in row and "0.003 ETH" in row and "0.006 ETH" in row
    assert "total ETH: 0.003 ETH now, 0.006 ETH after flows" in out

    out = succeeded(run_script("claim", "--tree", trees["parent"], account=2))  # alice
    assert f"to claim from asset {parent}: 0.006 ETH" in out
    assert f"flowed asset {child} -> asset {parent}: 0.004 ETH" in out
    assert f"claimed 0.006 ETH from asset {parent} for {alice.address}" in out
    assert vault.claimed(parent, ETH, alice) == 6 * MILLI
    assert vault.pendingUpstream(child, ETH) == 0

    refused(chain, run_script, "nothing to claim", "claim", "--tree", trees["parent"], account=2)
    # Anyone may claim for a contributor; the money goes to the contributor.
    out = succeeded(run_script("claim", "--tree", trees["parent"], "--for", bob.address))
    assert f"claimed 0.002 ETH from asset {parent} for {bob.address}" in out
    assert vault.claimed(parent, ETH, bob) == 2 * MILLI


def test_claim_several_positions_in_one_batch(
    chain, run_script, vault, family, publisher, alice, token
):
    parent, child, trees = family
    token.mint(publisher, 10**18, sender=publisher)
    token.approve(vault, 10**18, sender=publisher)
    vault.pay(parent, ETH, 4 * MILLI, value=4 * MILLI, sender=publisher)
    vault.pay(child, token, 10**18, sender=publisher)
    vault.pay(child, ETH, 2 * MILLI, value=2 * MILLI, sender=publisher)
    args = ["--tree", trees["parent"], "--tree", trees["child"], "--for", alice.address]
    out = succeeded(run_script("claimable", *args[:-2], alice.address))
    assert "total TUSD: 0.5 TUSD now, 0.875 TUSD after flows" in out
    before = height(chain)
    out = succeeded(run_script("claim", *args))
    assert out.count("claimed ") == 4
    assert height(chain) == before + 3  # flow ETH, flow TUSD, one claimBatch
    assert vault.claimed(child, token, alice) == 5 * 10**17
    assert vault.claimed(parent, token, alice) == 375 * 10**15  # 3/4 of the 0.5 flowed in
    assert vault.claimed(parent, ETH, alice) == 3 * MILLI + 750 * 10**12
    assert vault.claimed(child, ETH, alice) == MILLI


def test_claim_and_claimable_refusals(
    chain, run_script, vault, family, register_asset, publisher, stranger, reverting, tmp_path
):
    parent, child, trees = family
    vault.pay(parent, ETH, 4 * MILLI, value=4 * MILLI, sender=publisher)
    wrong = ("claim", "--asset", child, "--tree", trees["parent"], "--for", stranger.address)
    refused(chain, run_script, "wrong tree for the asset", *wrong)
    refused(
        chain, run_script, "is not in the tree", "claim", "--tree", trees["parent"],
        "--for", stranger.address,
    )  # fmt: skip
    refused(chain, run_script, "does not exist", "claim", "--asset", 999, "--tree", trees["parent"])
    refused(chain, run_script, "cannot read the tree", "claim", "--tree", tmp_path / "nope")
    refused(chain, run_script, "--tree", "claim")
    refused(
        chain, run_script, "is not in the tree", "claimable", stranger.address,
        "--tree", trees["child"],
    )  # fmt: skip
    # A recipient that refuses ETH: the claim is simulated first, so nothing is sent.
    refuser, people = register_asset(publisher, {reverting.address: 1})
    people.tree.save(tmp_path / "refuser.sbtree")
    vault.pay(refuser, ETH, MILLI, value=MILLI, sender=publisher)
    error = refused(
        chain, run_script, "RoyaltyVaultTransferFailed", "claim",
        "--tree", tmp_path / "refuser.sbtree", "--for", reverting.address,
    )  # fmt: skip
    assert f"amount={MILLI}" in error
