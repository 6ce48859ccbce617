"""Commit-reveal registration (docs/integrity.md §1, R1): nobody who sees a registration
pending, or hashes a root from public files, can take it. Before issue 15 `register` was first
come, first served on a public value [AssetRegistry.sol:82-83 at fd3d3b1], so every copier
below would have won the root.

The module deploys its own suite with MIN_COMMIT_AGE = 60 s and MAX_COMMIT_AGE = 3,600 s (the
session's suite runs with commitments off)."""

import os

import ape
import pytest
from eth_abi import encode
from eth_account import Account
from eth_utils import keccak, to_checksum_address
from registry_helpers import isolated, reverts

from seedbed.core.constants import DATASET

MIN_AGE = 60
MAX_AGE = 3_600
URI = "ipfs://commit"
META = b"\x22" * 32
VICTIM_TIP = 10**9  # 1 gwei
COPIER_TIP = 50 * 10**9  # the copier outbids the victim for every slot in the block
TX_GAS = 1_000_000


@pytest.fixture(scope="module")
def csuite(project, chain, deployer, treasury):
    from seedbed.chain.client import Suite
    from seedbed.chain.deploy import Params, deploy

    params = Params(
        wirer=deployer.address,
        treasury=treasury.address,
        min_commit_age=MIN_AGE,
        max_commit_age=MAX_AGE,
        salt="0x" + keccak(b"seedbed.tests.registry.commit").hex(),
    )
    return Suite.from_record(
        project, chain, deploy(project, chain, deployer, params, write_record=False)
    )


@pytest.fixture(scope="module")
def reg(csuite):
    return csuite.registry


@pytest.fixture(scope="module")
def people(contributors_of, alice, bob):
    return contributors_of({alice.address: 1, bob.address: 3})


@pytest.fixture(scope="module")
def copier_people(contributors_of, stranger):
    return contributors_of({stranger.address: 1})


def fresh():
    return os.urandom(32)


def leaf_of(committer, root, salt):
    """keccak(0x02 ‖ committer ‖ contentRoot ‖ salt), computed here, not read from the contract."""
    return keccak(b"\x02" + bytes.fromhex(str(committer.address)[2:]) + root + salt)


def commitment_of(*leaves):
    return keccak(b"".join(leaves))


def reg_args(root, salt, people):
    return (DATASET, root, salt, people.top, URI, META, [])


def block_time(chain, receipt):
    return chain.blocks[receipt.block_number].timestamp


def commit(chain, reg, who, commitment):
    receipt = reg.commit(commitment, sender=who)
    at = block_time(chain, receipt)
    assert receipt.events == [reg.Committed(who.address, commitment, at)]
    assert reg.committedAt(who, commitment) == at
    return at


def registered(reg, receipt):
    return [log.assetId for log in receipt.events.filter(reg.AssetRegistered)]


def error_bytes(contract, name, *values):
    """The ABI encoding of one of `contract`'s custom errors."""
    [abi] = [e for e in contract.contract_type.errors if e.name == name]
    types = [i.canonical_type for i in abi.inputs]
    return keccak(text=f"{name}({','.join(types)})")[:4] + encode(types, list(values))


def constructor_error(signature, *values):
    """A constructor's revert data as ape shows it (hex): ape cannot decode it, since the
    contract has no address yet to look its ABI up by."""
    types = signature[signature.index("(") + 1 : -1].split(",")
    return "0x" + (keccak(text=signature)[:4] + encode(types, list(values))).hex()


# -------------------------------------------------------------------------------- R1 copier


