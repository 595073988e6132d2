"""Vocabulary-parallel cross-entropy on a real ``torch.distributed`` engine, for appendix_frameworks.ipynb.

Chapter 10 simulates the shards with NumPy (``celib.vocab_parallel_cross_entropy``). Here the same
loss runs as Megatron-LM runs it (``megatron/core/tensor_parallel/cross_entropy.py``,
``_VocabParallelCrossEntropy``): ``WORLD`` processes, joined by the ``gloo`` backend over TCP on
127.0.0.1, each holding the rows ``[start, stop)`` of the output embedding. They are started by
``torch.multiprocessing.start_processes``, the function behind ``torch.multiprocessing.spawn``, with the
``fork`` start method: the parent is a fresh process that has imported only NumPy and PyTorch, and
spawned children would each import PyTorch again, several times slower on a busy 2-core machine. Each rank computes its local maximum, then, relative to the global maximum, its sum of
exponentials and the target's logit (0 if another rank holds the target); three ``all_reduce`` calls
of one float32 per token combine them. The backward pass needs no communication.

Across machines nothing in this file changes: every host runs its ranks with the same
``MASTER_ADDR``/``MASTER_PORT`` (the rendezvous, here 127.0.0.1 and a free port), its own ``RANK``
values and the common ``WORLD_SIZE``; ``torchrun --nnodes=2 --nproc-per-node=2
--rdzv-endpoint=HOST:PORT`` sets exactly these.

Bytes are counted twice: the payload handed to ``all_reduce`` (``tensor.nbytes``) and what the
process actually wrote to its sockets during the call (the kernel's ``wchar`` counter in
``/proc/self/io``, which counts every byte passed to ``write``/``writev``; gloo's TCP transport
sends with ``writev``).
"""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path

import numpy as np

WORLD = 4


def problem(tokens: int = 512, hidden: int = 32, vocab: int = 4000, seed: int = 10):
    """Seeded float32 hidden states (tokens, hidden), output embedding (vocab, hidden) and targets."""
    rng = np.random.default_rng(seed)
    h = rng.normal(size=(tokens, hidden)).astype(np.float32)
    w = (rng.normal(size=(vocab, hidden)) * 3.0 / np.sqrt(hidden)).astype(np.float32)
    y = rng.integers(0, vocab, size=tokens)
    return h, w, y


def vocab_range(vocab: int, rank: int, world: int) -> tuple[int, int]:
    """Rows [start, stop) of the output embedding held by ``rank`` (np.array_split's split)."""
    bounds = np.cumsum([0] + [len(a) for a in np.array_split(np.arange(vocab), world)])
    return int(bounds[rank]), int(bounds[rank + 1])


def socket_bytes_written() -> int:
    """Bytes this process has passed to write/writev so far (``wchar`` in /proc/self/io)."""
    with open("/proc/self/io") as f:
        return int(dict(line.split(": ") for line in f.read().splitlines())["wchar"])


COUNTED: list[dict] = []  # one entry per collective call of this process


def counted(collective, tensor, *args, **kwargs):
    """Run a torch.distributed collective; record its payload and the bytes actually sent."""
    before = socket_bytes_written()
    collective(tensor, *args, **kwargs)
    sent = socket_bytes_written() - before
    payload = tensor.nbytes if hasattr(tensor, "nbytes") else sum(t.nbytes for t in tensor)
    COUNTED.append({"call": collective.__name__, "payload": int(payload), "sent": int(sent)})


