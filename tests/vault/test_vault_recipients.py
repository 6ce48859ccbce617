"""Claims to a recipient the contributor chooses (docs/integrity.md §2.2, §2.4; C2, C3).

Before issue 15 every claim paid `account` only: ETH owed to a contract that refuses it, or a
token owed to an account the token blocklists, could never leave the vault, and anyone could
"claim" the zero address's share, booking it as paid to nobody. The signed path binds chain,
vault, asset, currency, account and recipient, and `claimed` is cumulative, so no nonce is
needed: a replay pays nothing beyond `upTo`."""

from contextlib import contextmanager

import ape
import pytest
from eth_abi import encode
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak, to_checksum_address
from testkit.registering import ZERO_SALT
from vault_helpers import ETH, isolated, reverts

from seedbed.core.sumtree import build_packed
from seedbed.core.treefile import ContributorTree, pack_tree

ZERO = "0x" + "00" * 20
MAX_UINT = 2**256 - 1
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
CLAIM_TO = (
    "ClaimTo(uint256 assetId,address currency,address account,address recipient,"
    "uint256 upTo,uint256 deadline)"
)
DOMAIN = "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"


@pytest.fixture(scope="session")
def carol(accounts):
    return accounts[6]


def addr(x):
    return to_checksum_address(x if isinstance(x, str) else x.address)


@contextmanager
def bubbled(contract, name, **inputs):
    """A revert of `contract`'s error `name` with exactly `inputs`, raised inside a call that a
    wallet made (ape decodes errors by the ABI of the contract called, so it may not decode
    this one): compared on the raw revert data."""
    [abi] = [e for e in contract.contract_type.errors if e.name == name]
    assert sorted(inputs) == sorted(i.name for i in abi.inputs), "give every input"
    types = [i.canonical_type for i in abi.inputs]
    values = [addr(inputs[i.name]) if i.type == "address" else inputs[i.name] for i in abi.inputs]
    expected = keccak(text=f"{name}({','.join(types)})")[:4] + encode(types, values)
    with pytest.raises(ape.exceptions.ContractLogicError) as info:
        yield
    err = info.value
    if type(err).__name__ == name:
        actual = {
            k: addr(v) if abi_type == "address" else v
            for (k, v), abi_type in zip(
                dict(err.inputs).items(), [i.type for i in abi.inputs], strict=True
            )
        }
        assert actual == dict(zip([i.name for i in abi.inputs], values, strict=True))
    else:
        assert str(err) == "0x" + expected.hex(), f"reverted with {err!r}"


# ----------------------------------------------------------------------------- signatures


def claim_to_message(chain_id, vault, asset_id, currency, account, recipient, up_to, deadline):
    """The EIP-712 document eth-account signs (what a wallet's eth_signTypedData_v4 gets)."""
    return {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            "ClaimTo": [
                {"name": "assetId", "type": "uint256"},
                {"name": "currency", "type": "address"},
                {"name": "account", "type": "address"},
                {"name": "recipient", "type": "address"},
                {"name": "upTo", "type": "uint256"},
                {"name": "deadline", "type": "uint256"},
            ],
        },
        "primaryType": "ClaimTo",
        "domain": {
            "name": "Seedbed RoyaltyVault",
            "version": "1",
            "chainId": chain_id,
            "verifyingContract": addr(vault),
        },
        "message": {
            "assetId": asset_id,
            "currency": addr(currency),
            "account": addr(account),
            "recipient": addr(recipient),
            "upTo": up_to,
            "deadline": deadline,
        },
    }


def digest_by_hand(chain_id, vault, asset_id, currency, account, recipient, up_to, deadline):
    """The same digest from the EIP-712 definitions, to check eth-account against."""
    domain = keccak(
        encode(
            ["bytes32", "bytes32", "bytes32", "uint256", "address"],
            [
                keccak(text=DOMAIN),
                keccak(text="Seedbed RoyaltyVault"),
                keccak(text="1"),
                chain_id,
                addr(vault),
            ],
        )
    )
    struct = keccak(
        encode(
            ["bytes32", "uint256", "address", "address", "address", "uint256", "uint256"],
            [
                keccak(text=CLAIM_TO),
                asset_id,
                addr(currency),
                addr(account),
                addr(recipient),
                up_to,
                deadline,
            ],
        )
    )
    return keccak(b"\x19\x01" + domain + struct)