class Mempool:
    """Raw, signed transactions sent while automine is off, so they wait in anvil's pool."""

    def __init__(self, chain):
        self.chain = chain
        self.web3 = chain.provider.web3
        self.rpc = chain.provider.make_request
        self.nonces = {}

    def send(self, account, to, data, tip):
        address = account.address
        if address not in self.nonces:
            self.nonces[address] = self.web3.eth.get_transaction_count(address, "pending")
        base = self.web3.eth.get_block("latest")["baseFeePerGas"]
        tx = {
            "type": 2,
            "chainId": self.chain.chain_id,
            "nonce": self.nonces[address],
            "to": to_checksum_address(str(to)),
            "value": 0,
            "data": "0x" + bytes(data).hex(),
            "gas": TX_GAS,
            "maxPriorityFeePerGas": tip,
            "maxFeePerGas": 4 * base + tip,
        }
        self.nonces[address] += 1
        signed = Account.sign_transaction(tx, account.private_key)
        return bytes(self.web3.eth.send_raw_transaction(signed.raw_transaction))

    def pending(self):
        """Every transaction waiting in the pool, as the copier's node shows them."""
        block = self.rpc("eth_getBlockByNumber", ["pending", True])
        txs = list((block or {}).get("transactions") or [])
        if not txs:  # some nodes build no pending block: read the pool itself
            pool = self.rpc("txpool_content", [])
            txs = [tx for by_nonce in pool["pending"].values() for tx in by_nonce.values()]
        return txs

    def revert_data(self, tx_hash):
        trace = self.rpc("debug_traceTransaction", ["0x" + tx_hash.hex(), {"tracer": "callTracer"}])
        return bytes.fromhex((trace.get("output") or "0x")[2:])


