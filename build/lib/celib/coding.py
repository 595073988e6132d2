"""Prefix codes: what a bit buys in practice (Huffman code lengths and block codes).

Entropy is the *ideal* code length: an outcome of probability ``p`` would get ``-log2 p`` bits.
A real code spends a whole number of bits per codeword. Huffman's algorithm finds the shortest
prefix code for a given distribution; its average length ``L`` obeys ``H(p) <= L < H(p) + 1``
(Cover & Thomas 2006, §5.4 and §5.8), with ``L = H(p)`` exactly when every probability is a power
of 1/2. Coding blocks of ``n`` independent symbols at once shrinks the overhead to below ``1/n``
bit per symbol, so the bits per symbol approach the entropy only in the limit (§5.4).
"""

from __future__ import annotations

import heapq
import itertools

import numpy as np

from . import _validate as v

__all__ = ["huffman_code_lengths", "prefix_codewords", "huffman_block_rate"]


def _distribution(p) -> np.ndarray:
    arr = v.as_float_array(p, "p", np.dtype(np.float64))
    if arr.ndim != 1:
        raise ValueError(f"p must be one distribution (a 1-D array); got shape {arr.shape}")
    return v.check_probabilities(arr, "p", axis=-1)


def huffman_code_lengths(p) -> np.ndarray:
    r"""Codeword lengths, in bits, of a Huffman code for the distribution ``p``.

    Huffman's algorithm repeatedly merges the two least probable entries; every merge adds one bit
    to the codewords of all outcomes below it. The result minimises the average length
    :math:`L = \sum_x p(x)\,\ell(x)` over all prefix codes, and

    .. math::

        H(p) \le L < H(p) + 1, \qquad \sum_x 2^{-\ell(x)} = 1 \ \text{(Kraft, with equality)}.

    Outcomes of probability 0 get a codeword too (they are merged last), so the lengths fit any
    input; they add nothing to :math:`L`. Ties are broken by position, so the result is
    deterministic.

    Parameters
    ----------
    p : array_like, shape (n,)
        A probability distribution over ``n >= 1`` outcomes. One outcome needs no bits: length 0.

    Returns
    -------
    ndarray of int, shape (n,)
        The number of bits in each outcome's codeword.

    Examples
    --------
    >>> from celib.coding import huffman_code_lengths
    >>> huffman_code_lengths([1/2, 1/4, 1/8, 1/8]).tolist()
    [1, 2, 3, 3]
    >>> huffman_code_lengths([26/30, 4/30]).tolist()
    [1, 1]

    References
    ----------
    Huffman (1952), "A method for the construction of minimum-redundancy codes", Proc. IRE 40.
    Cover & Thomas (2006), *Elements of Information Theory*, §5.6-5.8.
    """
    p = _distribution(p)
    n = p.size
    if n == 1:
        return np.zeros(1, dtype=np.int64)
    # Leaves are nodes 0..n-1, merges are nodes n..2n-2; a codeword's length is its leaf's depth.
    parent = np.full(2 * n - 1, -1, dtype=np.int64)
    order = itertools.count()  # tie-breaker: earlier entries first
    heap = [(float(prob), next(order), i) for i, prob in enumerate(p)]
    heapq.heapify(heap)
    for node in range(n, 2 * n - 1):
        p_a, _, a = heapq.heappop(heap)
        p_b, _, b = heapq.heappop(heap)
        parent[a] = parent[b] = node
        heapq.heappush(heap, (p_a + p_b, next(order), node))
    depth = np.zeros(2 * n - 1, dtype=np.int64)
    for node in range(2 * n - 3, -1, -1):  # parents have larger indices: fill top-down
        depth[node] = depth[parent[node]] + 1
    lengths = depth[:n]
    return lengths.copy()


