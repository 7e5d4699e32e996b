"""The tests' statistics (no scipy in the runtime) against sums computed the long way."""

from __future__ import annotations

import math

import pytest

from analytics.credibility import ClusteredRate, binomial_sf, difference, normal_sf, poisson_sf


def _binomial_tail(k, n, p):
    return sum(math.comb(n, i) * p ** i * (1 - p) ** (n - i) for i in range(k, n + 1))


@pytest.mark.parametrize("k, n, p", [(12, 12, 0.05), (8, 20, 0.051), (30, 200, 0.1), (600, 1000, 0.5), (3, 10, 0.2)])
def test_the_binomial_tail_above_the_expectation_is_exact(k, n, p):
    assert binomial_sf(k, n, p) == pytest.approx(_binomial_tail(k, n, p), rel=1e-9, abs=1e-300)


def test_the_binomial_tail_at_or_below_the_expectation_is_never_a_surprise():
    for k, n, p in [(5, 100, 0.05), (1, 10, 0.5), (50, 100, 0.5)]:
        assert _binomial_tail(k, n, p) >= binomial_sf(k, n, p) >= 0.5


def test_the_poisson_tail_and_the_normal_tail():
    assert poisson_sf(5, 0.004) == pytest.approx(sum(math.exp(-0.004) * 0.004 ** i / math.factorial(i)
                                                     for i in range(5, 40)), rel=1e-6)
    assert normal_sf(1.959964) == pytest.approx(0.025, rel=1e-5)


def test_a_clustered_rate_counts_responses_not_items_and_a_perfect_rate_keeps_an_error():
    # 40 responses of 10 items each, all satisfied or none: as uncertain as 40 single answers, not 400
    all_or_none = ClusteredRate.of(40, 400, 200, 20 * 100, 40 * 100, 20 * 100)
    assert all_or_none.variance == pytest.approx(40 / 39 * 0.25 * 40 * 100 / 400 ** 2)
    perfect = ClusteredRate.of(40, 40, 40, 40, 40, 40)
    assert perfect.rate == 1.0 and perfect.variance > 0
    d, low, high, p = difference(perfect, all_or_none)
    assert d == pytest.approx(0.5) and low < d < high and p < 1e-6
