"""celib: cross-entropy and friends in pure NumPy.

Stable numerics (log-sum-exp, softplus, log1p), explicit log bases (``base=None`` is nats,
``base=2`` bits) and errors that name the argument and the fix. Every public function is
re-exported here, so ``import celib; celib.entropy(...)`` works.

Plotting and the lesson explorers live in :mod:`celib.plotting` and :mod:`celib.explore`; they need
matplotlib and ipywidgets and are not imported here, so the core needs nothing but NumPy.
"""

from .calibration import (
    balanced_accuracy,
    confusion_matrix,
    expected_calibration_error,
    precision_recall,
    reliability_bins,
)
from .coding import huffman_block_rate, huffman_code_lengths, prefix_codewords
from .grad import (
    binary_cross_entropy_grad,
    binary_focal_loss_grad,
    focal_loss_grad,
    mse_sigmoid_grad,
    mse_softmax_grad,
    softmax_cross_entropy_grad,
)
from .gaussian import gaussian_kl
from .info import cross_entropy, entropy, kl_divergence, surprisal
from .joint import conditional_entropy, joint_entropy, mutual_information
from .losses import (
    binary_cross_entropy,
    binary_focal_loss,
    categorical_cross_entropy,
    focal_loss,
    inverse_frequency_weights,
    mean_squared_error,
    sparse_categorical_cross_entropy,
)
from .softmax import log_sigmoid, log_softmax, logsumexp, sigmoid, softmax, softplus
from .scale import (
    LinearCrossEntropyGrads,
    VocabShardStats,
    bits_per_token,
    chunked_cross_entropy,
    combine_vocab_shard_stats,
    linear_cross_entropy,
    perplexity,
    softcap_logits,
    vocab_parallel_cross_entropy,
    vocab_shard_stats,
    z_loss,
)

__version__ = "2027.1.0"

__all__ = [
    # information theory
    "surprisal",
    "entropy",
    "cross_entropy",
    "kl_divergence",
    "joint_entropy",
    "conditional_entropy",
    "mutual_information",
    "gaussian_kl",
    # prefix codes
    "huffman_code_lengths",
    "prefix_codewords",
    "huffman_block_rate",
    # logits to probabilities
    "logsumexp",
    "softmax",
    "log_softmax",
    "sigmoid",
    "log_sigmoid",
    "softplus",
    # losses
    "binary_cross_entropy",
    "categorical_cross_entropy",
    "sparse_categorical_cross_entropy",
    "focal_loss",
    "binary_focal_loss",
    "inverse_frequency_weights",
    "mean_squared_error",
    # gradients
    "softmax_cross_entropy_grad",
    "binary_cross_entropy_grad",
    "mse_sigmoid_grad",
    "mse_softmax_grad",
    "focal_loss_grad",
    "binary_focal_loss_grad",
    # calibration
    "reliability_bins",
    "expected_calibration_error",
    # decisions
    "confusion_matrix",
    "precision_recall",
    "balanced_accuracy",
    # language-model scale
    "chunked_cross_entropy",
    "linear_cross_entropy",
    "perplexity",
    "bits_per_token",
    "z_loss",
    "softcap_logits",
    "vocab_parallel_cross_entropy",
    "vocab_shard_stats",
    "combine_vocab_shard_stats",
    "VocabShardStats",
    "LinearCrossEntropyGrads",
]