def test_a_copier_of_every_pending_registration_takes_none(
    chain, reg, people, copier_people, publisher, stranger
):
    # The copier acts once the reveals are pending (it does not copy the commit transactions
    # themselves). The victim commits three single registrations and a batch of two, then
    # waits MIN_AGE.
    singles = [(fresh(), fresh()) for _ in range(3)]
    batch = [(fresh(), fresh()) for _ in range(2)]
    committed = {}
    for root, salt in singles:
        committed[root] = commit(
            chain, reg, publisher, commitment_of(leaf_of(publisher, root, salt))
        )
    batch_leaves = [leaf_of(publisher, r, s) for r, s in batch]
    last = commit(chain, reg, publisher, commitment_of(*batch_leaves))
    committed.update({root: last for root, _salt in batch})
    reveal_at = last + MIN_AGE
    count = reg.assetCount()

    reveals = [reg.register.encode_input(*reg_args(r, s, people)) for r, s in singles]
    reveals.append(
        reg.multicall.encode_input(
            [reg.openCommitment.encode_input(batch_leaves)]
            + [reg.register.encode_input(*reg_args(r, s, people)) for r, s in batch]
        )
    )

    pool = Mempool(chain)
    expected = []  # (tx hash, expected revert data, or None when it must succeed)
    victim_txs = []
    chain.provider.make_request("evm_setAutomine", [False])
    try:
        for data in reveals:
            victim_txs.append(pool.send(publisher, reg.address, data, VICTIM_TIP))
        seen = [
            tx
            for tx in pool.pending()
            if tx["from"].lower() == publisher.address.lower()
            and (tx.get("to") or "").lower() == reg.address.lower()
        ]
        assert len(seen) == len(reveals)

        # The copier decodes every pending reveal it sees and tries all three ways in.
        for tx in seen:
            data = bytes.fromhex(tx["input"][2:])
            method, args = reg.decode_input(data)
            if method.startswith("multicall"):
                calls = [reg.decode_input(bytes(c)) for c in args["data"]]
                leaves = [bytes(x) for x in calls[0][1]["leaves"]]
                roots = [(bytes(a["contentRoot"]), bytes(a["salt"])) for _, a in calls[1:]]
                batch_commitment = commitment_of(*leaves)
                # 1. The same calldata from its own account: it has no such commitment.
                h = pool.send(stranger, reg.address, data, COPIER_TIP)
                expected.append(
                    (
                        h,
                        error_bytes(
                            reg, "AssetRegistryNotCommitted", stranger.address, batch_commitment
                        ),
                    )
                )
                commitments = [batch_commitment]
            else:
                roots = [(bytes(args["contentRoot"]), bytes(args["salt"]))]
                h = pool.send(stranger, reg.address, data, COPIER_TIP)
                # The leaf it implies names the copier, who committed nothing.
                own = commitment_of(leaf_of(stranger, *roots[0]))
                expected.append(
                    (h, error_bytes(reg, "AssetRegistryNotCommitted", stranger.address, own))
                )
                commitments = [commitment_of(leaf_of(publisher, *roots[0]))]
            for root, _salt in roots:
                # 2. A direct registration of the same root, with its own contributors.
                mine = b"\x00" * 32
                direct = reg.register.encode_input(*reg_args(root, mine, copier_people))
                h = pool.send(stranger, reg.address, direct, COPIER_TIP)
                wanted = commitment_of(leaf_of(stranger, root, mine))
                expected.append(
                    (h, error_bytes(reg, "AssetRegistryNotCommitted", stranger.address, wanted))
                )
            for c in commitments:
                # 3. A commitment to the very same leaves: it is accepted under its own key...
                expected.append(
                    (pool.send(stranger, reg.address, reg.commit.encode_input(c), COPIER_TIP), None)
                )
            for root, salt in roots:
                # ...but the leaf names its committer: the copier's own reveal implies another
                # leaf, which nobody committed.
                again = reg.register.encode_input(*reg_args(root, salt, copier_people))
                h = pool.send(stranger, reg.address, again, COPIER_TIP)
                c = commitment_of(leaf_of(stranger, root, salt))
                expected.append(
                    (h, error_bytes(reg, "AssetRegistryNotCommitted", stranger.address, c))
                )
        chain.provider.make_request("evm_mine", [reveal_at])
    finally:
        chain.provider.make_request("evm_setAutomine", [True])

    web3 = chain.provider.web3
    block = web3.eth.get_block("latest")
    assert block["timestamp"] == reveal_at
    mined = {bytes(h) for h in block["transactions"]}
    assert all(h in mined for h in victim_txs) and all(h in mined for h, _ in expected)
    first_victim = min(web3.eth.get_transaction_receipt(h)["transactionIndex"] for h in victim_txs)
    for h, err in expected:
        receipt = web3.eth.get_transaction_receipt(h)
        assert receipt["transactionIndex"] < first_victim  # the copier went first every time
        if err is None:
            assert receipt["status"] == 1
        else:
            assert receipt["status"] == 0
            assert pool.revert_data(h) == err
    for h in victim_txs:
        assert web3.eth.get_transaction_receipt(h)["status"] == 1

    # Every root is the victim's, with the victim's contributors, and nothing else was minted.
    roots = singles + batch
    assert reg.assetCount() == count + len(roots)
    for root, _salt in roots:
        asset_id = reg.assetIdOf(root)
        view = reg.asset(asset_id)
        assert view.owner == publisher.address
        assert bytes(view.contributorsRoot) == people.root
        assert view.commitLag == reveal_at - committed[root]
    # The copier's commitments ripen MIN_AGE after the reveals are in: too late for ever.
    chain.pending_timestamp = reveal_at + MIN_AGE
    root, salt = singles[0]
    with reverts(reg.AssetRegistryDuplicateContent, contentRoot=root, existingAssetId=count + 1):
        reg.register(*reg_args(root, salt, copier_people), sender=stranger)
    late_batch = [reg.openCommitment.encode_input(batch_leaves)] + [
        reg.register.encode_input(*reg_args(r, s, copier_people)) for r, s in batch
    ]
    with reverts(
        reg.AssetRegistryDuplicateContent, contentRoot=batch[0][0], existingAssetId=count + 4
    ):
        reg.multicall(late_batch, sender=stranger)


# ------------------------------------------------------------------------------ the windows