def sign_claim(key, chain_id, vault, asset_id, currency, account, recipient, up_to, deadline):
    """An EOA's EIP-712 signature, by eth-account."""
    args = (chain_id, vault, asset_id, currency, account, recipient, up_to, deadline)
    signable = encode_typed_data(full_message=claim_to_message(*args))
    signed = Account.sign_message(signable, key)
    assert bytes(signed.message_hash) == digest_by_hand(*args)
    return bytes(signed.signature)


def sign_digest(key, *args):
    """A raw signature of the digest: what ContractWallet accepts as its ERC-1271 answer."""
    return bytes(Account.unsafe_sign_hash(digest_by_hand(*args), key).signature)


def high_s(signature):
    """The other valid-looking signature of the same message (s' = n − s, v flipped)."""
    r, s, v = signature[:32], int.from_bytes(signature[32:64], "big"), signature[64]
    return r + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - v])  # 27 <-> 28


def now(chain):
    return chain.pending_timestamp


# --------------------------------------------------------------------------------- C2: zero


def test_nobody_can_claim_the_zero_addresss_share_into_the_void(
    registry, vault, chain, publisher, alice, bob, payer, accounts
):
    # A hand-made tree (ContributorTree.build refuses the zero address; a file built
    # elsewhere need not).
    raw = {bytes(20): 2, bytes.fromhex(alice.address[2:]): 1, bytes.fromhex(bob.address[2:]): 1}
    tree = ContributorTree(pack_tree(*build_packed(raw)))
    receipt = registry.register(
        0,
        b"\x5a" * 32,
        ZERO_SALT,
        [(bytes(h), s) for h, s in tree.top()],
        "ipfs://zero",
        b"\0" * 32,
        [],
        sender=publisher,
    )
    asset = receipt.events.filter(registry.AssetRegistered)[0].assetId
    held, excess = vault.held(ETH), vault.excess(ETH)
    vault.pay(asset, ETH, 1000, value=1000, sender=payer)
    zero_weight, zero_proof = tree.proof(bytes(20))
    assert zero_weight == 2
    assert registry.verifyContributor(asset, ZERO, 2, zero_proof)  # a genuine leaf...

    # ...that no claim path pays.
    with reverts(vault.RoyaltyVaultZeroAccount):
        vault.claim(asset, ETH, ZERO, 2, zero_proof, sender=payer)
    alice_weight, alice_proof = tree.proof(alice.address)
    batch = [(asset, ETH, ZERO, 2, zero_proof)]
    with reverts(vault.RoyaltyVaultZeroAccount):
        vault.claimBatch(batch, sender=payer)
    with reverts(vault.RoyaltyVaultZeroAccount):  # and it takes the whole batch with it
        vault.claimBatch(
            [(asset, ETH, alice.address, alice_weight, alice_proof), *batch], sender=payer
        )
    chain.provider.make_request("anvil_setBalance", [ZERO, hex(10**18)])
    void = accounts[ZERO]  # whoever could send as the zero address (anvil impersonation)
    with reverts(vault.RoyaltyVaultZeroAccount):
        vault.claimTo(asset, ETH, 2, zero_proof, payer, sender=void)
    # No key signs for it (ECDSA recovery never yields the zero address), and the vault
    # refuses the account before it looks at any signature.
    fake = b"\x01" * 64 + b"\x1b"
    with reverts(vault.RoyaltyVaultZeroAccount):
        vault.claimToSigned(
            asset, ETH, ZERO, 2, zero_proof, payer, MAX_UINT, 2**40, fake, sender=payer
        )
    assert vault.claimed(asset, ETH, ZERO) == 0

    # The others are paid; the zero address's half stays owed in the books, never excess.
    for who in (alice, bob):
        weight, proof = tree.proof(who.address)
        assert vault.claim(asset, ETH, who, weight, proof, sender=payer).return_value == 250
    assert vault.held(ETH) == held + 500
    assert vault.excess(ETH) == excess


# -------------------------------------------------------------------- a refusing contract


