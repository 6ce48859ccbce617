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

# -- views --------------------------------------------------------------------------------------
ASSET_COUNT = Fn("assetCount()", "uint256")
ASSET = Fn(
    "asset(uint256)",
    "(address,uint8,bytes32,bytes32,uint96,uint16,uint8,uint40,bool,uint16,uint16)",
)  # ... delisted, floorBps, commitLag
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

# -- events -------------------------------------------------------------------------------------
VOUCHER_SKIPPED = keccak(text="VoucherSkipped(bytes32,uint256,bytes)")
