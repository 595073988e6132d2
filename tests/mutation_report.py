"""Mutation score of `make mutation`, from mutmut's per-file results (mutants/**/*.py.meta).

Score = detected / (evaluated - equivalent), per module and overall, where detected = killed +
timeout (a mutant that makes a test hang is caught) and evaluated = every mutant mutmut ran ("no
tests" counts as a survivor: no test touched the mutated line). Mutants not reached within the
time budget are reported as "not checked" and left out of the score.

Equivalent mutants are survivors that no correct test can kill, because nothing a caller can
observe changes. They are listed in EQUIVALENT below by function, with the text the mutant's added line must contain and
the reason; an entry covers a surviving mutant of that function only if its diff (read from
mutants/) contains that text, so the list survives mutmut's renumbering after a source change
and still cannot excuse a different mutation.
A second list, PRECISION_ONLY, holds mutants that compute an intermediate in a wider dtype
(float64 instead of the input's float32, or float32/None instead of float16's float32): the
result is rounded to the same dtype and differs by at most about an ulp, within every accuracy
bound celib documents; a test could only kill them by asserting bit-for-bit equality with the
narrower computation, i.e. by pinning an implementation detail. They are reported separately
and the score is printed with them counted both ways.

Writes mutants/score.txt (and prints it), listing every remaining survivor by mutmut's name
(`mutmut show NAME` prints its diff).

    .venv/bin/python tests/mutation_report.py
"""

from __future__ import annotations

import ast
import difflib
import json
import sys
from collections import Counter
from functools import lru_cache
from pathlib import Path

STATUS = {1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests", 34: "skipped",
          36: "timeout", 24: "timeout", -24: "timeout", 152: "timeout", 255: "timeout", 37: "type check",
          None: "not checked", -11: "segfault", -9: "segfault"}
DETECTED = {"killed", "timeout", "segfault", "type check"}
MISSED = {"survived", "no tests", "suspicious"}

_THREADS = "performance only: the number of threads changes who computes a tile, not what it holds"
_ERRSTATE = ("_row_sums sets the same np.errstate in every thread that runs it, the calling thread"
             " included, so the outer context changes nothing")
_TILES = ("performance only: the tile count only caps the number of threads; the shared tile"
          " counter hands out every tile until the rows run out")
_POOL_SIZE = ("a larger pool only has idle threads: each call submits exactly threads - 1 tasks"
              " (the calling thread takes the rest)")
_THREAD_NAME = ("cosmetic: the worker threads' name, seen only by debuggers and profilers; nothing"
                " depends on it")
_FORMAT = ("every caller puts the value in an f-string, and a NumPy scalar formats through the"
           " Python scalar (f\"{np.float32(1.1)}\" is 1.100000023841858): .item() changes nothing shown")
_UNDERFLOW = ("NumPy's default for underflow is already 'ignore' (only divide, invalid and over warn), so"
              " dropping under='ignore' changes nothing")
_BOUNDARY = ("moves the boundary between log1p((a - b) / b) and log(a / b) inside a range where both are"
             " accurate to a few ulps of the term (tests/test_accuracy.py compares KL with mpmath)")
_COPY = ("whether astype copies an array of the same dtype: no caller writes into the result, so a"
         " copy or a view gives the same values")
_SHOWN = ("check_axis returns a non-negative axis unchanged, so for axis >= 0 'own' is 'axis' and the"
          " message shows the same number")
_OWN_ZERO = ("for axis = 0 the input's own axis is 0 too (an input with fewer dimensions has no such"
             " axis and was refused just above)")
_FALLBACK = ("a label equal to ignore_index then fails the fast path's range check, which only sends the"
             " call to the general path: the same result, computed there")
_NO_GRAD = ("grad_scale only scales the gradient buffer, and the loss kernel passes none (grad=None): the"
            " value is never read")
_ONE_CLASS = ("a single class is then computed by the general path instead of the kernel; with one class"
              " every loss is 0 either way")
_SWALLOWED = ("the fast path's label check only decides whether to fall back: its error is"
              " swallowed and the general path raises its own message, so the name never shows")

