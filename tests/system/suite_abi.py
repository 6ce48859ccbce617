"""The suite's functions and events as raw ABI, for suite_rpc (signatures as in interfaces/)."""

from eth_utils import keccak
from suite_rpc import Fn

TERMS = "(uint256,address,uint128,uint128,uint40,uint64,uint8,uint16,bool,uint32,uint16)"
PROOF = "(bytes32,uint256)[]"
VOUCHER = "(uint256,address,address,uint256,uint256)"  # license, payer, operator, units, deadline

# -- transactions -------------------------------------------------------------------------------
REGISTER = Fn(
    f"register(uint8,bytes32,bytes32,{PROOF},string,bytes32,(uint256,uint16,uint256)[])", "uint256"
)  # kind, content root, salt, top (the contributors root's preimage), URI, hash, parents
COMMIT = Fn("commit(bytes32)")
OPEN_COMMITMENT = Fn("openCommitment(bytes32[])")
MULTICALL = Fn("multicall(bytes[])")
SWEEP = Fn("sweep(address)")  # the registry's and the license contract's
SET_DELISTED = Fn("setDelisted(uint256,bool)")
TRANSFER_FROM = Fn("transferFrom(address,address,uint256)")  # ERC-721, both NFTs
PAY = Fn("pay(uint256,address,uint256)")
FLOW_UPSTREAM = Fn("flowUpstream(uint256,address)")
CLAIM = Fn(f"claim(uint256,address,address,uint96,{PROOF})", "uint256")
CLAIM_BATCH = Fn(f"claimBatch((uint256,address,address,uint96,{PROOF})[])")
CLAIM_TO = Fn(f"claimTo(uint256,address,uint96,{PROOF},address)", "uint256")
CLAIM_TO_SIGNED = Fn(
    f"claimToSigned(uint256,address,address,uint96,{PROOF},address,uint256,uint256,bytes)",
    "uint256",
)
WITHDRAW_FEES = Fn("withdrawFees(address)")
SWEEP_EXCESS = Fn("sweepExcess(address)")  # the vault's and the meter's
CREATE_OFFER = Fn(f"createOffer({TERMS})")
SET_OFFER_STATUS = Fn("setOfferStatus(uint256,uint8)")
BUY = Fn("buy(uint256,address,uint256)")
OPEN = Fn("open(uint256,address,address,uint64)", "bytes32")
DEPOSIT = Fn("deposit(uint256,address,uint256)", "uint256")
REQUEST_WITHDRAWAL = Fn("requestWithdrawal(uint256,address,uint256)")
CANCEL_WITHDRAWAL = Fn("cancelWithdrawal(uint256,address)")
COMPLETE_WITHDRAWAL = Fn("completeWithdrawal(uint256,address)", "uint256")
CHANGE_SIGNER = Fn("changeSigner(uint256,address)")
RELEASE_UNITS = Fn("releaseUnits(uint256,address,address)", "uint256")
SETTLE = Fn(f"settle({VOUCHER},bytes)", "uint256")
SETTLE_BATCH = Fn(f"settleBatch({VOUCHER}[],bytes[])")
METER = Fn("meter(uint256,address,uint256)", "uint256")
PAY_ASSET = Fn("payAsset(uint256,address)", "uint256")
WITHDRAW_EARNINGS = Fn("withdrawEarnings(address,address)", "uint256")
ERC20_TRANSFER = Fn("transfer(address,uint256)")
RELEASE = Fn("release(uint256,address)", "uint256")
FILE_PROOF = "(string,bytes32,uint64,bytes32[])"  # path, sha256, size, proof
OPEN_SUBJECTIVE = Fn("openSubjective(uint256,uint8,bytes32,uint256)", "uint256")
OPEN_DUPLICATE = Fn(f"openDuplicate(uint256,uint256,{FILE_PROOF},{FILE_PROOF})", "uint256")
CLAIM_PRIOR = Fn("claimPriorCommitment(uint256,bytes32[],uint256,bytes32,uint256)", "uint256")
ANSWER_LINEAGE = Fn("answerLineage(uint256,uint8[])")
CONTEST = Fn("contest(uint256)")
RESOLVE = Fn("resolve(uint256)")
RULE = Fn("rule(uint256,bool)")
LAPSE = Fn("lapse(uint256)")
WITHDRAW_DEPOSITS = Fn("withdrawDeposits()", "uint256")
SET_FEE = Fn("setFee(uint256)")  # TestArbiter's: anyone
SET_REFUSE = Fn("setRefuse(bool)")
SET_INSTANT = Fn("setInstant(bool,bool)")
SET_BURN = Fn("setBurn(bool)")
RULE_ON = Fn("ruleOn(address,uint256,bool)")
VOTE = Fn("vote(address,uint256,bool)")  # PanelArbiter's: members
# LabelCampaigns': every call after create passes the Campaign struct.
CAMPAIGN = "(address,address,uint256,bytes32,bytes32,address,uint256,uint64,uint32,uint32)"
CAMPAIGN_CREATE = Fn(f"create({CAMPAIGN})", "uint256")
CAMPAIGN_REVEAL_GOLD = Fn(f"revealGold(uint256,{CAMPAIGN},bytes32,bytes32)")
CAMPAIGN_POST = Fn(f"postResult(uint256,{CAMPAIGN},{PROOF},bytes32,bytes32,bytes32)")
CAMPAIGN_CHALLENGE = Fn(f"challengeReport(uint256,{CAMPAIGN},bytes,bytes32)")
CAMPAIGN_DISPUTE = Fn(f"dispute(uint256,{CAMPAIGN},bytes32)")
CAMPAIGN_RULE = Fn("rule(uint256,bool)")
CAMPAIGN_LAPSE = Fn("lapse(uint256)")
CAMPAIGN_CLAIM = Fn(f"claim(uint256,{CAMPAIGN},address,uint96,{PROOF})", "uint256")
CAMPAIGN_CLAIM_TO = Fn(f"claimTo(uint256,{CAMPAIGN},uint96,{PROOF},address)", "uint256")
CAMPAIGN_CLAIM_BATCH = Fn(f"claimBatch(uint256,{CAMPAIGN},(address,uint96,{PROOF})[])", "uint256[]")
CAMPAIGN_FINISH = Fn(f"finish(uint256,{CAMPAIGN})", "uint256,uint256")
CAMPAIGN_WITHDRAW_CREDIT = Fn("withdrawCredit(address,address)", "uint256")

