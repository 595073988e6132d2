"""The coding-exercise cells of the lessons, generated from this module (the single source).

Each lesson's notebook holds, just before its ``## Summary`` heading, one ``code-chNN-intro``
cell and, per exercise, the cells ``code-<name>-task`` (a sphinx-exercise), ``-starter`` (a naive
attempt and the stored report on it), ``-hint``, ``-solution-start``, ``-solution`` (the function
from :mod:`celib.exercises.solutions` and its passing report) and ``-solution-end``. The texts are
here; ``tests/test_exercises_lessons.py`` checks that the notebooks hold exactly these cells.

Regenerate a lesson's cells after changing a text, a starter or a solution, then store their
outputs (only the lesson's first code cell, its imports, and the ``code-*`` cells are run; every
other cell and its outputs stay byte-identical)::

    python -m celib.exercises.cells chapters/05_binary_cross_entropy.ipynb --execute
"""

from __future__ import annotations

import argparse
import copy
import inspect
import json
import textwrap
from pathlib import Path

from . import EXERCISES, solutions

__all__ = ["INTRO", "TASKS", "STARTERS", "label", "cells_for", "lesson_cells", "insert", "execute"]

INTRO = """### Coding exercises

Now write the code yourself. Each exercise below gives a starter: a first attempt that looks
reasonable and breaks somewhere, with the report that `celib.exercises.check` printed for it. The
check runs your function on ordinary and adversarial inputs, then on generated ones (the same
inputs on every run), compares every result with `celib`, and names the first input where your
code goes wrong, with the value it returned and the value expected. In JupyterLab (`make lab`),
edit the starter in place and run its cell again until the report says PASSED; the hint cell
gives a hint, and the solution is folded away below it."""

TASKS = {
    "ch01-entropy-bits": """Write `entropy_bits(p)`: the entropy of the distribution `p` (a 1-D array
that sums to 1) in **bits**. Outcomes with probability 0 must count as 0, as in the
`0 log 0` section above. The check includes the three containers and a fair coin.""",
    "ch02-cross-entropy-base": """Write `cross_entropy(p, q, base)`: $H(p, q)$ of a target distribution
`p` and a prediction `q`, with logarithms in `base` (2 for bits, `np.e` for nats). A term with
$p_i = 0$ contributes 0, even where $q_i = 0$; a prediction $q_i = 0$ where $p_i > 0$ makes the
cross-entropy infinite, and the function must say so.""",
    "ch03-kl-q-zero": """Write `kl_divergence(p, q)`: $D(p \\,\\|\\, q)$ in nats, for two
distributions given as 1-D arrays. The check puts zeros on both sides: $p_i = 0$ (the term is 0),
$p_i = q_i = 0$ (still 0) and $q_i = 0 < p_i$ (the divergence is `inf`).""",
    "ch04-log-likelihood": """Write `log_likelihood(labels, q)`: the log-likelihood
$\\sum_n \\ln q_{n, y_n}$ (nats) of a data set, from integer labels `labels` of shape (N,) and
predicted probabilities `q` of shape (N, C). The check includes rows with zeros on the other classes
and a data set of a few thousand examples.""",
    "ch05-stable-bce": """Write `binary_cross_entropy(y, z)`: the mean binary cross-entropy (nats) of
labels `y` in {0, 1} and **logits** `z`, both 1-D arrays. It must stay finite and accurate for
every logit: the check tries $z = \\pm 40$, $\\pm 800$ and float16 inputs, where computing
$\\sigma(z)$ and then its log fails.""",
    "ch06-log-softmax": """Write `log_softmax(z)`: $\\log \\operatorname{softmax}(z)$ over the last axis
of an array of logits (one row per example). The check tries logits near 1000, rows of very
different size in one batch, a square batch (where a wrong axis goes unnoticed by the shapes),
masked logits equal to `-inf` (which must stay `-inf`) and float16.""",
    "ch06-softmax-ce": """Write `softmax_cross_entropy(labels, z)`: the mean softmax cross-entropy
(nats) of integer `labels` of shape (N,) and logits `z` of shape (N, C). The check tries logits at
$\\pm 800$ and $\\pm 1000$, masked logits equal to `-inf` on classes that are not the target, and
float16.""",
    "ch07-ignore-index": """Write `masked_cross_entropy(labels, z, ignore_index)`: the mean softmax
cross-entropy (nats) over the tokens whose label is not `ignore_index`, from labels (N,) and
logits (N, C). Follow `celib`'s convention: ignored tokens count in neither the sum nor the
count, and a batch where every token is ignored has loss zero. The check uses `-100`, `-1` and
a padding id equal to C.""",
    "ch08-weighted-mean": """Write `weighted_cross_entropy(labels, z, class_weight)`: softmax
cross-entropy (nats) where each example's loss is multiplied by the weight of its class, averaged
under this book's convention: divide by the sum of the weights actually used,
$\\sum_n w_{y_n}$ (PyTorch's rule for integer labels), not by N.""",
    "ch08-focal-grad": """Write `focal_loss_grad(y, z, gamma)`: the derivative
$\\partial \\ell / \\partial z$ of the binary focal loss
$\\ell = -(1 - q_t)^\\gamma \\ln q_t$ for each element (no mean), where $q_t = \\sigma(z)$ for a
positive ($y = 1$) and $1 - \\sigma(z)$ for a negative. The check compares with
`celib.binary_focal_loss_grad`, including $\\gamma = 0$ (plain cross-entropy), logits at
$\\pm 40$ and $\\pm 800$, and $\\gamma = 1/2$ on a confident right answer.""",
    "ch09-ece": """Write `expected_calibration_error(labels, probs, n_bins)`: the ECE of the
top-label confidence with `n_bins` equal-width bins on [0, 1], each closed on the right,
$(m/M, (m+1)/M]$, as `celib.expected_calibration_error` computes it. The check puts confidences
exactly on a bin edge and at exactly 1, and leaves most bins empty.""",
    "ch10-chunked-ce": """Write `chunked_cross_entropy(labels, hidden, weight, chunk_size)`: the mean
cross-entropy (nats) of the logits `hidden @ weight`, shape (N, V), **without ever holding
them**: at most `chunk_size` rows of logits at a time. The check measures your function's peak
memory with `tracemalloc` on N = 2048 tokens and V = 1024 (the full logits would take 16 MiB;
the limit is a quarter of that), and uses N that is not a multiple of `chunk_size`.""",
    "ch10-vocab-combine": """Write `combine_shards(maxes, sumexps, targets)`, the step after the
all-reduces of vocabulary-parallel cross-entropy. Shard $k$ of the vocabulary sends, for each
token, its maximum logit $m_k$, its sum $s_k = \\sum_j e^{z_j - m_k}$ over its own entries and
the target's logit $t_k$ (0 when the target lives on another shard); each argument has shape
(K, N). Return the loss of each token, shape (N,). The check includes shards whose maxima are
800 apart.""",
}

