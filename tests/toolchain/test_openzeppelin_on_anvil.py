"""A contract importing OpenZeppelin compiles, deploys on anvil and answers."""


def test_openzeppelin_erc20_deploys_and_answers(project, deployer, alice, chain):
    assert chain.provider.name == "foundry"
    token = deployer.deploy(project.ToolchainProbe)
    assert token.name() == "Seedbed Probe"
    receipt = token.mint(alice, 10**18, sender=deployer)
    assert receipt.status == 1
    assert token.balanceOf(alice) == 10**18
    assert token.totalSupply() == 10**18