def test_a_contract_that_refuses_eth_is_paid_through_claim_to(
    project,
    registry,
    vault,
    register_asset,
    deployer,
    publisher,
    alice,
    bob,
    carol,
    payer,
    stranger,
):
    wallet = deployer.deploy(project.EthRefusingWallet, bob)
    asset, people = register_asset(publisher, {wallet.address: 3, alice.address: 1})
    vault.pay(asset, ETH, 1000, value=1000, sender=payer)
    weight, proof = people.proof(wallet.address)
    held = vault.held(ETH)
    with reverts(vault.RoyaltyVaultTransferFailed, currency=ETH, to=wallet.address, amount=750):
        vault.claim(asset, ETH, wallet, weight, proof, sender=payer)
    receipt = vault.claimBatch([(asset, ETH, wallet.address, weight, proof)], sender=payer)
    assert receipt.return_value == [0]
    assert receipt.events.filter(vault.ClaimFailed)[0].amount == 750
    assert vault.held(ETH) == held and vault.claimed(asset, ETH, wallet) == 0

    # Nobody else can redirect the wallet's share: claimTo pays the caller's own leaf only.
    with reverts(vault.RoyaltyVaultInvalidProof, assetId=asset, account=stranger.address, weight=3):
        vault.claimTo(asset, ETH, weight, proof, stranger, sender=stranger)
    for bad in (ZERO, vault.address):  # lost, or booked as paid and left as excess
        with bubbled(vault, "RoyaltyVaultInvalidRecipient", recipient=bad):
            wallet.execute(
                vault, vault.claimTo.encode_input(asset, ETH, weight, proof, bad), sender=bob
            )

    before = carol.balance
    call = vault.claimTo.encode_input(asset, ETH, weight, proof, carol)
    receipt = wallet.execute(vault, call, sender=bob)
    assert carol.balance - before == 750
    assert receipt.events.filter(vault.Claimed) == [
        vault.Claimed(asset, ETH, wallet.address, 750, 3, 750)
    ]
    assert receipt.events.filter(vault.ClaimRedirected) == [
        vault.ClaimRedirected(asset, ETH, wallet.address, carol.address, 750)
    ]
    assert vault.claimed(asset, ETH, wallet) == 750 and vault.held(ETH) == held - 750
    with bubbled(vault, "RoyaltyVaultNothingToClaim", assetId=asset, currency=ETH, account=wallet):
        wallet.execute(vault, call, sender=bob)


# ---------------------------------------------------------------------- a blocklisted token


def test_a_blocklisted_token_account_signs_a_claim_to_another_address(
    project,
    chain,
    registry,
    vault,
    register_asset,
    deployer,
    publisher,
    alice,
    bob,
    carol,
    stranger,
):
    coin = deployer.deploy(project.BlocklistToken)
    coin.mint(deployer, 10**24, sender=deployer)
    coin.approve(vault, MAX_UINT, sender=deployer)
    asset, people = register_asset(publisher, {alice.address: 3, bob.address: 1})
    vault.pay(asset, coin, 10**21, sender=deployer)
    coin.setBlocked(alice, True, sender=deployer)
    weight, proof = people.proof(alice.address)
    share = 3 * 10**21 // 4
    with reverts(
        vault.RoyaltyVaultTransferFailed, currency=coin.address, to=alice.address, amount=share
    ):
        vault.claim(asset, coin, alice, weight, proof, sender=stranger)

    deadline = now(chain) + 3_600
    args = (chain.chain_id, vault, asset, coin, alice, carol, MAX_UINT, deadline)
    signature = sign_claim(alice.private_key, *args)
    receipt = vault.claimToSigned(
        asset, coin, alice, weight, proof, carol, MAX_UINT, deadline, signature, sender=stranger
    )  # a third party sends it: the blocklisted account needs no transaction of its own
    assert receipt.return_value == share
    assert coin.balanceOf(carol) == share and coin.balanceOf(alice) == 0
    assert receipt.events.filter(vault.ClaimRedirected) == [
        vault.ClaimRedirected(asset, coin.address, alice.address, carol.address, share)
    ]
    assert vault.claimed(asset, coin, alice) == share
    bob_weight, bob_proof = people.proof(bob.address)
    vault.claim(asset, coin, bob, bob_weight, bob_proof, sender=stranger)
    assert coin.balanceOf(bob) == 10**21 // 4 and vault.held(coin) == 0 == coin.balanceOf(vault)


# ------------------------------------------------------------------------------- C3: replays