#: (function as mutmut names it, text the mutant's added line must contain, reason).
EQUIVALENT: list[tuple[str, str, str]] = [
    ("celib._kernels.x_num_threads", "max(2, min(cpus, 8))", _THREADS),
    ("celib._kernels.x_num_threads", "min(cpus, 9)", _THREADS),
    ("celib._kernels.x_row_logsumexp", "and False else 1", _THREADS),
    ("celib._kernels.x_row_logsumexp", "or True else 1", _THREADS),
    ("celib._kernels.x_row_logsumexp", "z.size > MIN_PARALLEL_ELEMENTS", _THREADS),
    ("celib._kernels.x_row_logsumexp", "MIN_PARALLEL_ELEMENTS else 2", _THREADS),
    ("celib._kernels.x_row_cross_entropy", "and False else 1", _THREADS),
    ("celib._kernels.x_row_cross_entropy", "or True else 1", _THREADS),
    ("celib._kernels.x_row_cross_entropy", "z.size > MIN_PARALLEL_ELEMENTS", _THREADS),
    ("celib._kernels.x_row_cross_entropy", "MIN_PARALLEL_ELEMENTS else 2", _THREADS),
    ("celib._kernels.x_row_cross_entropy", 'np.errstate(over=None, invalid="ignore")', _ERRSTATE),
    ("celib._kernels.x_row_cross_entropy", 'np.errstate(over="ignore", invalid=None)', _ERRSTATE),
    ("celib._kernels.x_row_cross_entropy", 'np.errstate(invalid="ignore")', _ERRSTATE),
    ("celib._kernels.x_row_cross_entropy", 'np.errstate(over="ignore", )', _ERRSTATE),
    ("celib._kernels.x_row_logsumexp", 'np.errstate(over=None, invalid="ignore")', _ERRSTATE),
    ("celib._kernels.x_row_logsumexp", 'np.errstate(over="ignore", invalid=None)', _ERRSTATE),
    ("celib._kernels.x_row_logsumexp", 'np.errstate(invalid="ignore")', _ERRSTATE),
    ("celib._kernels.x_row_logsumexp", 'np.errstate(over="ignore", )', _ERRSTATE),
    ("celib._kernels.x_row_logsumexp", "+(-n_rows // tile_rows)", _TILES),
    ("celib._kernels.x_row_logsumexp", "-(-n_rows / tile_rows)", _TILES),
    ("celib._kernels.x_row_logsumexp", "-(+n_rows // tile_rows)", _TILES),
    ("celib._kernels.x_row_logsumexp", "(S > np.sqrt(info.tiny))",
     "a row sum exactly at sqrt(tiny) is computed correctly by both formulas (the boundary is"
     " inside both their safe ranges)"),
    ("celib._kernels.x_row_logsumexp", "(S < info.max)",
     "a row sum exactly equal to the dtype's largest number is finite: both formulas are exact there"),
    ("celib._kernels.x__shifted_rows", "range(0, rows.size, )",
     "performance only: step 1 recomputes overlapping slices of the same rows with the same values"),
    ("celib._kernels.x_softmax_cross_entropy_grad", "check_labels(raw, None, n_classes)", _SWALLOWED),
    ("celib._kernels.x_softmax_cross_entropy_grad", '"XXlabels_or_onehotXX"', _SWALLOWED),
    ("celib._kernels.x_softmax_cross_entropy_grad", '"LABELS_OR_ONEHOT"', _SWALLOWED),
    ("celib._kernels.x__executor", "_pool._max_workers <= workers",
     "performance only: a pool of the same size is replaced by a new one; every call still gets its"
     " tiles computed the same way"),
    ("celib._kernels.x__executor", "ThreadPoolExecutor(max_workers=None,", _POOL_SIZE),
    ("celib._kernels.x__executor", 'ThreadPoolExecutor(thread_name_prefix="celib-kernel")', _POOL_SIZE),
    ("celib._kernels.x__executor", "thread_name_prefix=None)", _THREAD_NAME),
    ("celib._kernels.x__executor", "ThreadPoolExecutor(max_workers=workers, )", _THREAD_NAME),
    ("celib._kernels.x__executor", '"XXcelib-kernelXX"', _THREAD_NAME),
    ("celib._kernels.x__executor", '"CELIB-KERNEL"', _THREAD_NAME),
    ("celib._validate.x__first", 'hasattr(value, "item")) and False', _FORMAT),
    ("celib._validate.x__first", 'hasattr(None, "item")', _FORMAT),
    ("celib._validate.x__first", 'hasattr(value, "XXitemXX")', _FORMAT),
    ("celib._validate.x__first", 'hasattr(value, "ITEM")', _FORMAT),
    ("celib._kernels.x_row_logsumexp", "np.log(S.astype(None))", "astype(None) is astype(float64)"),
    ("celib._kernels.x__shifted_rows", "s[:, 0].astype(None)", "astype(None) is astype(float64)"),
    ("celib._validate.x__first", 'hasattr(value, "item")) or True',
     "every value taken from a NumPy array has .item(): the condition is always true"),
    ("celib.grad.x_focal_loss_grad", "np.take_along_axis(log_p, y[..., None], )",
     "np.take_along_axis defaults to axis=-1 since NumPy 2.3 (requirements.txt pins 2.4)"),
    ("celib.grad.x_binary_focal_loss_grad", "np.where(p > 0, log_p, 1)",
     "the fallback value is multiplied by p, which is 0 exactly where it is used"),
    ("celib.grad.x_binary_focal_loss_grad", "one_minus_p > 0, log_1mp, 1)",
     "the fallback value is multiplied by 1 - p, which is 0 exactly where it is used"),
    ("celib.losses.x_inverse_frequency_weights", "counts.astype(None)",
     "astype(None) is astype(float64)"),
    # info (full run of 2026-12-06)
    ("celib.info.x_p_log_ratio", 'over="ignore", under=None)', _UNDERFLOW),
    ("celib.info.x_p_log_ratio", 'over="ignore", )', _UNDERFLOW),
    ("celib.info.x_p_log_ratio", "(0.5 * b < a) & (a <= 2 * b)", _BOUNDARY),
    ("celib.info.x_p_log_ratio", "(0.5 * b <= a) & (a < 2 * b)", _BOUNDARY),
    ("celib.info.x_p_log_ratio", "(0.5 * b <= a) & (a <= 3 * b)", _BOUNDARY),
    ("celib.info.x_p_log_ratio", "(0.5 * b <= a) & (a <= 2 / b)", _BOUNDARY),
    ("celib.info.x_p_log_ratio", "(r >= 0) & (r < np.inf)",
     "a / b is 0 only if a is 0 (b <= 1 for probabilities), and then p = a = 0 masks the term"),
    ("celib.info.x__distribution", ".astype(dtype, copy=None)", _COPY),
    ("celib.info.x__distribution", ".astype(dtype, copy=True)", _COPY),
    ("celib.info.x__distribution", ".astype(dtype, )", _COPY),
    ("celib.info.x__distribution", "shown = axis if (axis < 0) or True else own", _SHOWN),
    ("celib.info.x__distribution", "shown = axis if axis <= 0 else own", _SHOWN),
    ("celib.info.x__distribution", "shown = axis if axis < 1 else own", _SHOWN),
    ("celib.info.x__pair", "axis if axis <= 0 else own", _OWN_ZERO),
    ("celib.info.x__pair", "axis if axis < 1 else own", _OWN_ZERO),
    ("celib.info.x__work", "p.astype(np.float64, copy=None)", _COPY),
    ("celib.info.x__work", "p.astype(np.float64, copy=True)", _COPY),
    ("celib.info.x__work", "p.astype(np.float64, )", _COPY),
    ("celib._validate.x_mask_ignored", "astype(losses.dtype, copy=None)", _COPY),
    ("celib._validate.x_mask_ignored", "astype(losses.dtype, copy=True)", _COPY),
    ("celib._validate.x_mask_ignored", "astype(losses.dtype, )", _COPY),
    ("celib._kernels.x_sparse_cross_entropy", 'v.check_labels(raw, None, n_classes', _SWALLOWED),
    ("celib._kernels.x_sparse_cross_entropy", 'v.check_labels(raw, "XXlabelsXX"', _SWALLOWED),
    ("celib._kernels.x_sparse_cross_entropy", 'v.check_labels(raw, "LABELS"', _SWALLOWED),
    ("celib._kernels.x_sparse_cross_entropy", 'n_classes, ignore_index=None)', _FALLBACK),
    ("celib._kernels.x_sparse_cross_entropy", '"labels", n_classes, )', _FALLBACK),
    ("celib._kernels.x_sparse_cross_entropy", "keep = None if (ignore_index is None) and False",
     "with ignore_index None, y != None is True everywhere: every row is kept and weighted 1, the"
     " same sum and the same count as keep = None"),
    ("celib._kernels.x_row_cross_entropy", "sx, None, None, tiles, labels)", _NO_GRAD),
    ("celib._kernels.x_row_cross_entropy", "sx, None, 2.0, tiles, labels)", _NO_GRAD),
    ("celib._kernels.x_eligible", "x.shape[1] > 1", _ONE_CLASS),
    ("celib._kernels.x_eligible", "x.shape[1] >= 2", _ONE_CLASS),
]

