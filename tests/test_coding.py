"""celib.coding: Huffman code lengths, canonical prefix codewords, block-code rates.

Reference values: the dyadic example 1/2, 1/4, 1/8, 1/8 -> 0/10/110/111 (1.75 bits), and container 1
of the course (26 triangles, 4 circles) coded in blocks of 1, 2, 4, 8 -> 1.000, 0.691, 0.579, 0.571
bits per shape (issue 13). Optimality is checked against an exhaustive search over all prefix codes
for small alphabets.
"""

import itertools

import numpy as np
import pytest

import celib
from celib.coding import huffman_block_rate, huffman_code_lengths, prefix_codewords

CONTAINER_1 = [26 / 30, 4 / 30]


def _random_distributions(count, max_size, seed=0):
    rng = np.random.default_rng(seed)
    for _ in range(count):
        size = int(rng.integers(2, max_size + 1))
        yield rng.dirichlet(np.full(size, 0.5))


def _best_prefix_code_length(p, max_len=None):
    """Exhaustive minimum of sum p*l over all length vectors obeying Kraft (prefix codes exist)."""
    n = len(p)
    max_len = max_len or n - 1
    best = np.inf
    for lengths in itertools.product(range(1, max_len + 1), repeat=n):
        if sum(2.0 ** -length for length in lengths) <= 1:
            best = min(best, float(np.dot(p, lengths)))
    return best


def _is_prefix_free(words):
    return not any(a != b and b.startswith(a) for a in words for b in words)


def test_dyadic_example_gives_0_10_110_111_and_1_75_bits():
    p = [1 / 2, 1 / 4, 1 / 8, 1 / 8]
    lengths = huffman_code_lengths(p)
    assert lengths.tolist() == [1, 2, 3, 3]
    assert prefix_codewords(lengths) == ["0", "10", "110", "111"]
    assert float(np.dot(p, lengths)) == 1.75
    assert np.isclose(float(celib.entropy(p, base=2)), 1.75)


def test_container_1_block_rates_match_the_published_values():
    rates = [round(huffman_block_rate(CONTAINER_1, n), 3) for n in (1, 2, 4, 8)]
    assert rates == [1.0, 0.691, 0.579, 0.571]


@pytest.mark.parametrize("block_size", range(1, 11))
def test_block_rate_is_within_one_over_n_of_the_entropy(block_size):
    h = float(celib.entropy(CONTAINER_1, base=2))
    rate = huffman_block_rate(CONTAINER_1, block_size)
    assert h <= rate < h + 1 / block_size


@pytest.mark.parametrize("p", list(_random_distributions(30, 5)))
def test_huffman_is_optimal_against_exhaustive_search(p):
    lengths = huffman_code_lengths(p)
    assert np.isclose(float(np.dot(p, lengths)), _best_prefix_code_length(p))


@pytest.mark.parametrize("p", list(_random_distributions(40, 40, seed=1)))
def test_source_coding_bounds_and_kraft_equality(p):
    lengths = huffman_code_lengths(p)
    average = float(np.dot(p, lengths))
    h = float(celib.entropy(p, base=2))
    assert h - 1e-12 <= average < h + 1
    assert np.isclose(sum(2.0 ** -int(length) for length in lengths), 1.0)  # a full binary tree
    words = prefix_codewords(lengths)
    assert [len(w) for w in words] == lengths.tolist()
    assert _is_prefix_free(words)


def test_average_length_equals_entropy_exactly_for_powers_of_one_half():
    p = np.array([1 / 4, 1 / 4, 1 / 8, 1 / 16, 1 / 16, 1 / 4])
    lengths = huffman_code_lengths(p)
    assert np.array_equal(lengths, -np.log2(p))
    assert np.isclose(float(p @ lengths), float(celib.entropy(p, base=2)))


def test_edge_cases_one_outcome_and_zero_probabilities():
    assert huffman_code_lengths([1.0]).tolist() == [0]
    assert prefix_codewords([0]) == [""]
    lengths = huffman_code_lengths([0.0, 1.0])
    assert lengths.tolist() == [1, 1]
    assert huffman_block_rate([0.0, 1.0], 3) == 1 / 3  # still 1 bit per block of 3


def test_deterministic_tie_breaking():
    assert huffman_code_lengths([0.25] * 4).tolist() == [2, 2, 2, 2]
    assert prefix_codewords([2, 2, 2, 2]) == ["00", "01", "10", "11"]
    assert prefix_codewords([3, 1, 3, 2]) == ["110", "0", "111", "10"]


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: huffman_code_lengths([26, 4]), "p must be probabilities"),
        (lambda: huffman_code_lengths([0.5, 0.6]), "p must sum to 1"),
        (lambda: huffman_code_lengths([[0.5, 0.5]]), "one distribution"),
        (lambda: prefix_codewords([1, 1, 1]), "Kraft"),
        (lambda: prefix_codewords([1.5, 2]), "non-negative integers"),
        (lambda: huffman_block_rate(CONTAINER_1, 0), "block_size must be an integer >= 1"),
        (lambda: huffman_block_rate(CONTAINER_1, 2.0), "block_size must be an integer >= 1"),
        (lambda: huffman_block_rate(CONTAINER_1, 21), "more than 2\\*\\*20"),
    ],
)
def test_errors_name_the_argument(call, message):
    with pytest.raises(ValueError, match=message):
        call()