@pytest.fixture
def paid(register_asset, vault, publisher, alice, bob, payer):
    """An asset of alice (3) and bob (1), paid 1000 wei."""
    asset, people = register_asset(publisher, {alice.address: 3, bob.address: 1})
    vault.pay(asset, ETH, 1000, value=1000, sender=payer)
    return asset, people


def test_a_replayed_signed_claim_pays_nothing_beyond_up_to(
    chain, vault, paid, alice, carol, stranger, payer
):
    asset, people = paid
    weight, proof = people.proof(alice.address)
    deadline = now(chain) + 86_400
    capped = sign_claim(
        alice.private_key, chain.chain_id, vault, asset, ETH, alice, carol, 500, deadline
    )

    def send(up_to, signature):
        return vault.claimToSigned(
            asset, ETH, alice, weight, proof, carol, up_to, deadline, signature, sender=stranger
        )

    before = carol.balance
    assert send(500, capped).return_value == 500  # entitled to 750, signed for 500
    nothing = dict(assetId=asset, currency=ETH, account=alice)
    with reverts(vault.RoyaltyVaultNothingToClaim, **nothing):
        send(500, capped)
    vault.pay(asset, ETH, 1000, value=1000, sender=payer)  # entitled to 1500 now
    with reverts(vault.RoyaltyVaultNothingToClaim, **nothing):
        send(500, capped)
    assert carol.balance - before == 500 and vault.claimed(asset, ETH, alice) == 500
    # Other claim paths count towards the same total: alice claims 500 herself...
    vault.claim(asset, ETH, alice, weight, proof, sender=payer)
    assert vault.claimed(asset, ETH, alice) == 1500
    # ...so a standing redirection signed for 1,200 pays nothing either.
    standing = sign_claim(
        alice.private_key, chain.chain_id, vault, asset, ETH, alice, carol, 1200, deadline
    )
    with reverts(vault.RoyaltyVaultNothingToClaim, **nothing):
        send(1200, standing)
    # A standing redirection (upTo = 2^256 − 1) pays each new entitlement once.
    forever = sign_claim(
        alice.private_key, chain.chain_id, vault, asset, ETH, alice, carol, MAX_UINT, deadline
    )
    vault.pay(asset, ETH, 400, value=400, sender=payer)
    assert send(MAX_UINT, forever).return_value == 300
    with reverts(vault.RoyaltyVaultNothingToClaim, **nothing):
        send(MAX_UINT, forever)
    assert carol.balance - before == 800 and vault.claimed(asset, ETH, alice) == 1800


def test_a_signed_claim_for_another_chain_or_vault_pays_nothing(
    chain, vault, fee_vault, paid, alice, carol, stranger, payer
):
    asset, people = paid
    weight, proof = people.proof(alice.address)
    deadline = now(chain) + 3_600
    fee_vault.pay(asset, ETH, 1000, value=1000, sender=payer)
    before = carol.balance

    def attempt(target, signature, asset_id=asset, currency=ETH):
        with reverts(target.RoyaltyVaultBadClaimSignature, account=alice.address):
            target.claimToSigned(
                asset_id, currency, alice, weight, proof, carol, MAX_UINT, deadline, signature,
                sender=stranger,
            )  # fmt: skip

    key = alice.private_key
    attempt(vault, sign_claim(key, 1, vault, asset, ETH, alice, carol, MAX_UINT, deadline))
    attempt(vault, sign_claim(key, 10, vault, asset, ETH, alice, carol, MAX_UINT, deadline))
    for_fee_vault = sign_claim(
        key, chain.chain_id, fee_vault, asset, ETH, alice, carol, MAX_UINT, deadline
    )
    attempt(vault, for_fee_vault)
    for_vault = sign_claim(key, chain.chain_id, vault, asset, ETH, alice, carol, MAX_UINT, deadline)
    attempt(fee_vault, for_vault)
    # The type binds the asset and the currency as well.
    other_asset = sign_claim(
        key, chain.chain_id, vault, asset + 1, ETH, alice, carol, MAX_UINT, deadline
    )
    attempt(vault, other_asset)
    other_currency = sign_claim(
        key, chain.chain_id, vault, asset, payer.address, alice, carol, MAX_UINT, deadline
    )
    attempt(vault, other_currency)
    assert carol.balance == before
    assert vault.claimed(asset, ETH, alice) == 0 == fee_vault.claimed(asset, ETH, alice)
    # Each signature works where it was meant to, and only there.
    receipt = fee_vault.claimToSigned(
        asset, ETH, alice, weight, proof, carol, MAX_UINT, deadline, for_fee_vault, sender=stranger
    )
    assert receipt.return_value == 1000 * 9750 // 10_000 * 3 // 4  # 2.5 % fee taken at pay
    receipt = vault.claimToSigned(
        asset, ETH, alice, weight, proof, carol, MAX_UINT, deadline, for_vault, sender=stranger
    )
    assert receipt.return_value == 750