_WIDER = "an intermediate in float64 (None) instead of the prediction's dtype"
#: (function as mutmut names it, text the mutant's added line must contain, what widens).
PRECISION_ONLY: list[tuple[str, str, str]] = [
    ("celib._kernels.x_row_logsumexp", "S = np.empty(n_rows, None)", "the row sums in float64"),
    ("celib._kernels.x_row_cross_entropy", "R = np.empty(n_rows, None)", "the sums over the other classes in float64"),
    ("celib._kernels.x_row_cross_entropy", "R = np.empty(n_rows, )", "the sums over the other classes in float64"),
    ("celib._kernels.x_row_cross_entropy", "sx = np.empty(n_rows, None)", "the finiteness sums in float64"),
    ("celib._kernels.x_row_cross_entropy", "sx = np.empty(n_rows, )", "the finiteness sums in float64"),
    ("celib._kernels.x_row_logsumexp", "S = np.empty(n_rows, )", "the row sums in float64"),
    ("celib._kernels.x_row_logsumexp", "sx = np.empty(n_rows, None)",
     "the finiteness sums in float64 (a float32 overflow of the sum, which only sends a row to the"
     " general path, no longer happens; both paths give the same loss)"),
    ("celib._kernels.x_row_logsumexp", "sx = np.empty(n_rows, )", "the finiteness sums in float64"),
    ("celib.grad.x_mse_sigmoid_grad", 'as_float_array(y_true, "y_true", None)', _WIDER),
    ("celib.grad.x_mse_sigmoid_grad", 'as_float_array(y_true, "y_true", )', _WIDER),
    ("celib.grad.x_mse_softmax_grad", 'as_float_array(y_true, "y_true", None)', _WIDER),
    ("celib.grad.x_mse_softmax_grad", 'as_float_array(y_true, "y_true", )', _WIDER),
    ("celib.grad.x_focal_loss_grad", "focal_alpha(alpha, num_classes, None)", _WIDER),
    ("celib.grad.x_focal_loss_grad", "_onehot(y, num_classes, None)", _WIDER),
    ("celib.grad.x_binary_cross_entropy_grad", 'probabilities(y_true, "y_true", None', _WIDER),
    ("celib.grad.x_binary_focal_loss_grad", 'probabilities(y_true, "y_true", None', _WIDER),
    ("celib.losses.x__pos_weight", 'as_float_array(pos_weight, "pos_weight", None)', _WIDER),
    ("celib.losses.x__pos_weight", 'as_float_array(pos_weight, "pos_weight", )', _WIDER),
    ("celib.losses.x_binary_focal_loss", 'probabilities(y_true, "y_true", None', _WIDER),
    ("celib.losses.x_mean_squared_error", 'as_float_array(y_true, "y_true", None)', _WIDER),
    ("celib.losses.x_mean_squared_error", 'as_float_array(y_true, "y_true", )', _WIDER),
    ("celib.losses.x_mean_squared_error", "work = None", "the squared errors in float64"),
    ("celib.losses.x_mean_squared_error", "work_dtype(None)", "the squared errors in float64"),
    ("celib.losses.x_mean_squared_error", "pred.astype(None)", "the squared errors in float64"),
    ("celib.losses.x_mean_squared_error", "y.astype(None)", "the squared errors in float64"),
    ("celib._validate.x__sum_message", "p.sum(dtype=None)",
     "a table's total summed in its own dtype (float32: within 2 ulps of the float64 total, against a"
     " tolerance of 8 ulps for 4 entries); only the wording of an error message can change, and only"
     " for a total within 2 ulps of the tolerance"),
    ("celib._validate.x_check_joint", "p.sum(dtype=None)",
     "a joint table's total summed in its own dtype: the accept/refuse decision can only change for a"
     " total within a few ulps of the tolerance, which is itself a multiple of the summation error"),
]


