"""Cross-entropy at language-model scale: perplexity, and losses over vocabularies too big to hold.

A language model with vocabulary :math:`V` scores every one of :math:`N` tokens against every
vocabulary entry: ``N * V`` logits. At ``N = 65,536`` tokens and Llama 3's ``V = 128,256`` that is
8.4 billion numbers, 33.6 GB in float32, before the gradient doubles it. The functions here give
the same loss without ever holding that array:

* :func:`chunked_cross_entropy` takes the logits but reads them one tile at a time, carrying a
  running maximum and a rescaled running sum across vocabulary chunks (the *online softmax*,
  Milakov & Gimelshein 2018), so its temporaries are one tile instead of several ``(N, V)``
  arrays.
* :func:`linear_cross_entropy` takes the last hidden states and the output embedding instead, and
  forms each tile of logits ``hidden @ weight.T`` only when it needs it; with
  ``return_grad=True`` it recomputes the tiles to return the gradients of ``hidden``, ``weight``
  and ``bias``. Tiling both tokens and vocabulary and recomputing for the backward pass is the
  design of Cut Cross-Entropy (Wijmans et al. 2025), here in plain NumPy. (Liger Kernel's fused
  linear cross-entropy, Hsu et al. 2024, differs: it chunks the tokens only, forms a chunk's full
  row of logits, and computes the gradients during the forward pass instead of recomputing.)
* :func:`z_loss` and :func:`softcap_logits` keep the logits in check (PaLM, Gemma 2), and
  :func:`vocab_parallel_cross_entropy` computes the loss when the vocabulary is split across
  devices, from three numbers per token and shard (Megatron-LM).
* :func:`perplexity` and :func:`bits_per_token` turn a mean cross-entropy into the numbers language
  models are reported with.

Tiles are at most ``chunk_size`` tokens by ``chunk_size`` vocabulary entries, so the extra memory
is about ``chunk_size**2`` numbers whatever ``N`` and ``V`` are. Row statistics (running maximum
and sum) are kept in float64 even for float32 inputs: they are only ``N`` numbers each.

The running sum leaves out the target's own term, so that a small loss keeps its relative
accuracy: the loss is taken as ``log1p(R * exp(m - z_y))`` with ``R`` the sum of
``exp(z_j - m)`` over the *other* entries, as in :func:`~celib.losses.sparse_categorical_cross_entropy`.
Written as ``ln(1 + R)`` it would round to 0 once ``R`` is below the precision (float32
logits ``(17, 0, 0)``, target 0: 0 instead of 8.3e-8).
"""

from __future__ import annotations

import numbers
from typing import NamedTuple

import numpy as np

from . import _validate as v

__all__ = [
    "chunked_cross_entropy",
    "linear_cross_entropy",
    "LinearCrossEntropyGrads",
    "perplexity",
    "bits_per_token",
    "z_loss",
    "softcap_logits",
    "vocab_shard_stats",
    "combine_vocab_shard_stats",
    "vocab_parallel_cross_entropy",
    "VocabShardStats",
]

DEFAULT_CHUNK_SIZE = 1024


class LinearCrossEntropyGrads(NamedTuple):
    r"""Gradients returned by :func:`linear_cross_entropy` with ``return_grad=True``.

    With :math:`G = c \odot (\operatorname{softmax}(Z) - \operatorname{onehot}(y))`, the fields are
    :math:`\partial L / \partial H = G W`, :math:`\partial L / \partial W = G^\top H` and
    :math:`\partial L / \partial b = \mathbf{1}^\top G` (None without a bias).

    Examples
    --------
    >>> import numpy as np
    >>> from celib import linear_cross_entropy
    >>> _, grads = linear_cross_entropy([0], np.array([[1.0, 0.0]]), np.eye(2), return_grad=True)
    >>> print(grads.hidden.round(4), grads.weight.shape, grads.bias)
    [[-0.2689  0.2689]] (2, 2) None

    References
    ----------
    Wijmans et al. (2025), "Cut your losses in large-vocabulary language models", ICLR.
    """

    hidden: np.ndarray
    weight: np.ndarray
    bias: np.ndarray | None


# ---------------------------------------------------------------------------------------------
# argument checks (messages in the style of celib._validate)


def _check_chunk_size(chunk_size) -> int:
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, numbers.Integral):
        raise TypeError(f"chunk_size must be a positive integer such as 1024; got {chunk_size!r}")
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive integer such as 1024; got {chunk_size!r}")
    return int(chunk_size)