def test_an_expired_signed_claim_is_refused(chain, vault, paid, alice, carol, stranger):
    asset, people = paid
    weight, proof = people.proof(alice.address)
    deadline = now(chain) + 600
    signature = sign_claim(
        alice.private_key, chain.chain_id, vault, asset, ETH, alice, carol, MAX_UINT, deadline
    )
    args = (asset, ETH, alice, weight, proof, carol, MAX_UINT, deadline, signature)
    with isolated(chain):  # valid up to and including its deadline
        chain.pending_timestamp = deadline
        assert vault.claimToSigned(*args, sender=stranger).return_value == 750
    chain.pending_timestamp = deadline + 1
    with reverts(vault.RoyaltyVaultClaimExpired, deadline=deadline):
        vault.claimToSigned(*args, sender=stranger)
    # Moving the deadline breaks the signature.
    later = (*args[:7], deadline + 3_600, signature)
    with reverts(vault.RoyaltyVaultBadClaimSignature, account=alice.address):
        vault.claimToSigned(*later, sender=stranger)
    assert vault.claimed(asset, ETH, alice) == 0


def test_a_signature_by_someone_else_is_refused(chain, vault, paid, alice, bob, carol, stranger):
    asset, people = paid
    weight, proof = people.proof(alice.address)
    deadline = now(chain) + 3_600
    cid = chain.chain_id
    bad = dict(account=alice.address)

    def send(signature, recipient=carol, up_to=MAX_UINT):
        return vault.claimToSigned(
            asset, ETH, alice, weight, proof, recipient, up_to, deadline, signature, sender=stranger
        )

    # bob (a contributor of the same asset) signs alice's share over to himself.
    by_bob = sign_claim(bob.private_key, cid, vault, asset, ETH, alice, bob, MAX_UINT, deadline)
    with reverts(vault.RoyaltyVaultBadClaimSignature, **bad):
        send(by_bob, recipient=bob)
    # alice's signature, sent with another recipient or a larger cap.
    to_carol = sign_claim(alice.private_key, cid, vault, asset, ETH, alice, carol, 100, deadline)
    with reverts(vault.RoyaltyVaultBadClaimSignature, **bad):
        send(to_carol, recipient=stranger, up_to=100)
    with reverts(vault.RoyaltyVaultBadClaimSignature, **bad):
        send(to_carol, up_to=MAX_UINT)
    # The same signature in its malleated high-s form, and a truncated one.
    with reverts(vault.RoyaltyVaultBadClaimSignature, **bad):
        send(high_s(to_carol), up_to=100)
    with reverts(vault.RoyaltyVaultBadClaimSignature, **bad):
        send(to_carol[:64], up_to=100)
    assert vault.claimed(asset, ETH, alice) == 0
    assert send(to_carol, up_to=100).return_value == 100