@lru_cache(maxsize=None)
def _functions(path: Path) -> dict[str, str]:
    lines = path.read_text().splitlines()
    out = {}
    for node in ast.parse("\n".join(lines)).body:
        for n in [node, *(node.body if isinstance(node, ast.ClassDef) else [])]:
            if isinstance(n, ast.FunctionDef):
                out[n.name] = "\n".join(lines[n.lineno - 1 : n.end_lineno])
    return out


def mutant_diff(name: str, root: Path = Path("mutants")) -> list[str]:
    """The lines a mutant adds, read from mutmut's mutated copy of the module (``+`` lines)."""
    module, function = name.rsplit(".", 1)
    funcs = _functions(root / (module.replace(".", "/") + ".py"))
    base = function.rsplit("__mutmut_", 1)[0]
    orig, mutant = funcs.get(base + "__mutmut_orig"), funcs.get(function)
    if orig is None or mutant is None:
        return []
    mutant = mutant.replace(function, base + "__mutmut_orig", 1)
    return [line[1:] for line in difflib.unified_diff(orig.splitlines(), mutant.splitlines(), lineterm="", n=0)
            if line.startswith("+") and not line.startswith("+++")]


def _classify(survivors: list[str], table: list[tuple[str, str, str]], root: Path) -> dict[str, str]:
    """The survivors that ``table`` explains (function and diff text both match), with the reason."""
    out = {}
    for name in survivors:
        function = name.rsplit("__mutmut_", 1)[0]
        for entry, text, reason in table:
            if entry == function and any(text in line for line in mutant_diff(name, root)):
                out[name] = reason
                break
    return out