# -- views --------------------------------------------------------------------------------------
ASSET_COUNT = Fn("assetCount()", "uint256")
ASSET = Fn(
    "asset(uint256)",
    "(address,uint8,bytes32,bytes32,uint96,uint16,uint8,uint40,bool,uint16,uint16,uint8)",
)  # ... delisted, floorBps, commitLag, status
IS_LISTED = Fn("isListed(uint256)", "bool")
COMMITTED_AT = Fn("committedAt(address,bytes32)", "uint40")
PARENTS = Fn("parents(uint256)", "(uint64,uint16,uint16)[]")
OWNER_OF = Fn("ownerOf(uint256)", "address")
ACCRUED = Fn("accrued(uint256,address)", "uint256")
PENDING = Fn("pendingUpstream(uint256,address)", "uint256")
CLAIMED = Fn("claimed(uint256,address,address)", "uint256")
CLAIMABLE = Fn(f"claimable(uint256,address,address,uint96,{PROOF})", "uint256")
HELD = Fn("held(address)", "uint256")
FEES = Fn("fees(address)", "uint256")
OFFER_COUNT = Fn("offerCount()", "uint64")
LICENSE_COUNT = Fn("licenseCount()", "uint64")
OFFER = Fn("offer(uint256)", f"({TERMS},uint8,uint32,address)")
LICENSE = Fn("license(uint256)", f"(uint256,address,{TERMS},uint40,uint40,bool,bool)")
CHECK_DERIVE = Fn("checkDerive(uint256,address,uint256)", "bool,uint16")
IS_VALID = Fn("isValid(uint256)", "bool")
EXPIRES_AT = Fn("expiresAt(uint256)", "uint40")
CHANNEL = Fn(
    "channel(uint256,address,address)",
    "(uint128,uint64,uint64,address,uint40,bool,uint128,uint40,uint40,address,uint40)",
)
METERED = Fn("metered(uint256)", "(address,uint256,uint16,uint128,uint64,uint64,bool)")
OWED_TO_ASSET = Fn("owedToAsset(uint256,address)", "uint256")
EARNINGS_OF = Fn("earningsOf(address,address)", "uint256")
TOTAL_HELD = Fn("totalHeld(address)", "uint256")
BALANCE_OF = Fn("balanceOf(address)", "uint256")
HOLD = Fn("hold(uint256)", "uint8,uint256")
ESCROWED = Fn("escrowed(uint256,address)", "uint256")
DISPUTE_COUNT = Fn("disputeCount()", "uint256")
DISPUTE = Fn(
    "dispute(uint256)",
    "(uint256,uint256,uint8,uint8,uint8,bool,uint40,uint40,address,address,uint256,bytes32)",
)  # asset, beneficiary, kind, state, reason, contested, opened, at arbiter, claimant, ...
DISPUTE_OF = Fn("disputeOf(uint256)", "uint256")
DEPOSITS = Fn("deposits(address)", "uint256")
TOTAL_DEPOSITS = Fn("totalDeposits()", "uint256")
ARBITER_FEE = Fn("fee()", "uint256")  # TestArbiter's settings and what it was sent
ARBITER_REFUSE = Fn("refuse()", "bool")
ARBITER_INSTANT = Fn("instant()", "bool")
ARBITER_VERDICT = Fn("instantVerdict()", "bool")
ARBITER_BURN = Fn("burn()", "bool")
ARBITER_RECEIVED = Fn("received()", "uint256")
ARBITER_REQUESTED = Fn("requestedCount()", "uint256")
CASE_OF = Fn("caseOf(address,uint256)", "(bool,bool,uint8,uint8)")  # PanelArbiter's
CAMPAIGN_COUNT = Fn("campaignCount()", "uint256")
CAMPAIGN_PARAMS_HASH = Fn("paramsHash(uint256)", "bytes32")
CAMPAIGN_STATE = Fn("state(uint256)", "(uint8,uint40,uint96,uint112)")
CAMPAIGN_CLAIMED = Fn("claimed(uint256,address)", "bool")
CAMPAIGN_CLAIMABLE = Fn(f"claimable(uint256,{CAMPAIGN},address,uint96,{PROOF})", "uint256")
CAMPAIGN_CREDIT = Fn("credit(address,address)", "uint256")

# -- events -------------------------------------------------------------------------------------
VOUCHER_SKIPPED = keccak(text="VoucherSkipped(bytes32,uint256,bytes)")
RESULT_DISPUTED = keccak(text="ResultDisputed(uint256,address,uint256,uint256,uint256,bytes32)")
