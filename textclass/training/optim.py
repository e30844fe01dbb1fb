"""Optimizers textclass adds to torch's own."""
from __future__ import annotations

import torch


class RowwiseAdagrad(torch.optim.Optimizer):
    """Adagrad whose step on a sparse gradient reads and writes only the rows in the batch.

    torch.optim.Adagrad coalesces sparse gradients and builds temporaries through slow generic paths, which on
    a table of millions of rows costs more than the rest of a training step together. Here a batch's rows are
    found once (``unique``), and each table is read and written once at those rows. Weight decay is applied
    lazily, to the rows a batch touches.
    """

    def __init__(self, params, lr: float, weight_decay: float = 0.0, eps: float = 1e-10):
        super().__init__(params, {"lr": lr, "weight_decay": weight_decay, "eps": eps})

    # torch.optim.Optimizer's versions of these two import torch._dynamo on first use: over a second of
    # start-up, a tenth of this model's whole training job, for a compiler it never uses.
    def add_param_group(self, param_group: dict) -> None:
        self.param_groups.append({**self.defaults, **param_group, "params": list(param_group["params"])})

    def zero_grad(self, set_to_none: bool = True) -> None:
        for group in self.param_groups:
            for p in group["params"]:
                p.grad = None

    # The same for the state dicts that every epoch's checkpoint reads: torch wraps them in a decorator whose
    # only work is that import; the functions it wraps are called directly.
    def state_dict(self) -> dict:
        return torch.optim.Optimizer.state_dict.__wrapped__(self)

    def load_state_dict(self, state_dict: dict) -> None:
        torch.optim.Optimizer.load_state_dict.__wrapped__(self, state_dict)
        # A checkpoint written before a table changed its shape but not its bytes (ngram's features x (members
        # * width) rows, now one row per feature and member) holds its sums in the old shape.
        for p, state in self.state.items():
            if "sum" in state and state["sum"].shape != p.shape and state["sum"].numel() == p.numel():
                state["sum"] = state["sum"].reshape(p.shape)

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            lr, decay, eps = group["lr"], group["weight_decay"], group["eps"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["sum"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                if p.grad.is_sparse:
                    self._sparse_step(p, state["sum"], lr, decay, eps)
                else:
                    grad = p.grad.add(p, alpha=decay) if decay else p.grad
                    state["sum"].addcmul_(grad, grad)
                    p.addcdiv_(grad, state["sum"].sqrt().add_(eps), value=-lr)

    @staticmethod
    def _sparse_step(p, squares, lr, decay, eps):
        # The gradient lists a row once per occurrence in the batch; sum the occurrences per distinct row.
        rows, where = torch.unique(p.grad._indices()[0], return_inverse=True)
        grad = torch.zeros((len(rows), *p.shape[1:]), dtype=p.dtype, device=p.device)
        grad.index_add_(0, where, p.grad._values())
        weights = p.index_select(0, rows)
        if decay:
            grad.add_(weights, alpha=decay)
        sums = squares.index_select(0, rows).addcmul_(grad, grad)
        squares.index_copy_(0, rows, sums)
        p.index_copy_(0, rows, weights.addcdiv_(grad, sums.sqrt_().add_(eps), value=-lr))