STARTERS = {
    "ch01-entropy-bits": '''def entropy_bits(p):
    """Entropy of the distribution p, in bits."""
    p = np.asarray(p, dtype=float)
    return -np.sum(p * np.log2(p))''',
    "ch02-cross-entropy-base": '''def cross_entropy(p, q, base):
    """Cross-entropy H(p, q): base 2 gives bits, base np.e gives nats."""
    p, q = np.asarray(p, dtype=float), np.asarray(q, dtype=float)
    return -np.sum(p * np.log2(q))''',
    "ch03-kl-q-zero": '''def kl_divergence(p, q):
    """KL divergence D(p || q) in nats."""
    p, q = np.asarray(p, dtype=float), np.asarray(q, dtype=float)
    return np.sum(p * np.log(p / q))''',
    "ch04-log-likelihood": '''def log_likelihood(labels, q):
    """Log-likelihood in nats: the log of the product of q[n, y_n]."""
    labels, q = np.asarray(labels), np.asarray(q)
    likelihood = np.prod(q[np.arange(len(labels)), labels])
    return np.log(likelihood)''',
    "ch05-stable-bce": '''def binary_cross_entropy(y, z):
    """Mean binary cross-entropy in nats, labels y in {0, 1}, logits z."""
    y, z = np.asarray(y), np.asarray(z)
    q = 1 / (1 + np.exp(-z))  # sigmoid
    return np.mean(-(y * np.log(q) + (1 - y) * np.log(1 - q)))''',
    "ch06-log-softmax": '''def log_softmax(z):
    """log softmax(z) over the last axis."""
    z = np.asarray(z)
    q = np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True)  # softmax
    return np.log(q)''',
    "ch06-softmax-ce": '''def softmax_cross_entropy(labels, z):
    """Mean softmax cross-entropy in nats; labels (N,), logits (N, C)."""
    labels, z = np.asarray(labels), np.asarray(z)
    q = np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True)  # softmax
    y = np.eye(z.shape[-1])[labels]  # one-hot targets
    return np.mean(-np.sum(y * np.log(q), axis=-1))''',
    "ch07-ignore-index": '''def masked_cross_entropy(labels, z, ignore_index):
    """Mean softmax cross-entropy of the tokens not ignored."""
    labels, z = np.asarray(labels), np.asarray(z)
    m = z.max(axis=-1, keepdims=True)
    log_q = z - m - np.log(np.exp(z - m).sum(axis=-1, keepdims=True))
    picked = log_q[np.arange(len(labels)), labels]
    keep = labels != ignore_index
    return -np.sum(picked * keep) / len(labels)''',
    "ch08-weighted-mean": '''def weighted_cross_entropy(labels, z, class_weight):
    """Class-weighted mean softmax cross-entropy in nats."""
    labels, z = np.asarray(labels), np.asarray(z)
    w = np.asarray(class_weight)
    m = z.max(axis=-1, keepdims=True)
    log_q = z - m - np.log(np.exp(z - m).sum(axis=-1, keepdims=True))
    losses = -log_q[np.arange(len(labels)), labels]
    return np.mean(w[labels] * losses)''',
    "ch08-focal-grad": '''def focal_loss_grad(y, z, gamma):
    """d/dz of the focal loss -(1 - q_t)^gamma log q_t, per element."""
    y, z = np.asarray(y, dtype=float), np.asarray(z, dtype=float)
    q = 1 / (1 + np.exp(-z))
    q_t = np.where(y == 1, q, 1 - q)
    # the focal factor times the cross-entropy gradient sigmoid(z) - y
    return (1 - q_t) ** gamma * (q - y)''',
    "ch09-ece": '''def expected_calibration_error(labels, probs, n_bins):
    """ECE of the top-label confidence with n_bins equal-width bins."""
    labels, probs = np.asarray(labels), np.asarray(probs)
    confidence = probs.max(axis=1)
    correct = probs.argmax(axis=1) == labels
    bins = (confidence * n_bins).astype(int)  # the bin of each confidence
    ece = 0.0
    for m in range(n_bins):
        in_bin = bins == m
        if in_bin.any():
            gap = abs(correct[in_bin].mean() - confidence[in_bin].mean())
            ece += in_bin.mean() * gap
    return ece''',
    "ch10-chunked-ce": '''def chunked_cross_entropy(labels, hidden, weight, chunk_size):
    """Mean cross-entropy in nats of the logits hidden @ weight."""
    labels, hidden = np.asarray(labels), np.asarray(hidden)
    weight = np.asarray(weight)
    z = hidden @ weight  # (N, V) logits
    m = z.max(axis=-1, keepdims=True)
    log_norm = m[:, 0] + np.log(np.exp(z - m).sum(axis=-1))
    return np.mean(log_norm - z[np.arange(len(labels)), labels])''',
    "ch10-vocab-combine": '''def combine_shards(maxes, sumexps, targets):
    """Loss per token from K shards' statistics, each shaped (K, N)."""
    maxes, sumexps = np.asarray(maxes), np.asarray(sumexps)
    targets = np.asarray(targets)
    # sum of exp(z) over the whole vocabulary
    total = np.sum(sumexps * np.exp(maxes), axis=0)
    return np.log(total) - targets.sum(axis=0)''',
}