def test_an_erc1271_contributor_signs_claims(
    project, chain, vault, register_asset, deployer, publisher, alice, bob, carol, stranger, payer
):
    wallet = deployer.deploy(project.ContractWallet, bob)  # bob's key signs for the wallet
    hostile = deployer.deploy(project.HostileSigner, bob)
    asset, people = register_asset(
        publisher, {wallet.address: 2, hostile.address: 1, alice.address: 1}
    )
    vault.pay(asset, ETH, 1000, value=1000, sender=payer)
    deadline = now(chain) + 3_600
    cid = chain.chain_id
    weight, proof = people.proof(wallet.address)

    def send(account, w, p, signature, up_to=MAX_UINT):
        return vault.claimToSigned(
            asset, ETH, account, w, p, carol, up_to, deadline, signature, sender=stranger
        )

    # The wallet has code, so the vault asks it (ERC-1271): only its owner's key answers.
    by_alice = sign_digest(
        alice.private_key, cid, vault, asset, ETH, wallet, carol, MAX_UINT, deadline
    )
    with reverts(vault.RoyaltyVaultBadClaimSignature, account=wallet.address):
        send(wallet, weight, proof, by_alice)
    by_owner = sign_digest(
        bob.private_key, cid, vault, asset, ETH, wallet, carol, MAX_UINT, deadline
    )
    with reverts(vault.RoyaltyVaultBadClaimSignature, account=wallet.address):
        send(wallet, weight, proof, by_owner, up_to=MAX_UINT - 1)  # not what was signed
    before = carol.balance
    receipt = send(wallet, weight, proof, by_owner)
    assert receipt.return_value == 500 and carol.balance - before == 500
    assert receipt.events.filter(vault.ClaimRedirected) == [
        vault.ClaimRedirected(asset, ETH, wallet.address, carol.address, 500)
    ]
    assert vault.claimed(asset, ETH, wallet) == 500

    # A contract signer that answers with a revert or junk is a bad signature, nothing more.
    h_weight, h_proof = people.proof(hostile.address)
    h_sig = sign_digest(bob.private_key, cid, vault, asset, ETH, hostile, carol, MAX_UINT, deadline)
    for mode in (2, 3):  # a huge return, a huge revert
        hostile.arm(mode, sender=bob)
        with reverts(vault.RoyaltyVaultBadClaimSignature, account=hostile.address):
            send(hostile, h_weight, h_proof, h_sig)
    hostile.arm(0, sender=bob)
    assert send(hostile, h_weight, h_proof, h_sig).return_value == 250
    assert carol.balance - before == 750


def test_a_gas_burning_contract_signer_costs_its_relayer_at_most_the_signature_gas(
    project, chain, vault, register_asset, deployer, publisher, alice, bob, carol, stranger, payer
):
    """An ERC-1271 wallet armed to loop for ever gets SIGNATURE_GAS, not the relayer's whole
    gas limit: the failed claim costs about the same at 1M and 5M gas."""
    hostile = deployer.deploy(project.HostileSigner, bob)
    asset, people = register_asset(publisher, {hostile.address: 1, alice.address: 1})
    vault.pay(asset, ETH, 1000, value=1000, sender=payer)
    deadline = now(chain) + 3_600
    weight, proof = people.proof(hostile.address)
    sig = sign_digest(
        bob.private_key, chain.chain_id, vault, asset, ETH, hostile, carol, MAX_UINT, deadline
    )
    hostile.arm(1, sender=bob)
    data = vault.claimToSigned.encode_input(
        asset, ETH, hostile, weight, proof, carol, MAX_UINT, deadline, sig
    )
    web3 = chain.provider.web3
    used = []
    for limit in (1_000_000, 5_000_000):
        # Sent raw (anvil signs for its own accounts): ape would refuse a reverting estimate.
        h = web3.eth.send_transaction(
            {"from": stranger.address, "to": vault.address, "data": data, "gas": limit}
        )
        receipt = web3.eth.wait_for_transaction_receipt(h)
        assert receipt["status"] == 0
        used.append(receipt["gasUsed"])
    assert used[0] == used[1] < int(vault.SIGNATURE_GAS()) + 60_000
    assert vault.claimed(asset, ETH, hostile) == 0


def test_a_wallet_that_echoes_its_calldata_signs_nothing(
    project, chain, vault, register_asset, deployer, publisher, alice, stranger, payer
):
    """Its answer to isValidSignature starts with the magic selector (then the digest): only
    an exact magic word counts, so nobody redirects its share with an empty signature."""
    echo = deployer.deploy(project.EchoingWallet)
    asset, people = register_asset(publisher, {echo.address: 1, alice.address: 1})
    vault.pay(asset, ETH, 1000, value=1000, sender=payer)
    weight, proof = people.proof(echo.address)
    deadline = now(chain) + 3_600
    with reverts(vault.RoyaltyVaultBadClaimSignature, account=echo.address):
        vault.claimToSigned(
            asset, ETH, echo, weight, proof, stranger, MAX_UINT, deadline, b"", sender=stranger
        )
    assert vault.claimed(asset, ETH, echo) == 0