def _check_bool(value, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False; got {value!r}")
    return bool(value)


def _check_target_first(labels, call: str) -> None:
    """Make the old prediction-first order loud: fractional "labels" are logits in the wrong place."""
    try:
        raw = np.asarray(labels)
    except ValueError:  # a ragged list, e.g. shards of different widths passed first
        raw = np.asarray([0.5])
    if raw.dtype == object or (raw.dtype.kind == "f" and raw.size and (raw != np.round(raw)).any()):
        raise TypeError(
            f"labels must be integer token ids, and they come first: {call} (celib's losses take"
            " the target first; before issue 26 this function took the prediction first)"
        )


def _labels_for(labels, lead_shape: tuple, num_classes: int, ignore_index, what: str):
    """Validated int64 labels, flattened, plus the mask of rows that count."""
    raw = np.asarray(labels)
    if raw.shape != lead_shape:
        squeeze = " (squeeze the trailing axis of size 1)" if raw.shape == lead_shape + (1,) else ""
        raise ValueError(f"labels must have shape {lead_shape} ({what}); got {raw.shape}{squeeze}")
    y = v.check_labels(raw, "labels", num_classes, ignore_index=ignore_index).reshape(-1)
    keep = np.ones(y.shape, bool) if ignore_index is None else y != ignore_index
    return y, keep


def _finish(losses: np.ndarray, keep: np.ndarray, reduction: str, dtype: np.dtype, lead_shape: tuple,
            ignore_index):
    """Reduce per-row losses exactly as :func:`~celib.losses.sparse_categorical_cross_entropy` does."""
    losses, weights = v.mask_ignored(losses, None, None if ignore_index is None else keep)
    return v.finish(losses.reshape(lead_shape) if reduction == "none" else losses, reduction, dtype, weights)


def _row_weights(keep: np.ndarray, reduction: str) -> np.ndarray:
    """d(reduced loss) / d(row loss): 1 / (rows kept) for "mean", 1 for "sum"; 0 for ignored rows."""
    w = keep.astype(np.float64)
    if reduction == "mean":
        kept = int(keep.sum())
        w = w / kept if kept else w * 0.0
    return w


# ---------------------------------------------------------------------------------------------
# online log-sum-exp over vocabulary chunks


class _OnlineLSE:
    """Running maximum ``m`` and rescaled running sum ``s = sum_{j != y} exp(z_j - m)`` for a block of rows.

    Feeding chunks :math:`z^{(1)}, z^{(2)}, \\dots` of each row in turn, the update is

    .. math::

        m' = \\max(m, \\max_j z^{(k)}_j), \\qquad
        s' = s\\, e^{m - m'} + \\sum_{j \\ne y} e^{z^{(k)}_j - m'}

    (Milakov & Gimelshein 2018). The maximum runs over every entry, the target's included, so
    every exponent is <= 0 and nothing overflows; the sum leaves the target out (see
    :func:`_row_losses`), so it may be 0 (a vocabulary of one, or others far below the target).
    """

    def __init__(self, rows: int):
        self.m = np.full(rows, -np.inf)
        self.s = np.zeros(rows)

    def update(self, tile: np.ndarray, tile_max: np.ndarray, target_rows: np.ndarray,
               target_cols: np.ndarray) -> None:
        """Absorb one chunk; ``tile`` (rows, chunk) is overwritten with ``exp(tile - m')``.

        ``tile[target_rows, target_cols]`` are the targets that fall in this chunk: they count
        in the maximum but not in the sum.
        """
        m_new = np.maximum(self.m, tile_max)
        with np.errstate(invalid="ignore"):  # first chunk: exp(-inf - m') = 0, and s = 0
            self.s *= np.exp(self.m - m_new)
        tile -= m_new.astype(tile.dtype)[:, None]
        np.exp(tile, out=tile)
        tile[target_rows, target_cols] = 0
        self.s += np.einsum("ij->i", tile)  # summed in the tile's dtype (no float64 copy of it)
        self.m = m_new


def _row_losses(m: np.ndarray, others: np.ndarray, z_true: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r"""Per-row loss :math:`-\ln \operatorname{softmax}(z)_y` and log-normaliser :math:`\ln s`.

    With :math:`d = m - z_y \ge 0` and :math:`R = \sum_{j \ne y} e^{z_j - m}` (``others``),

    .. math::

        \ell = \ln\bigl(1 + R\, e^{d}\bigr) = \operatorname{log1p}(R\, e^{d}), \qquad
        \ln s = \ln\bigl(R + e^{-d}\bigr)

    where ``log1p`` keeps every digit of a small loss (a confident, correct row: :math:`d = 0`,
    :math:`\ell \approx R`). Where :math:`R e^d` overflows, :math:`d` is above 700 and
    :math:`\ell = d + \ln R` to rounding. ``ln s`` (with the target's term) is what the gradient's
    softmax :math:`e^{z_j - m} / s` needs. Everything in float64.
    """
    d = m - z_true
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        ratio = others * np.exp(d)
        losses = np.where(np.isfinite(ratio), np.log1p(ratio), d + np.log(others))
    return losses, np.log(others + np.exp(-d))


def _targets_in(safe: np.ndarray, c0: int, c1: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows of a row block whose target lies in vocabulary chunk ``[c0, c1)``, and its column there."""
    rows = np.flatnonzero((safe >= c0) & (safe < c1))
    return rows, safe[rows] - c0


def _finite_max(tile: np.ndarray):
    """Row maxima of ``tile``, or None if it holds a NaN or an infinity.

    Checking the row maximum and minimum finds every NaN (both reductions propagate it) and every
    infinity without the tile-sized boolean array ``np.isfinite(tile)`` would allocate.
    """
    tile_max = tile.max(axis=1)
    if np.isfinite(tile_max).all() and np.isfinite(tile.min(axis=1)).all():
        return tile_max
    return None


def _float_input(x, name: str, *, check_finite: bool = True) -> np.ndarray:
    """A real array in a floating dtype, validated like ``celib._validate.as_float_array``.

    The finiteness check avoids ``np.isfinite(arr)``, a boolean array as large as the input (for
    a (V, H) output embedding, a quarter of its size): a NaN or an infinity anywhere makes the sum
    of its row non-finite, so only then does the exact check run, to name the first bad value.
    With ``check_finite=False`` the caller checks tile by tile instead.
    """
    try:
        arr = np.asarray(x)
    except Exception:
        arr = None
    if arr is None or arr.dtype.kind not in "biuf" or arr.size == 0:
        v.as_real_array(x, name)  # raises the standard message
    arr = arr.astype(v.float_dtype(arr), copy=False)
    if check_finite:
        with np.errstate(over="ignore", invalid="ignore"):
            sums = arr.sum(axis=-1) if arr.ndim else arr
        if not np.isfinite(sums).all():
            v.as_real_array(arr, name)  # raises, unless only the sum overflowed
    return arr


def chunked_cross_entropy(labels, logits, *, axis: int = -1, chunk_size: int = DEFAULT_CHUNK_SIZE,
                          ignore_index=None, reduction: str = "mean"):
    r"""Sparse softmax cross-entropy from logits, reading the vocabulary one chunk at a time.

    .. math::

        \ell_n = \operatorname{LSE}(z_n) - z_{n, y_n}
              = \operatorname{log1p}\bigl(R_n\, e^{m_n - z_{n, y_n}}\bigr)

    where :math:`m_n` and :math:`R_n` are the running maximum and the rescaled running sum over
    the entries other than the target after the last chunk (the online softmax of Milakov &
    Gimelshein 2018):

    .. math::

        m^{(k)} = \max\big(m^{(k-1)}, \max_{j \in \text{chunk } k} z_j\big), \qquad
        R^{(k)} = R^{(k-1)} e^{m^{(k-1)} - m^{(k)}} + \sum_{j \in \text{chunk } k,\, j \ne y} e^{z_j - m^{(k)}}

    Leaving the target out of the sum and taking ``log1p`` keeps the relative accuracy of a small
    loss (a confident, correct prediction), which :math:`\ln(1 + R)` would round to 0.

    The result equals :func:`~celib.losses.sparse_categorical_cross_entropy` with ``from_logits=True`` to
    float rounding, with the same ``ignore_index`` and reductions; the difference is memory: the
    temporaries are one tile of at most ``chunk_size`` rows by ``chunk_size`` columns instead of
    arrays shaped like ``logits``.

    Parameters
    ----------
    labels : array_like of int, shape (...)
        Target indices in ``[0, V)``, or ``ignore_index``. The target comes first, as in every
        celib loss.
    logits : array_like, shape (..., V)
        Finite logits (this function only takes logits: it exists to avoid forming probabilities).
    axis : int, default -1
        The vocabulary (class) axis of ``logits``; another axis costs one transposed copy.
    chunk_size : int, default 1024
        Tile side: rows and vocabulary entries per step.
    ignore_index : None or int, default None
        Label value to skip (e.g. ``-100`` for padding); those positions count in neither the sum
        nor the mean's denominator and get loss 0 with ``reduction="none"``.
    reduction : {"mean", "sum", "none"}, default "mean"

    Returns
    -------
    Loss in nats, in the floating dtype of ``logits`` (shape ``labels.shape`` for ``"none"``).

    Examples
    --------
    >>> from celib import chunked_cross_entropy, sparse_categorical_cross_entropy
    >>> logits = [[2.0, 1.0, 0.1, -1.0, 0.5], [0.0, 3.0, 0.0, 1.0, -2.0]]
    >>> print(f"{chunked_cross_entropy([0, 1], logits, chunk_size=2):.4f}")
    0.3994
    >>> print(f"{sparse_categorical_cross_entropy([0, 1], logits, from_logits=True):.4f}")
    0.3994

    References
    ----------
    Milakov & Gimelshein (2018), "Online normalizer calculation for softmax", arXiv:1805.02867.
    """
    _check_target_first(labels, "chunked_cross_entropy(labels, logits)")
    reduction = v.check_reduction(reduction)
    chunk = _check_chunk_size(chunk_size)
    ignore_index = v.check_ignore_index(ignore_index)
    z = _float_input(logits, "logits", check_finite=False)
    if z.ndim < 1:
        raise ValueError("logits must have a vocabulary axis (at least one dimension)")
    z = np.moveaxis(z, v.check_axis(axis, z.ndim), -1)
    dtype = z.dtype
    work = v.work_dtype(dtype)
    lead, vocab = z.shape[:-1], z.shape[-1]
    z2 = z.reshape(-1, vocab)
    y, keep = _labels_for(labels, lead, vocab, ignore_index, "the logits' shape without the vocabulary axis")
    rows = z2.shape[0]
    safe = np.where(keep, y, 0)
    m, others = np.empty(rows), np.empty(rows)
    z_true = z2[np.arange(rows), safe].astype(np.float64)
    buf = np.empty((min(chunk, rows), min(chunk, vocab)), work)
    for r0 in range(0, rows, chunk):
        r1 = min(r0 + chunk, rows)
        acc = _OnlineLSE(r1 - r0)
        for c0 in range(0, vocab, chunk):
            c1 = min(c0 + chunk, vocab)
            tile = buf[: r1 - r0, : c1 - c0]
            tile[...] = z2[r0:r1, c0:c1]
            tile_max = _finite_max(tile)
            if tile_max is None:
                v.as_real_array(z, "logits")  # locates the first bad value and raises
            acc.update(tile, tile_max, *_targets_in(safe[r0:r1], c0, c1))
        m[r0:r1], others[r0:r1] = acc.m, acc.s
    losses, _ = _row_losses(m, others, z_true)
    return _finish(losses, keep, reduction, dtype, lead, ignore_index)


def _linear_inputs(hidden, weight, bias):
    """``hidden`` (..., H), ``weight`` (V, H) and ``bias`` (V,) or None, checked and in the working dtype."""
    h = _float_input(hidden, "hidden")
    w = _float_input(weight, "weight")
    b = None if bias is None else _float_input(bias, "bias")
    dtype = v.float_dtype(h, w, *([] if b is None else [b]))
    work = v.work_dtype(dtype)
    h, w = h.astype(work, copy=False), w.astype(work, copy=False)
    if h.ndim < 1:
        raise ValueError("hidden must have a feature axis: shape (..., H)")
    if w.ndim != 2:
        raise ValueError(f"weight must have shape (V, H), one row per vocabulary entry; got shape {w.shape}")
    if w.shape[1] != h.shape[-1]:
        hint = " (pass weight, not weight.T)" if w.shape[0] == h.shape[-1] else ""
        raise ValueError(
            f"weight has shape {w.shape} but hidden has {h.shape[-1]} features; weight must be (V, {h.shape[-1]}){hint}"
        )
    if b is not None:
        b = b.astype(work, copy=False)
        if b.shape != (w.shape[0],):
            raise ValueError(f"bias must have shape ({w.shape[0]},), one value per vocabulary entry; got {b.shape}")
    return h, w, b, dtype


# ---------------------------------------------------------------------------------------------
# fused linear + cross-entropy


def linear_cross_entropy(labels, hidden, weight, *, bias=None, chunk_size: int = DEFAULT_CHUNK_SIZE,
                         ignore_index=None, reduction: str = "mean", return_grad: bool = False):
    r"""Cross-entropy of the logits ``hidden @ weight.T + bias`` without ever forming them.

    .. math::

        z_n = W h_n + b, \qquad
        \ell_n = \operatorname{LSE}(z_n) - z_{n, y_n} = \operatorname{LSE}(W h_n + b) - w_{y_n}^\top h_n - b_{y_n}

    Each tile of at most ``chunk_size`` tokens by ``chunk_size`` vocabulary rows of :math:`W` is
    computed, folded into a running log-sum-exp (see :func:`chunked_cross_entropy`) and dropped, so
    the memory beyond the inputs is about ``chunk_size**2`` numbers instead of ``N * V``.

    With ``return_grad=True`` the tiles are computed a second time, once the log-sum-exp of every
    row is known, to accumulate the gradients without storing the softmax:

    .. math::

        G = c \odot (\operatorname{softmax}(Z) - \operatorname{onehot}(y)), \qquad
        \frac{\partial L}{\partial H} = G W, \qquad
        \frac{\partial L}{\partial W} = G^\top H, \qquad
        \frac{\partial L}{\partial b} = \mathbf{1}^\top G

    where row :math:`n` of :math:`G` is scaled by :math:`c_n = 1 / N_{\text{kept}}` for ``"mean"``
    (1 for ``"sum"``, 0 for ignored rows). That recomputation, one extra pass of matrix products,
    is the price of not storing ``N * V`` numbers; it is the design of Cut Cross-Entropy (Wijmans et
    al. 2025). Liger Kernel's fused linear cross-entropy (Hsu et al. 2024) instead chunks the tokens
    only, forms each chunk's full ``(chunk, V)`` logits and writes their gradients in the forward
    pass, so it needs no recomputation but holds a chunk's whole vocabulary row at once.

    Parameters
    ----------
    labels : array_like of int, shape (...)
        Target token ids in ``[0, V)``, or ``ignore_index``; first, as in every celib loss.
    hidden : array_like, shape (..., H)
        Final hidden states, one row per token.
    weight : array_like, shape (V, H)
        Output embedding (the "language-model head"), one row per vocabulary entry.
    bias : None or array_like of shape (V,), default None
        Output bias, if the head has one.
    chunk_size : int, default 1024
        Tile side: tokens and vocabulary entries per step.
    ignore_index : None or int, default None
        Label value to skip (e.g. ``-100`` for padding).
    reduction : {"mean", "sum", "none"}, default "mean"
    return_grad : bool, default False
        Also return the gradients of the reduced loss (needs ``"mean"`` or ``"sum"``).

    Returns
    -------
    loss
        In nats, in the floating dtype of the inputs (shape ``labels.shape`` for ``"none"``).
    grads : LinearCrossEntropyGrads
        Only with ``return_grad=True``: ``(loss, grads)`` where ``grads.hidden``, ``grads.weight``
        and ``grads.bias`` (None without a bias) are shaped like the inputs.

    Examples
    --------
    >>> import numpy as np
    >>> from celib import linear_cross_entropy, sparse_categorical_cross_entropy
    >>> hidden = np.array([[1.0, 0.0], [0.5, -1.0], [0.0, 2.0]])
    >>> weight = np.array([[1.0, 1.0], [-1.0, 0.5], [0.0, -1.0], [2.0, 0.0]])
    >>> labels = [0, 2, 1]
    >>> print(f"{linear_cross_entropy(labels, hidden, weight, chunk_size=2):.4f}")
    1.2393
    >>> print(f"{sparse_categorical_cross_entropy(labels, hidden @ weight.T, from_logits=True):.4f}")
    1.2393
    >>> loss, grads = linear_cross_entropy(labels, hidden, weight, return_grad=True)
    >>> print(grads.hidden.round(4))
    [[ 0.1642 -0.2781]
     [ 0.2951  0.2331]
     [ 0.5311  0.0887]]

    References
    ----------
    Hsu et al. (2024), "Liger Kernel: Efficient Triton kernels for LLM training", arXiv:2410.10989;
    Wijmans et al. (2025), "Cut your losses in large-vocabulary language models", ICLR;
    Milakov & Gimelshein (2018), "Online normalizer calculation for softmax", arXiv:1805.02867.
    """
    _check_target_first(labels, "linear_cross_entropy(labels, hidden, weight)")
    reduction = v.check_reduction(reduction)
    chunk = _check_chunk_size(chunk_size)
    ignore_index = v.check_ignore_index(ignore_index)
    return_grad = _check_bool(return_grad, "return_grad")
    if return_grad and reduction == "none":
        raise ValueError(
            'return_grad=True needs a scalar loss: use reduction="mean" or "sum" (with "none" the'
            " gradient of the weight would be one array per token)"
        )
    h, w, b, dtype = _linear_inputs(hidden, weight, bias)
    vocab, work = w.shape[0], w.dtype
    lead = h.shape[:-1]
    h2 = h.reshape(-1, h.shape[-1])
    y, keep = _labels_for(labels, lead, vocab, ignore_index, "hidden's shape without the feature axis")
    rows = h2.shape[0]
    safe = np.where(keep, y, 0)

    buf = np.empty((min(chunk, rows), min(chunk, vocab)), work)
    m, others = np.empty(rows), np.empty(rows)
    z_true = np.zeros(rows)
    for r0 in range(0, rows, chunk):
        r1 = min(r0 + chunk, rows)
        acc = _OnlineLSE(r1 - r0)
        for c0 in range(0, vocab, chunk):
            c1 = min(c0 + chunk, vocab)
            tile = _logit_tile(h2, w, b, r0, r1, c0, c1, buf)
            # the true class's logit, taken from the same tile the normaliser sees
            hit, col = _targets_in(safe[r0:r1], c0, c1)
            z_true[r0 + hit] = tile[hit, col]
            tile_max = _finite_max(tile)
            if tile_max is None:
                raise ValueError(
                    "the logits hidden @ weight.T overflowed to inf or nan (hidden and weight are finite"
                    " but their products are too large for the dtype); scale them down or use float64"
                )
            acc.update(tile, tile_max, hit, col)
        m[r0:r1], others[r0:r1] = acc.m, acc.s
    losses, log_s = _row_losses(m, others, z_true)
    loss = _finish(losses, keep, reduction, dtype, lead, ignore_index)
    if not return_grad:
        return loss

    # per row, in the working dtype: c_n and c_n / s_n, with s_n = R_n + e^(z_y - m) the full sum
    scale = _row_weights(keep, reduction)
    del losses, z_true, others  # the gradient pass needs only m and s: keep its memory small
    c_n = scale.astype(work)
    c_over_s = (scale * np.exp(-log_s)).astype(work)
    del log_s
    g_h = np.zeros(h2.shape, work)
    g_w = np.zeros(w.shape, work)
    g_b = None if b is None else np.zeros(vocab, work)
    for r0 in range(0, rows, chunk):
        r1 = min(r0 + chunk, rows)
        m_r = m[r0:r1].astype(work)[:, None]  # exact: m is one of the tile's own values
        c_r = c_over_s[r0:r1, None]
        y_r = y[r0:r1]
        for c0 in range(0, vocab, chunk):
            c1 = min(c0 + chunk, vocab)
            tile = _logit_tile(h2, w, b, r0, r1, c0, c1, buf)
            tile -= m_r
            np.exp(tile, out=tile)
            tile *= c_r  # c_n * softmax: exp(z - m) / s, times the reduction's factor
            hit = np.flatnonzero(keep[r0:r1] & (y_r >= c0) & (y_r < c1))
            tile[hit, y_r[hit] - c0] -= c_n[r0 + hit]  # minus c_n * onehot(y_n)
            g_h[r0:r1] += tile @ w[c0:c1]
            g_w[c0:c1] += tile.T @ h2[r0:r1]
            if g_b is not None:
                g_b[c0:c1] += np.einsum("ij->j", tile)
    grads = LinearCrossEntropyGrads(
        hidden=g_h.reshape(h.shape).astype(dtype, copy=False),
        weight=g_w.astype(dtype, copy=False),
        bias=None if g_b is None else g_b.astype(dtype, copy=False),
    )
    return loss, grads


def _logit_tile(h2, w, b, r0, r1, c0, c1, buf):
    """``h2[r0:r1] @ w[c0:c1].T (+ b[c0:c1])``, written into ``buf``."""
    tile = buf[: r1 - r0, : c1 - c0]
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is detected by the caller
        np.matmul(h2[r0:r1], w[c0:c1].T, out=tile)
        if b is not None:
            tile += b[c0:c1]
    return tile


# ---------------------------------------------------------------------------------------------
# reporting


def perplexity(mean_cross_entropy, *, base=None):
    r"""Perplexity from a mean cross-entropy: the effective number of equally likely choices.

    .. math::

        \operatorname{PPL} = b^{H} \quad (H \text{ in base-}b\text{ units}), \qquad
        \text{i.e. } e^{H_{\text{nats}}} = 2^{H_{\text{bits}}}

    Average the cross-entropy over tokens first and exponentiate once: the mean of per-batch
    perplexities is larger (Jensen's inequality) and is not a perplexity.

    Parameters
    ----------
    mean_cross_entropy : array_like
        Mean cross-entropy per token, >= 0.
    base : None or float, default None
        Units of ``mean_cross_entropy``: None for nats (what losses return), 2 for bits.

    Returns
    -------
    scalar or array, >= 1, in the floating dtype of ``mean_cross_entropy`` (float64 for Python
    numbers); computed in float64, and returned in float32 where a float16 perplexity would
    overflow.

    Examples
    --------
    >>> from celib import perplexity
    >>> print(f"{perplexity(2.0):.4f} {perplexity(1.0, base=2):.4f}")
    7.3891 2.0000

    References
    ----------
    Jelinek, Mercer, Bahl & Baker (1977), "Perplexity -- a measure of the difficulty of speech
    recognition tasks", JASA 62(S1); Jurafsky & Martin, *Speech and Language Processing*, ch. 3.
    """
    ln_base = v.log_of_base(base)
    h = v.as_float_array(mean_cross_entropy, "mean_cross_entropy")
    negative = h < 0
    if negative.any():
        raise ValueError(
            f"mean_cross_entropy must be >= 0 (a cross-entropy); got {float(h[negative].flat[0])!r}"
        )
    h64 = h.astype(np.float64)
    with np.errstate(over="ignore"):  # a perplexity beyond float64 is inf, honestly
        return v.to_dtype(np.exp(h64 if ln_base is None else h64 * ln_base), h.dtype)


def bits_per_token(mean_cross_entropy_nats):
    r"""Mean cross-entropy in bits per token, from nats: :math:`H_{\text{bits}} = H_{\text{nats}} / \ln 2`.

    The result has the floating dtype of the input (float64 for Python numbers).

    Examples
    --------
    >>> from celib import bits_per_token
    >>> print(f"{bits_per_token(2.0):.4f}")
    2.8854

    References
    ----------
    Shannon (1948), "A mathematical theory of communication", Bell System Technical Journal 27.
    """
    h = v.as_float_array(mean_cross_entropy_nats, "mean_cross_entropy_nats")
    return v.to_dtype(h.astype(np.float64) / np.log(2.0), h.dtype)


# ---------------------------------------------------------------------------------------------
# logit regularisers used by large models: z-loss (PaLM) and soft-capping (Gemma 2)


def _logits_2d(logits, name: str = "logits"):
    z = v.as_float_array(logits, name)
    if z.ndim < 1:
        raise ValueError(f"{name} must have a vocabulary axis (at least one dimension)")
    return z


def z_loss(logits, *, coef: float = 1e-4, reduction: str = "mean", return_grad: bool = False):
    r"""The auxiliary z-loss of PaLM: a penalty on the squared log-normaliser of each row of logits.

    .. math::

        \ell^{z}_n = c\, \bigl(\ln Z_n\bigr)^2, \qquad \ln Z_n = \operatorname{LSE}(z_n),
        \qquad \frac{\partial \ell^{z}_n}{\partial z_{nk}} = 2 c \ln Z_n \operatorname{softmax}(z_n)_k

    Cross-entropy does not change when a constant is added to every logit of a row, so nothing in
    it stops :math:`\ln Z` from drifting; PaLM adds this term with :math:`c = 10^{-4}` "to encourage
    the softmax normalizer log(Z) to be close to 0", which it found to increase training stability.
    Add it to the cross-entropy (and its gradient to the cross-entropy's gradient).

    Parameters
    ----------
    logits : array_like, shape (..., V)
        Finite logits, vocabulary axis last.
    coef : float, default 1e-4
        The weight :math:`c` (PaLM's value).
    reduction : {"mean", "sum", "none"}, default "mean"
        Mean or sum over rows, or one value per row.
    return_grad : bool, default False
        Also return the gradient of the reduced value with respect to ``logits`` (shape of ``logits``).

    Returns
    -------
    float scalar or array in the dtype of ``logits``; with ``return_grad=True`` the pair
    ``(value, grad)``.

    Examples
    --------
    >>> from celib.scale import z_loss
    >>> print(z_loss([[10.0, 10.0], [0.0, 0.0]], coef=1e-4, reduction="none").round(6))
    [1.1434e-02 4.8000e-05]
    >>> value, grad = z_loss([[3.0, 1.0]], coef=0.5, return_grad=True)
    >>> print(f"{value:.4f}", grad.round(4))
    4.8888 [[2.7542 0.3727]]

    References
    ----------
    Chowdhery et al. (2023), "PaLM: Scaling language modeling with pathways", JMLR 24(240),
    section 5 ("z_loss"); Zoph et al. (2022), "ST-MoE", arXiv:2202.08906 (router z-loss).
    """
    reduction = v.check_reduction(reduction)
    return_grad = _check_bool(return_grad, "return_grad")
    coef = v.check_nonnegative(coef, "coef")
    z = _logits_2d(logits)
    dtype, work = z.dtype, v.work_dtype(z.dtype)
    zw = z.astype(work, copy=False)
    m = zw.max(axis=-1, keepdims=True)
    e = np.exp(zw - m)
    s = e.sum(axis=-1, keepdims=True)
    lse = (m + np.log(s))[..., 0]
    rows = coef * lse.astype(np.float64) ** 2
    value = v.finish(rows, reduction, dtype)
    if not return_grad:
        return value
    if reduction == "none":
        raise ValueError('return_grad=True needs a scalar value: use reduction="mean" or "sum"')
    scale = 1.0 / max(lse.size, 1) if reduction == "mean" else 1.0
    grad = (2.0 * coef * scale) * lse[..., None] * (e / s)
    return value, grad.astype(dtype)


def softcap_logits(logits, cap: float, *, return_grad: bool = False):
    r"""Soft-capping of logits (Gemma 2): a smooth clamp to the open interval :math:`(-c, c)`.

    .. math::

        \tilde z = c \tanh(z / c), \qquad \frac{d \tilde z}{d z} = 1 - \tanh^2(z / c)

    Near 0 it is the identity (slope 1); a logit far beyond the cap is squashed towards
    :math:`\pm c` and its gradient vanishes. Gemma 2 caps the final logits at :math:`c = 30` (and
    the attention logits at 50) before the softmax; the cross-entropy is then taken of
    :math:`\tilde z`, and by the chain rule :math:`\partial L / \partial z = \partial L / \partial
    \tilde z \cdot (1 - \tanh^2(z/c))`, elementwise.

    Parameters
    ----------
    logits : array_like
        Finite logits.
    cap : float
        The cap :math:`c > 0`.
    return_grad : bool, default False
        Also return the elementwise derivative :math:`d\tilde z / dz` (same shape).

    Returns
    -------
    Capped logits in the dtype of ``logits``; with ``return_grad=True`` the pair
    ``(capped, derivative)``.

    Examples
    --------
    >>> from celib.scale import softcap_logits
    >>> print(softcap_logits([0.5, 30.0, 100.0, -1000.0], cap=30.0).round(4))
    [  0.5     22.8478  29.9237 -30.    ]

    References
    ----------
    Gemma Team (2024), "Gemma 2: Improving open language models at a practical size",
    arXiv:2408.00118, section 2 ("Logit soft-capping").
    """
    return_grad = _check_bool(return_grad, "return_grad")
    cap = v.check_positive(cap, "cap")
    z = v.as_float_array(logits, "logits")
    t = np.tanh(z / z.dtype.type(cap))
    capped = (cap * t).astype(z.dtype)[()]
    if not return_grad:
        return capped
    return capped, (1 - t * t).astype(z.dtype)[()]


# ---------------------------------------------------------------------------------------------
# vocabulary-parallel cross-entropy (Megatron-LM): the vocabulary split across k devices


class VocabShardStats(NamedTuple):
    r"""Per-token numbers one vocabulary shard contributes (see :func:`vocab_shard_stats`).

    ``max`` :math:`m_k = \max_{j \in k} z_j`, ``sumexp`` :math:`s_k = \sum_{j \in k} e^{z_j - m_k}`
    and ``target`` :math:`t_k` (the label's logit if shard :math:`k` holds it, else 0).

    Examples
    --------
    >>> from celib import VocabShardStats, vocab_shard_stats
    >>> st = vocab_shard_stats([1], [[0.0, 2.0]], vocab_start=0)
    >>> isinstance(st, VocabShardStats), float(st.max[0]), float(st.target[0])
    (True, 2.0, 2.0)

    References
    ----------
    Shoeybi et al. (2019), "Megatron-LM", arXiv:1909.08053.
    """

    max: np.ndarray
    sumexp: np.ndarray
    target: np.ndarray


def vocab_shard_stats(labels, logit_shard, vocab_start: int, *, ignore_index=None) -> VocabShardStats:
    r"""What one device holding vocabulary entries ``[vocab_start, vocab_start + V_k)`` computes locally.

    .. math::

        m_k = \max_{j \in \text{shard } k} z_j, \qquad
        s_k = \sum_{j \in \text{shard } k} e^{z_j - m_k}, \qquad
        t_k = \begin{cases} z_y & y \in \text{shard } k \\ 0 & \text{otherwise} \end{cases}

    Three numbers per token, whatever the shard's width. :func:`combine_vocab_shard_stats` turns
    the :math:`k` triples into the loss with the arithmetic of two all-reduces (a maximum and a sum).

    Parameters
    ----------
    labels : array_like of int, shape (...)
        Global target ids in ``[0, V)`` (or ``ignore_index``); ids outside the shard give ``t_k = 0``.
    logit_shard : array_like, shape (..., V_k)
        This device's columns of the logits.
    vocab_start : int
        Global id of the shard's first column.
    ignore_index : None or int
        Label value of positions that are skipped (their ``t_k`` is 0).

    Returns
    -------
    VocabShardStats
        ``(max, sumexp, target)``, float64 arrays shaped like ``labels``.

    Examples
    --------
    >>> from celib.scale import vocab_shard_stats
    >>> st = vocab_shard_stats([3, 0], [[1.0, 3.0], [0.0, 0.0]], vocab_start=2)
    >>> print(st.max, st.sumexp.round(4), st.target)
    [3. 0.] [1.1353 2.    ] [3. 0.]

    References
    ----------
    Shoeybi et al. (2019), "Megatron-LM: Training multi-billion parameter language models using
    model parallelism", arXiv:1909.08053, section 3 (parallel output embedding and cross-entropy).
    """
    _check_target_first(labels, "vocab_shard_stats(labels, logit_shard, vocab_start)")
    if isinstance(vocab_start, bool) or not isinstance(vocab_start, (int, np.integer)) or vocab_start < 0:
        raise TypeError(f"vocab_start must be a non-negative integer; got {vocab_start!r}")
    ignore_index = v.check_ignore_index(ignore_index)
    z = _logits_2d(logit_shard, "logit_shard").astype(np.float64)
    lead, width = z.shape[:-1], z.shape[-1]
    raw = np.asarray(labels)
    if raw.shape != lead:
        raise ValueError(f"labels must have shape {lead} (logit_shard's shape without the vocabulary axis);"
                         f" got {raw.shape}")
    if raw.size and raw.dtype.kind not in "iu":
        raise TypeError(f"labels must be integers; got dtype {raw.dtype}")
    y = raw.astype(np.int64)
    local = y - int(vocab_start)
    here = (local >= 0) & (local < width)
    if ignore_index is not None:
        here &= y != ignore_index
    m = z.max(axis=-1)
    s = np.exp(z - m[..., None]).sum(axis=-1)
    t = np.where(here, np.take_along_axis(z, np.where(here, local, 0)[..., None], -1)[..., 0], 0.0)
    return VocabShardStats(m, s, t)


def combine_vocab_shard_stats(stats):
    r"""Global log-normaliser and target logit from every shard's :class:`VocabShardStats`.

    The arithmetic of the all-reduces (Megatron-LM's vocabulary-parallel cross-entropy):

    .. math::

        M = \max_k m_k \;\;(\text{all-reduce max}), \qquad
        S = \sum_k s_k\, e^{m_k - M}, \qquad z_y = \sum_k t_k \;\;(\text{all-reduce sum}),

    and the per-token loss is :math:`\ell = (M - z_y) + \ln S`, the same as on one device.

    Parameters
    ----------
    stats : sequence of VocabShardStats
        One triple per shard, all shaped alike.

    Returns
    -------
    (max, sumexp, target) : VocabShardStats
        The global :math:`M`, :math:`S` (relative to :math:`M`) and :math:`z_y`, per token.

    Examples
    --------
    >>> import numpy as np
    >>> from celib.scale import vocab_shard_stats, combine_vocab_shard_stats
    >>> row, label = [[1.0, 3.0, 2.0, 5.0]], [1]
    >>> a = vocab_shard_stats(label, [[1.0, 3.0]], vocab_start=0)
    >>> b = vocab_shard_stats(label, [[2.0, 5.0]], vocab_start=2)
    >>> tot = combine_vocab_shard_stats([a, b])
    >>> print(f"{float((tot.max - tot.target + np.log(tot.sumexp))[0]):.4f}")
    2.1852

    References
    ----------
    Shoeybi et al. (2019), "Megatron-LM", arXiv:1909.08053;
    Milakov & Gimelshein (2018), "Online normalizer calculation for softmax", arXiv:1805.02867.
    """
    stats = list(stats)
    if not stats:
        raise ValueError("stats must hold at least one shard's VocabShardStats")
    big_m = np.maximum.reduce([st.max for st in stats])
    big_s = sum(st.sumexp * np.exp(st.max - big_m) for st in stats)
    target = sum(st.target for st in stats)
    return VocabShardStats(big_m, big_s, target)


def vocab_parallel_cross_entropy(labels, logit_shards, *, ignore_index=None, reduction: str = "mean",
                                 return_grad: bool = False):
    r"""Sparse cross-entropy of logits whose vocabulary axis is split into shards, as across devices.

    Shard :math:`k` holds columns ``[start_k, start_k + V_k)`` of the logits (the shards, in order,
    make up the vocabulary). Each computes :func:`vocab_shard_stats`; the triples are combined by
    :func:`combine_vocab_shard_stats`; then, per token,

    .. math::

        \ell = (M - z_y) + \ln S, \qquad
        \frac{\partial \ell}{\partial z_j} = \frac{e^{z_j - M}}{S} - [j = y]
        \quad \text{(on the shard that holds } j\text{)}.

    No device ever sees another's logits: the forward pass exchanges three numbers per token, and the
    gradient of each shard needs only :math:`M` and :math:`S`. The result equals
    :func:`~celib.losses.sparse_categorical_cross_entropy` of the concatenated logits.

    Parameters
    ----------
    labels : array_like of int, shape (...)
        Global target ids in ``[0, V)``, or ``ignore_index``; first, as in every celib loss.
    logit_shards : sequence of array_like, each (..., V_k)
        The shards in vocabulary order.
    ignore_index : None or int
    reduction : {"mean", "sum", "none"}, default "mean"
    return_grad : bool, default False
        Also return the gradient of the reduced loss, one array per shard.

    Returns
    -------
    loss in the floating dtype of the shards (computed in float64), and with ``return_grad=True``
    the pair ``(loss, grad_shards)``, each gradient in that dtype too.

    Examples
    --------
    >>> import numpy as np
    >>> from celib import vocab_parallel_cross_entropy, sparse_categorical_cross_entropy
    >>> z = np.array([[2.0, 1.0, 0.1, -1.0, 0.5], [0.0, 3.0, 0.0, 1.0, -2.0]])
    >>> print(f"{vocab_parallel_cross_entropy([0, 4], [z[:, :2], z[:, 2:]]):.4f}")
    2.8994
    >>> print(f"{sparse_categorical_cross_entropy([0, 4], z, from_logits=True):.4f}")
    2.8994

    References
    ----------
    Shoeybi et al. (2019), "Megatron-LM: Training multi-billion parameter language models using
    model parallelism", arXiv:1909.08053.
    """
    _check_target_first(labels, "vocab_parallel_cross_entropy(labels, logit_shards)")
    reduction = v.check_reduction(reduction)
    return_grad = _check_bool(return_grad, "return_grad")
    ignore_index = v.check_ignore_index(ignore_index)
    shards = [_logits_2d(s, "logit_shards") for s in logit_shards]
    if not shards:
        raise ValueError("logit_shards must hold at least one shard")
    lead = shards[0].shape[:-1]
    if any(s.shape[:-1] != lead for s in shards):
        raise ValueError(f"every shard must have the leading shape {lead}; got "
                         f"{[s.shape for s in shards]}")
    vocab = sum(s.shape[-1] for s in shards)
    y, keep = _labels_for(labels, lead, vocab, ignore_index, "the shards' shape without the vocabulary axis")
    y = y.reshape(lead)
    keep = keep.reshape(lead)
    starts = np.cumsum([0] + [s.shape[-1] for s in shards[:-1]])
    stats = [vocab_shard_stats(y, s, int(st), ignore_index=ignore_index) for s, st in zip(shards, starts)]
    tot = combine_vocab_shard_stats(stats)
    rows = (tot.max - tot.target) + np.log(tot.sumexp)
    dtype = v.float_dtype(*shards)
    loss = _finish(rows.reshape(-1), keep.reshape(-1), reduction, dtype, lead, ignore_index)
    if not return_grad:
        return loss
    if reduction == "none":
        raise ValueError('return_grad=True needs a scalar loss: use reduction="mean" or "sum"')
    c = _row_weights(keep.reshape(-1), reduction).reshape(lead)
    grads = []
    for s, start in zip(shards, starts):
        g = np.exp(s.astype(np.float64) - tot.max[..., None]) / tot.sumexp[..., None]
        local = y - int(start)
        here = keep & (local >= 0) & (local < s.shape[-1])
        np.put_along_axis(g, np.where(here, local, 0)[..., None],
                          np.take_along_axis(g, np.where(here, local, 0)[..., None], -1)
                          - here[..., None], -1)
        grads.append(v.to_dtype(g * c[..., None], dtype))
    return loss, grads