def main(root: Path = Path("mutants")) -> int:
    per_module, survivors, totals = {}, [], Counter()
    for meta in sorted(root.glob("celib/**/*.py.meta")):
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        counts = Counter(STATUS.get(code, "suspicious") for code in codes.values())
        totals.update(counts)
        module = meta.name[: -len(".py.meta")]
        missed = [name for name, code in codes.items() if STATUS.get(code, "suspicious") in MISSED]
        per_module[module] = (counts, missed)
        survivors += missed
    equivalent = _classify(survivors, EQUIVALENT, root)
    precision = _classify(survivors, PRECISION_ONLY, root)

    def score(detected, evaluated):
        return f"{100 * detected / evaluated:.1f} %" if evaluated else "n/a"

    rows = [f"{'module':12s} {'detected':>8s} {'evaluated':>9s} {'equiv.':>6s} {'prec.':>5s}   "
            f"{'score':>7s} {'(prec. as equiv.)':>17s}   not checked"]
    all_det = all_eval = all_eq = all_pr = 0
    for module, (counts, missed) in per_module.items():
        detected = sum(counts[s] for s in DETECTED)
        evaluated = detected + sum(counts[s] for s in MISSED)
        eq = sum(1 for n in missed if n in equivalent)
        pr = sum(1 for n in missed if n in precision)
        all_det, all_eval, all_eq, all_pr = all_det + detected, all_eval + evaluated, all_eq + eq, all_pr + pr
        rows.append(f"{module:12s} {detected:8d} {evaluated:9d} {eq:6d} {pr:5d}   {score(detected, evaluated - eq):>7s}"
                    f" {score(detected, evaluated - eq - pr):>17s}   {counts['not checked']}")
    rows.append(f"{'all':12s} {all_det:8d} {all_eval:9d} {all_eq:6d} {all_pr:5d}   "
                f"{score(all_det, all_eval - all_eq):>7s} {score(all_det, all_eval - all_eq - all_pr):>17s}   "
                f"{totals['not checked']}")
    elapsed = (root / "elapsed.txt").read_text().strip() if (root / "elapsed.txt").exists() else ""
    remaining = [n for n in survivors if n not in equivalent and n not in precision]
    lines = ["celib mutation score (mutmut): detected (killed + timeout) / (evaluated - equivalent);",
             "the last column also leaves out the precision-only mutants (see tests/mutation_report.py)",
             *rows, elapsed,
             "", f"equivalent ({len(equivalent)}):", *(f"  {n}: {r}" for n, r in equivalent.items()),
             "", f"precision-only ({len(precision)}):", *(f"  {n}: {r}" for n, r in precision.items()),
             "", f"survivors ({len(remaining)}; `mutmut show NAME` for the diff):", *remaining]
    text = "\n".join(lines) + "\n"
    (root / "score.txt").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