def test_a_batch_commitment_reveals_in_one_multicall(chain, reg, people, publisher, stranger):
    batch = [(fresh(), fresh()) for _ in range(3)]
    leaves = [leaf_of(publisher, r, s) for r, s in batch]
    assert leaves == [bytes(reg.registrationLeaf(publisher, r, s)) for r, s in batch]
    at = commit(chain, reg, publisher, commitment_of(*leaves))
    calls = [reg.openCommitment.encode_input(leaves)] + [
        reg.register.encode_input(*reg_args(r, s, people)) for r, s in batch
    ]
    chain.pending_timestamp = at + MIN_AGE
    c = commitment_of(*leaves)
    # Nobody else can open it, and it opens only in the order committed.
    with reverts(reg.AssetRegistryNotCommitted, committer=stranger.address, commitment=c):
        reg.multicall(calls, sender=stranger)
    shuffled = [leaves[1], leaves[0], leaves[2]]
    with reverts(
        reg.AssetRegistryNotCommitted,
        committer=publisher.address,
        commitment=commitment_of(*shuffled),
    ):
        reg.multicall([reg.openCommitment.encode_input(shuffled), *calls[1:]], sender=publisher)
    # A leaf of the batch is not a commitment of its own outside the multicall.
    with reverts(
        reg.AssetRegistryNotCommitted,
        committer=publisher.address,
        commitment=commitment_of(leaves[0]),
    ):
        reg.register(*reg_args(*batch[0], people), sender=publisher)
    # One failing registration reverts the whole batch, and the commitment stays usable.
    bad = reg.register.encode_input(DATASET, batch[2][0], batch[2][1], [], URI, META, [])
    with reverts(reg.AssetRegistryBadContributorsTop, length=0):
        reg.multicall([*calls[:3], bad], sender=publisher)
    assert reg.assetIdOf(batch[0][0]) == 0

    count = reg.assetCount()
    chain.pending_timestamp = at + MIN_AGE + 30
    receipt = reg.multicall(calls, sender=publisher)
    assert block_time(chain, receipt) == at + MIN_AGE + 30
    assert registered(reg, receipt) == [count + 1, count + 2, count + 3]
    for i, (root, _salt) in enumerate(batch):
        view = reg.asset(count + 1 + i)
        assert bytes(view.contentRoot) == root and view.owner == publisher.address
        assert view.commitLag == MIN_AGE + 30
    assert reg.committedAt(publisher, c) == at  # kept as evidence


def test_an_expired_commitment_cannot_be_revealed(chain, reg, people, publisher):
    root, salt = fresh(), fresh()
    c = commitment_of(leaf_of(publisher, root, salt))
    batch = [(fresh(), fresh()) for _ in range(2)]
    leaves = [leaf_of(publisher, r, s) for r, s in batch]
    bc = commitment_of(*leaves)
    # One single commitment and one batch, committed in the same block.
    receipt = reg.multicall(
        [reg.commit.encode_input(c), reg.commit.encode_input(bc)], sender=publisher
    )
    at = block_time(chain, receipt)
    assert reg.committedAt(publisher, c) == reg.committedAt(publisher, bc) == at
    single = reg.register.encode_input(*reg_args(root, salt, people))
    calls = [reg.openCommitment.encode_input(leaves)] + [
        reg.register.encode_input(*reg_args(r, s, people)) for r, s in batch
    ]
    with isolated(chain):  # the last second both can be revealed
        chain.pending_timestamp = at + MAX_AGE
        receipt = reg.multicall([single, *calls], sender=publisher)
        ids = registered(reg, receipt)
        assert len(ids) == 3 and [reg.asset(i).commitLag for i in ids] == [MAX_AGE] * 3

    chain.pending_timestamp = at + MAX_AGE + 1
    with reverts(reg.AssetRegistryCommitmentExpired, commitment=c, expiredAt=at + MAX_AGE):
        reg.register(*reg_args(root, salt, people), sender=publisher)
    with reverts(reg.AssetRegistryCommitmentExpired, commitment=bc, expiredAt=at + MAX_AGE):
        reg.multicall(calls, sender=publisher)
    # It cannot be refreshed: commit again with a new salt.
    with reverts(reg.AssetRegistryAlreadyCommitted, commitment=c, committedAt=at):
        reg.commit(c, sender=publisher)
    new_salt = fresh()
    again = commit(chain, reg, publisher, commitment_of(leaf_of(publisher, root, new_salt)))
    chain.pending_timestamp = again + MIN_AGE
    receipt = reg.register(*reg_args(root, new_salt, people), sender=publisher)
    assert reg.assetIdOf(root) == registered(reg, receipt)[0]