def _vocab_parallel_class():
    import torch
    import torch.distributed as dist

    class VocabParallelCrossEntropy(torch.autograd.Function):
        """Per-token loss LSE(z) - z_y of logits whose vocabulary axis is split across the ranks."""

        @staticmethod
        def forward(ctx, logit_shard, target, vocab_start):
            # 1. the global maximum of each token's logits: one float32 per token, all-reduce MAX
            logits_max = logit_shard.max(dim=-1).values
            counted(dist.all_reduce, logits_max, op=dist.ReduceOp.MAX)
            shifted = logit_shard - logits_max[:, None]
            # 2. the target's logit if this rank holds the target, else 0: all-reduce SUM
            local = target - vocab_start
            here = (local >= 0) & (local < logit_shard.shape[-1])
            picked = shifted.gather(1, local.clamp(0, logit_shard.shape[-1] - 1)[:, None])[:, 0]
            predicted = torch.where(here, picked, torch.zeros_like(picked))
            counted(dist.all_reduce, predicted, op=dist.ReduceOp.SUM)
            # 3. this rank's sum of exp(z - max): all-reduce SUM
            exp = shifted.exp()
            sum_exp = exp.sum(dim=-1)
            counted(dist.all_reduce, sum_exp, op=dist.ReduceOp.SUM)
            ctx.save_for_backward(exp / sum_exp[:, None], here, local)
            return torch.log(sum_exp) - predicted

        @staticmethod
        def backward(ctx, grad_loss):
            # softmax - onehot(y) on this rank's columns: no communication
            softmax, here, local = ctx.saved_tensors
            grad = softmax.clone()
            rows = torch.arange(len(local))[here]
            grad[rows, local[here]] -= 1.0
            return grad * grad_loss[:, None], None, None

    return VocabParallelCrossEntropy


def rank_main(rank: int, world: int, port: int, outdir: str, shape: tuple[int, int, int]) -> None:
    """What each of the ``world`` processes runs (``torch.multiprocessing.spawn`` passes ``rank``)."""
    import torch
    import torch.distributed as dist

    torch.set_num_threads(1)
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=world)
    tokens, hidden, vocab = shape
    h, w, y = problem(tokens, hidden, vocab)
    start, stop = vocab_range(vocab, rank, world)
    weight_shard = torch.tensor(w[start:stop], requires_grad=True)  # this rank's rows only
    target = torch.tensor(y)
    vp_cross_entropy = _vocab_parallel_class()

    # the training step: this rank's columns of the logits, the loss, the backward pass
    logit_shard = torch.tensor(h) @ weight_shard.T
    logit_shard.retain_grad()
    loss = vp_cross_entropy.apply(logit_shard, target, start).mean()
    loss.backward()
    step_calls = len(COUNTED)

    # the same loss on the first half of the tokens: the bytes per token are the difference
    with torch.no_grad():
        vp_cross_entropy.apply(logit_shard[: tokens // 2], target[: tokens // 2], start)
    # the alternative: gather every rank's logits (bfloat16, as chapter 10 assumes)
    shard16 = logit_shard.detach().to(torch.bfloat16)
    gathered = [torch.empty_like(shard16) for _ in range(world)]
    counted(dist.all_gather, gathered, shard16)
    dist.barrier()

    np.savez(Path(outdir) / f"rank{rank}.npz", loss=loss.item(), grad_logits=logit_shard.grad.numpy(),
             grad_weight=weight_shard.grad.numpy(), start=start, stop=stop)
    (Path(outdir) / f"rank{rank}.json").write_text(json.dumps(
        {"step": COUNTED[:step_calls], "half": COUNTED[step_calls:step_calls + 3], "gather": COUNTED[-1]}))
    dist.destroy_process_group()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(outdir: str, world: int = WORLD, shape: tuple[int, int, int] = (512, 32, 4000)) -> dict:
    """Start ``world`` gloo processes on 127.0.0.1; they write their results into ``outdir``."""
    import torch.multiprocessing as mp

    t0 = time.perf_counter()
    mp.start_processes(rank_main, args=(world, free_port(), outdir, tuple(shape)), nprocs=world,
                       join=True, start_method="fork")
    ranks = [json.loads((Path(outdir) / f"rank{r}.json").read_text()) for r in range(world)]
    return {"world": world, "shape": list(shape), "ranks": ranks, "seconds": time.perf_counter() - t0}