def prefix_codewords(lengths) -> list[str]:
    """The canonical prefix code with the given codeword lengths, as strings of '0' and '1'.

    Outcomes are assigned codewords in order of increasing length (ties by position), each the
    previous codeword plus one, shifted left to the new length. This works whenever the lengths
    satisfy Kraft's inequality :math:`\\sum 2^{-\\ell} \\le 1`; no codeword is then a prefix of
    another, so a stream of codewords decodes without separators.

    Parameters
    ----------
    lengths : array_like of int, shape (n,)
        Codeword lengths, e.g. from :func:`huffman_code_lengths`.

    Returns
    -------
    list of str
        One codeword per outcome, in the input's order.

    Examples
    --------
    >>> from celib.coding import prefix_codewords
    >>> prefix_codewords([1, 2, 3, 3])
    ['0', '10', '110', '111']

    References
    ----------
    Cover & Thomas (2006), *Elements of Information Theory*, §5.2 (Kraft inequality).
    """
    arr = v.as_real_array(lengths, "lengths")
    if arr.ndim != 1 or arr.dtype.kind not in "iu" or np.any(arr < 0):
        raise ValueError(f"lengths must be a 1-D array of non-negative integers; got {arr!r}")
    if arr.size == 1:
        return ["" if arr[0] == 0 else "0" * int(arr[0])]
    kraft = sum(2.0 ** -int(length) for length in arr)
    if kraft > 1 + 1e-12 or np.any(arr == 0):
        raise ValueError(
            f"lengths violate Kraft's inequality: sum of 2**-length is {kraft:.6g} > 1"
            " (no prefix code has these lengths; use huffman_code_lengths(p))"
        )
    codewords = [""] * arr.size
    code, previous = 0, 0
    for i in sorted(range(arr.size), key=lambda k: (int(arr[k]), k)):
        length = int(arr[i])
        code <<= length - previous
        codewords[i] = format(code, f"0{length}b")
        code, previous = code + 1, length
    return codewords


def huffman_block_rate(p, block_size: int = 1) -> float:
    r"""Bits per symbol of a Huffman code on blocks of ``block_size`` independent symbols.

    The block distribution is the ``block_size``-fold product :math:`p^{\otimes n}`
    (``len(p) ** block_size`` outcomes); its Huffman code has average length :math:`L_n`, and the
    rate is :math:`L_n / n`. Since :math:`H(p^{\otimes n}) = n H(p)`,

    .. math::

        H(p) \le \frac{L_n}{n} < H(p) + \frac{1}{n},

    so the rate tends to the entropy as the blocks grow, but in general reaches it only in the limit.

    Parameters
    ----------
    p : array_like, shape (k,)
        The distribution of one symbol.
    block_size : int, default 1
        Symbols per block, ``n >= 1``. The block alphabet has ``k ** n`` outcomes; up to about a
        million is fine.

    Returns
    -------
    float
        The average number of bits per symbol.

    Examples
    --------
    >>> from celib.coding import huffman_block_rate
    >>> container_1 = [26 / 30, 4 / 30]      # 26 triangles, 4 circles
    >>> [round(huffman_block_rate(container_1, n), 3) for n in (1, 2, 4, 8)]
    [1.0, 0.691, 0.579, 0.571]

    References
    ----------
    Cover & Thomas (2006), *Elements of Information Theory*, §5.4 (Theorem 5.4.2) and §5.8.
    """
    p = _distribution(p)
    if isinstance(block_size, bool) or not isinstance(block_size, (int, np.integer)) or block_size < 1:
        raise ValueError(f"block_size must be an integer >= 1; got {block_size!r}")
    if p.size ** int(block_size) > 2**20:
        raise ValueError(
            f"block_size={block_size} gives {p.size}**{block_size} block outcomes, more than 2**20"
            " (use a smaller block_size)"
        )
    blocks = p
    for _ in range(int(block_size) - 1):
        blocks = np.multiply.outer(blocks, p).ravel()
    average_length = float(blocks @ huffman_code_lengths(blocks / blocks.sum()))
    return average_length / int(block_size)