def _lines(text: str) -> list[str]:
    """A notebook cell's source list: one string per line, the last without its newline."""
    out = text.splitlines(keepends=True)
    if out and out[-1].endswith("\n"):
        out[-1] = out[-1][:-1]
    return out


def _md(cell_id: str, text: str, metadata=None) -> dict:
    return {"cell_type": "markdown", "id": cell_id, "metadata": metadata or {},
            "source": _lines(text)}


def _code(cell_id: str, text: str, metadata=None) -> dict:
    return {"cell_type": "code", "execution_count": None, "id": cell_id,
            "metadata": metadata or {}, "outputs": [], "source": _lines(text)}


def label(name: str) -> str:
    """The sphinx-exercise label of an exercise: "ch05-stable-bce" -> "ch05-code-stable-bce"."""
    return f"{name[:4]}-code-{name[5:]}"


def lesson_cells(lesson: int) -> list[dict]:
    """Every code-* cell of lesson ``lesson``, in order (without outputs)."""
    exercises = [ex for ex in EXERCISES.values() if ex.lesson == lesson]
    return [cell for i, ex in enumerate(exercises) for cell in cells_for(ex, first=i == 0)]


def cells_for(ex, first: bool) -> list[dict]:
    """The cells of one exercise (after the lesson's intro cell when ``first``)."""
    name = ex.name
    out = []
    if first:
        out.append(_md(f"code-{name[:4]}-intro", INTRO))
    task = textwrap.fill(" ".join(TASKS[name].split()), width=100)
    out.append(_md(f"code-{name}-task",
                  f"```{{exercise}} {ex.title}\n:label: {label(name)}\n\n{task}\n```"))
    check = f'cx.check("{name}", {ex.answer})'
    out.append(_code(f"code-{name}-starter",
                    f"import celib.exercises as cx\n\n\n{STARTERS[name]}\n\n\n{check}"))
    out.append(_code(f"code-{name}-hint", f'import celib.exercises as cx\n\ncx.hint("{name}")',
                    {"tags": ["hide-output"], "jupyter": {"outputs_hidden": True}}))
    out.append(_md(f"code-{name}-solution-start",
                  f"```{{solution-start}} {label(name)}\n:class: dropdown\n```"))
    source = inspect.getsource(getattr(solutions, ex.answer)).rstrip()
    out.append(_code(f"code-{name}-solution",
                    f"import celib.exercises as cx\n\n\n{source}\n\n\n{check}",
                    {"jupyter": {"outputs_hidden": True, "source_hidden": True}}))
    out.append(_md(f"code-{name}-solution-end", "```{solution-end}\n```"))
    return out


