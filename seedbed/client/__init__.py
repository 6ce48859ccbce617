"""The Seedbed gateway's client: model calls and dataset files, paid per call with vouchers.

`GatewayClient` (sync, httpx.Client) and `AsyncGatewayClient` call the gateway, pay its 402s
with cumulative EIP-712 vouchers (or an API key) and check every dataset file against the
content root on the chain. `seedbed.client.x402_scheme` is the same payment scheme for the
x402 SDK's own client (it needs the `x402` package; it is not imported here).
"""

from seedbed.client.errors import (
    GatewayError,
    PaymentRefused,
    PaymentRequiredError,
    VerificationError,
)
from seedbed.client.files import ByteRange
from seedbed.client.gateway import AsyncGatewayClient, GatewayClient
from seedbed.client.payments import (
    Challenge,
    ChannelBook,
    PaidCall,
    Requirements,
    VoucherSigner,
    new_payment_id,
)
from seedbed.client.streams import AsyncChatStream, ChatStream
from seedbed.client.verify import ContentRoots, FileFacts, read_content_root

__all__ = [
    "AsyncChatStream",
    "AsyncGatewayClient",
    "ByteRange",
    "Challenge",
    "ChannelBook",
    "ChatStream",
    "ContentRoots",
    "FileFacts",
    "GatewayClient",
    "GatewayError",
    "PaidCall",
    "PaymentRefused",
    "PaymentRequiredError",
    "Requirements",
    "VerificationError",
    "VoucherSigner",
    "new_payment_id",
    "read_content_root",
]
