"""The suite's functions and events as raw ABI, for suite_rpc (signatures as in interfaces/)."""

from eth_utils import keccak
from suite_rpc import Fn

TERMS = "(uint256,address,uint128,uint128,uint40,uint64,uint8,uint16,bool,uint32)"
PROOF = "(bytes32,uint256)[]"
VOUCHER = "(uint256,uint256,uint256)"

# -- transactions -------------------------------------------------------------------------------
REGISTER = Fn("register(uint8,bytes32,bytes32,uint96,string,bytes32,(uint256,uint16,uint256)[])")
SET_DELISTED = Fn("setDelisted(uint256,bool)")
TRANSFER_FROM = Fn("transferFrom(address,address,uint256)")  # ERC-721, both NFTs
PAY = Fn("pay(uint256,address,uint256)")
FLOW_UPSTREAM = Fn("flowUpstream(uint256,address)")
CLAIM = Fn(f"claim(uint256,address,address,uint96,{PROOF})", "uint256")
CLAIM_BATCH = Fn(f"claimBatch((uint256,address,address,uint96,{PROOF})[])")
WITHDRAW_FEES = Fn("withdrawFees(address)")
SWEEP_EXCESS = Fn("sweepExcess(address)")
CREATE_OFFER = Fn(f"createOffer({TERMS})")
SET_OFFER_STATUS = Fn("setOfferStatus(uint256,uint8)")
BUY = Fn("buy(uint256,address,uint256)")
DEPOSIT = Fn("deposit(address,uint256)")
REQUEST_WITHDRAWAL = Fn("requestWithdrawal(address,uint256)")
COMPLETE_WITHDRAWAL = Fn("completeWithdrawal(address)", "uint256")
SETTLE = Fn(f"settle({VOUCHER},bytes)")
SETTLE_BATCH = Fn(f"settleBatch({VOUCHER}[],bytes[])")
METER = Fn("meter(uint256,uint256)", "uint256")
ERC20_TRANSFER = Fn("transfer(address,uint256)")

# -- views --------------------------------------------------------------------------------------
ASSET_COUNT = Fn("assetCount()", "uint256")
ASSET = Fn("asset(uint256)", "(address,uint8,bytes32,bytes32,uint96,uint16,uint8,uint40,bool)")
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
LICENSE = Fn("license(uint256)", f"(uint256,address,{TERMS},uint40,uint40,uint64,bool)")
IS_VALID = Fn("isValid(uint256)", "bool")
UNITS_LEFT = Fn("unitsLeft(uint256)", "uint64")
EXPIRES_AT = Fn("expiresAt(uint256)", "uint40")
ESCROW_OF = Fn("escrowOf(address,address)", "uint256")
WITHDRAWAL_OF = Fn("withdrawalOf(address,address)", "(uint256,uint256)")
TOTAL_ESCROW = Fn("totalEscrow(address)", "uint256")
BALANCE_OF = Fn("balanceOf(address)", "uint256")

# -- events -------------------------------------------------------------------------------------
VOUCHER_SKIPPED = keccak(text="VoucherSkipped(uint256,bytes)")