def _summary_index(cells: list[dict]) -> int:
    found = [i for i, c in enumerate(cells) if c["cell_type"] == "markdown"
             and "".join(c["source"]).lstrip().startswith("## Summary")]
    if len(found) != 1:
        raise ValueError(f"expected one '## Summary' heading cell, found {len(found)}")
    return found[0]


def insert(path: Path, lesson: int) -> None:
    """Put the lesson's code-* cells, freshly generated, just before its ## Summary cell.

    Other cells are not touched; a code-* cell whose source is unchanged keeps its outputs."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    old = {c["id"]: c for c in raw["cells"] if c["id"].startswith("code-")}
    new = lesson_cells(lesson)
    for cell in new:
        before = old.get(cell["id"])
        if cell["cell_type"] == "code" and before is not None and before["source"] == cell["source"]:
            cell["outputs"], cell["execution_count"] = before["outputs"], before["execution_count"]
    rest = [c for c in raw["cells"] if not c["id"].startswith("code-")]
    at = _summary_index(rest)
    raw["cells"] = rest[:at] + new + rest[at:]
    _write(path, raw)


def execute(path: Path) -> None:
    """Run the lesson's first code cell and its code-* cells in one kernel; store their outputs.

    Execution counts continue those of the cells before them, so the notebook still reads as run
    in order. Needs nbclient and an ipykernel (the book environment has both)."""
    import nbformat
    from nbclient import NotebookClient

    raw = json.loads(path.read_text(encoding="utf-8"))
    nb = nbformat.reads(json.dumps(raw), as_version=4)
    small = copy.deepcopy(nb)
    first = next(c for c in nb.cells if c.cell_type == "code")
    small.cells = [copy.deepcopy(first)] + [c for c in small.cells if c.id.startswith("code-")]
    NotebookClient(small, timeout=600, kernel_name="python3", record_timing=False).execute()
    ran = {c.id: json.loads(nbformat.writes(nbformat.v4.new_notebook(cells=[c])))["cells"][0]
           for c in small.cells}
    count = 0
    for cell in raw["cells"]:
        if cell["cell_type"] != "code":
            continue
        if cell["id"].startswith("code-"):
            count += 1
            cell["outputs"], cell["execution_count"] = ran[cell["id"]]["outputs"], count
        elif cell["execution_count"] is not None:
            count = cell["execution_count"]
    _write(path, raw)


def _write(path: Path, raw: dict) -> None:
    # the layout nbformat writes (indent 1, UTF-8), keeping every cell's key order as it was
    path.write_text(json.dumps(raw, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path, help="chapters/NN_*.ipynb")
    parser.add_argument("--execute", action="store_true", help="also store the cells' outputs")
    args = parser.parse_args(argv)
    for path in args.notebooks:
        insert(path, int(path.name[:2]))
        if args.execute:
            execute(path)
        print(f"{path}: {len(lesson_cells(int(path.name[:2])))} code-* cells"
              + (" (executed)" if args.execute else ""))


if __name__ == "__main__":
    main()
