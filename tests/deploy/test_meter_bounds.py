"""The usage meter's deployment bounds (issue 13, attack f): a grace period in [1 h, 30 d] and
a withdrawal delay in [grace, 90 d]. Outside them the constructor refuses with
UsageMeterBadParameter and its values, and seedbed.chain.deploy.Params refuses the same values
before any transaction is sent. v1 took any value: a delay of 0 defeated the reserve, and
huge values overflowed the timestamps settlement adds them to."""

import ape
import pytest

from seedbed.chain.deploy import Params
from seedbed.core.constants import MAX_GRACE_PERIOD, MAX_WITHDRAWAL_DELAY, MIN_GRACE_PERIOD
from seedbed.core.errors import InputError

HOUR, DAY = 3_600, 86_400
ADDRESS = "0x" + "11" * 20

# (withdrawal delay, grace period, the parameter refused, its min, its max)
REFUSED = [
    (0, HOUR, "withdrawalDelay", HOUR, 90 * DAY),  # v1's attack: no delay at all
    (HOUR - 1, HOUR, "withdrawalDelay", HOUR, 90 * DAY),
    (DAY, 2 * DAY, "withdrawalDelay", 2 * DAY, 90 * DAY),  # shorter than the grace period
    (90 * DAY + 1, DAY, "withdrawalDelay", DAY, 90 * DAY),
    (2**200, DAY, "withdrawalDelay", DAY, 90 * DAY),  # v1 overflowed timestamps
    (DAY, 0, "gracePeriod", HOUR, 30 * DAY),
    (DAY, HOUR - 1, "gracePeriod", HOUR, 30 * DAY),
    (90 * DAY, 30 * DAY + 1, "gracePeriod", HOUR, 30 * DAY),
    (90 * DAY, 2**200, "gracePeriod", HOUR, 30 * DAY),
]
ACCEPTED = [
    (HOUR, HOUR),
    (90 * DAY, 30 * DAY),
    (30 * DAY, 30 * DAY),
    (2 * DAY, DAY),
    (90 * DAY, HOUR),
]


def test_the_bounds_are_the_python_constants():
    assert (MIN_GRACE_PERIOD, MAX_GRACE_PERIOD, MAX_WITHDRAWAL_DELAY) == (HOUR, 30 * DAY, 90 * DAY)


@pytest.mark.parametrize("delay,grace,what,low,high", REFUSED)
def test_regression_f_the_meter_refuses_a_parameter_out_of_bounds(
    project, deployer, license_token, vault, delay, grace, what, low, high
):
    value = delay if what == "withdrawalDelay" else grace
    with ape.reverts(
        project.UsageMeter.UsageMeterBadParameter, what=what, value=value, min=low, max=high
    ):
        deployer.deploy(project.UsageMeter, license_token, vault, delay, grace)


@pytest.mark.parametrize("delay,grace", ACCEPTED)
def test_the_meter_accepts_the_bounds_themselves(
    project, deployer, license_token, vault, delay, grace
):
    meter = deployer.deploy(project.UsageMeter, license_token, vault, delay, grace)
    assert (meter.WITHDRAWAL_DELAY(), meter.GRACE_PERIOD()) == (delay, grace)
    assert (meter.MIN_GRACE_PERIOD(), meter.MAX_GRACE_PERIOD(), meter.MAX_WITHDRAWAL_DELAY()) == (
        MIN_GRACE_PERIOD,
        MAX_GRACE_PERIOD,
        MAX_WITHDRAWAL_DELAY,
    )


@pytest.mark.parametrize("delay,grace,what,low,high", REFUSED)
def test_deploy_params_refuse_the_same_values_before_sending(delay, grace, what, low, high):
    word = "grace period" if what == "gracePeriod" else "withdrawal delay"
    with pytest.raises(InputError, match=word):
        Params(wirer=ADDRESS, treasury=ADDRESS, withdrawal_delay=delay, grace_period=grace)


@pytest.mark.parametrize("delay,grace", ACCEPTED)
def test_deploy_params_accept_the_bounds(delay, grace):
    params = Params(wirer=ADDRESS, treasury=ADDRESS, withdrawal_delay=delay, grace_period=grace)
    assert (params.withdrawal_delay, params.grace_period) == (delay, grace)


def test_the_default_params_are_within_the_bounds():
    params = Params(wirer=ADDRESS, treasury=ADDRESS)
    assert (
        MIN_GRACE_PERIOD <= params.grace_period <= params.withdrawal_delay <= MAX_WITHDRAWAL_DELAY
    )