def test_a_young_commitment_cannot_be_revealed(chain, reg, people, publisher, stranger):
    root, salt = fresh(), fresh()
    c = commitment_of(leaf_of(publisher, root, salt))
    at = commit(chain, reg, publisher, c)
    chain.pending_timestamp = at + MIN_AGE - 1
    with reverts(reg.AssetRegistryCommitmentTooYoung, commitment=c, readyAt=at + MIN_AGE):
        reg.register(*reg_args(root, salt, people), sender=publisher)
    chain.pending_timestamp = at + MIN_AGE
    receipt = reg.register(*reg_args(root, salt, people), sender=publisher)
    assert reg.asset(registered(reg, receipt)[0]).commitLag == MIN_AGE

    # Committing and revealing in one transaction is the same as no commitment at all.
    root2, salt2 = fresh(), fresh()
    c2 = commitment_of(leaf_of(stranger, root2, salt2))
    now = at + MIN_AGE + 100
    chain.pending_timestamp = now
    assert not reg.committedAt(stranger, c2)
    atomic = [
        reg.commit.encode_input(c2),
        reg.register.encode_input(*reg_args(root2, salt2, people)),
    ]
    with reverts(reg.AssetRegistryCommitmentTooYoung, commitment=c2, readyAt=now + MIN_AGE):
        reg.multicall(atomic, sender=stranger)
    batch = [(fresh(), fresh())]
    leaves = [leaf_of(stranger, *batch[0])]
    now += 10
    chain.pending_timestamp = now
    with reverts(
        reg.AssetRegistryCommitmentTooYoung,
        commitment=commitment_of(*leaves),
        readyAt=now + MIN_AGE,
    ):
        reg.multicall(
            [
                reg.commit.encode_input(commitment_of(*leaves)),
                reg.openCommitment.encode_input(leaves),
                reg.register.encode_input(*reg_args(*batch[0], people)),
            ],
            sender=stranger,
        )
    assert reg.assetIdOf(root2) == 0 and reg.committedAt(stranger, c2) == 0


def test_a_commitment_time_cannot_be_reset(chain, reg, people, publisher, stranger):
    root, salt = fresh(), fresh()
    c = commitment_of(leaf_of(publisher, root, salt))
    at = commit(chain, reg, publisher, c)
    # The committer cannot move its own time (to dodge the expiry, or by a retried send)...
    chain.pending_timestamp = at + MAX_AGE - 10
    with reverts(reg.AssetRegistryAlreadyCommitted, commitment=c, committedAt=at):
        reg.commit(c, sender=publisher)
    # ...and another account committing the same value writes under its own key only.
    chain.pending_timestamp = at + MAX_AGE - 5
    theirs = commit(chain, reg, stranger, c)
    assert theirs == at + MAX_AGE - 5
    assert reg.committedAt(publisher, c) == at
    with reverts(reg.AssetRegistryAlreadyCommitted, commitment=c, committedAt=theirs):
        reg.commit(c, sender=stranger)
    chain.pending_timestamp = at + MAX_AGE + 1
    with reverts(reg.AssetRegistryCommitmentExpired, commitment=c, expiredAt=at + MAX_AGE):
        reg.register(*reg_args(root, salt, people), sender=publisher)
    assert reg.committedAt(publisher, c) == at


