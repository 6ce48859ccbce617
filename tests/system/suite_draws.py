"""Strategies of the state machine: weighted choices, common cases first."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st


def weighted(*options: tuple[int, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    """One of the strategies, chosen in proportion to its weight (st.one_of is uniform)."""
    indices = [i for i, (weight, _) in enumerate(options) for _ in range(weight)]
    return st.sampled_from(indices).flatmap(lambda i: options[i][1])


# Hypothesis shrinks toward the first option and the smallest value: every strategy lists
# its common case first and the odd case after, so a failing example shrinks to a plain one.
small_amounts = weighted((6, st.integers(1, 1_000)), (3, st.integers(1, 10**6)), (1, st.just(0)))
extra_value = weighted((12, st.just(0)), (1, st.just(1)))  # a wrong msg.value now and then


def rarely(data: st.DataObject, label: str, one_in: int = 8) -> bool:
    return data.draw(weighted((one_in - 1, st.just(False)), (1, st.just(True))), label=label)


def recent(items: dict[int, Any], n: int = 3) -> list[int]:
    """The last ids created: sequences act on what they just made more often than not."""
    return sorted(items)[-n:]


def mostly(data: st.DataObject, label: str, common: list[Any], odd: list[Any]) -> Any:
    """From `common` (7 in 8) or, to exercise a refusal, from `odd`."""
    if not common or (odd and rarely(data, f"odd {label}")):
        return data.draw(st.sampled_from(odd), label=label)
    return data.draw(st.sampled_from(common), label=label)