def test_an_opened_leaf_registers_once(chain, reg, people, publisher, stranger):
    batch = [(fresh(), fresh()) for _ in range(2)]
    leaves = [leaf_of(publisher, r, s) for r, s in batch]
    at = commit(chain, reg, publisher, commitment_of(*leaves))
    chain.pending_timestamp = at + MIN_AGE
    opening = reg.openCommitment.encode_input(leaves)
    first = reg.register.encode_input(*reg_args(*batch[0], people))
    second = reg.register.encode_input(*reg_args(*batch[1], people))
    count = reg.assetCount()
    # The same opened leaf twice in one transaction: the second registration is refused.
    with reverts(
        reg.AssetRegistryDuplicateContent, contentRoot=batch[0][0], existingAssetId=count + 1
    ):
        reg.multicall([opening, first, first], sender=publisher)
    # Open the batch and register only its first leaf.
    receipt = reg.multicall([opening, first], sender=publisher)
    assert registered(reg, receipt) == [count + 1]
    # The open leaves lasted for that transaction only, for nobody but the committer.
    with reverts(
        reg.AssetRegistryNotCommitted,
        committer=publisher.address,
        commitment=commitment_of(leaves[1]),
    ):
        reg.register(*reg_args(*batch[1], people), sender=publisher)
    with reverts(
        reg.AssetRegistryNotCommitted,
        committer=stranger.address,
        commitment=commitment_of(leaf_of(stranger, *batch[1])),
    ):
        reg.register(*reg_args(*batch[1], people), sender=stranger)
    # The batch commitment opens again (until MAX_AGE); its first leaf does not register twice.
    with reverts(
        reg.AssetRegistryDuplicateContent, contentRoot=batch[0][0], existingAssetId=count + 1
    ):
        reg.multicall([opening, first], sender=publisher)
    receipt = reg.multicall([opening, second], sender=publisher)
    assert registered(reg, receipt) == [count + 2]
    assert reg.assetCount() == count + 2


def test_a_copied_commitment_reveals_nothing(
    chain, reg, people, copier_people, publisher, stranger
):
    """The commitment is public once sent: a copier commits the same value in the same block,
    then races the victim's reveal. The leaf names its committer, so the copy is a commitment
    to a leaf the copier cannot reveal (once a one-transaction theft of the root)."""
    root, salt = fresh(), fresh()
    c = commitment_of(leaf_of(publisher, root, salt))
    t0 = commit(chain, reg, publisher, c)
    chain.pending_timestamp = t0
    t1 = commit(chain, reg, stranger, c)
    assert t1 == t0 and reg.committedAt(stranger, c) == t0
    chain.pending_timestamp = t0 + MIN_AGE
    theirs = commitment_of(leaf_of(stranger, root, salt))
    with reverts(reg.AssetRegistryNotCommitted, committer=stranger.address, commitment=theirs):
        reg.register(*reg_args(root, salt, copier_people), sender=stranger)
    # A copied batch commitment opens the victim's leaves for the copier, which still cannot
    # register any of them: each register computes the copier's own leaf.
    batch = [(fresh(), fresh()) for _ in range(2)]
    leaves = [leaf_of(publisher, r, s) for r, s in batch]
    b0 = commit(chain, reg, publisher, commitment_of(*leaves))
    chain.pending_timestamp = b0
    commit(chain, reg, stranger, commitment_of(*leaves))
    chain.pending_timestamp = b0 + MIN_AGE
    stolen = [reg.openCommitment.encode_input(leaves)] + [
        reg.register.encode_input(*reg_args(r, s, copier_people)) for r, s in batch
    ]
    mine = commitment_of(leaf_of(stranger, *batch[0]))
    with reverts(reg.AssetRegistryNotCommitted, committer=stranger.address, commitment=mine):
        reg.multicall(stolen, sender=stranger)
    receipt = reg.register(*reg_args(root, salt, people), sender=publisher)
    assert reg.asset(registered(reg, receipt)[0]).owner == publisher.address


def test_commit_ages_are_validated_at_construction(project, deployer, treasury, reg):
    assert (reg.MIN_COMMIT_AGE(), reg.MAX_COMMIT_AGE()) == (MIN_AGE, MAX_AGE)
    for min_age, max_age in [
        (60, 60),
        (61, 60),
        (60, 0),
        (60, 65_536),
        (0, 65_536),
        (1, 2**32 - 1),
    ]:
        with pytest.raises(ape.exceptions.ContractLogicError) as info:
            deployer.deploy(project.AssetRegistry, deployer, treasury, min_age, max_age)
        assert str(info.value) == constructor_error(
            "AssetRegistryBadCommitAges(uint256,uint256)", min_age, max_age
        )
    for min_age, max_age in [(0, 0), (0, 65_535), (1, 2), (65_534, 65_535)]:
        made = deployer.deploy(project.AssetRegistry, deployer, treasury, min_age, max_age)
        assert (made.MIN_COMMIT_AGE(), made.MAX_COMMIT_AGE()) == (min_age, max_age)
