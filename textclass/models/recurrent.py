"""A stacked, optionally bidirectional LSTM over right-padded batches whose recurrences never see padding.

``pack_padded_sequence`` gives that guarantee, but on CPU a packed LSTM leaves PyTorch's fused kernel and
runs about ten times slower (see BENCHMARKS.md). The same result comes cheaper from two observations:
a forward recurrence over right-padded input reaches position ``length - 1`` before any padding, and a
backward recurrence is a forward one over the text reversed *within its own length* (padding left at the
end). So each layer runs one unidirectional LSTM per direction on plain padded tensors, and a gather
reverses each text's real tokens before and after the backward pass.
"""
from __future__ import annotations

import torch
from torch import nn


class LengthAwareLSTM(nn.Module):
    """``forward(x [B, T, E], lengths [B]) -> (states [B, T, D*H], final [B, D*H])``.

    ``final`` is the last forward state after each text's last token and the backward state after its first
    token, as ``h_n`` of a packed LSTM. ``states`` at padding positions are meaningless; mask them.
    ``respect_lengths=False`` treats every text as ``T`` long: exactly an ``nn.LSTM`` run over the padded
    batch, the tutorial's defect, kept for measuring it.
    """

    def __init__(self, input_dim: int, hidden_dim: int, num_layers: int = 1, dropout: float = 0.0,
                 bidirectional: bool = True, respect_lengths: bool = True):
        super().__init__()
        self.bidirectional, self.respect_lengths = bidirectional, respect_lengths
        width = hidden_dim * (2 if bidirectional else 1)
        inputs = [input_dim] + [width] * (num_layers - 1)
        self.forward_layers = nn.ModuleList(nn.LSTM(n, hidden_dim, batch_first=True) for n in inputs)
        self.backward_layers = nn.ModuleList(nn.LSTM(n, hidden_dim, batch_first=True) for n in inputs) \
            if bidirectional else None
        self.between_layers = nn.Dropout(dropout)
        self.output_dim = width

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        batch, width = x.shape[:2]
        steps = torch.arange(width, device=x.device).unsqueeze(0)
        if self.respect_lengths:
            lengths = lengths.to(x.device).clamp(min=1).unsqueeze(1)
        else:
            lengths = torch.full((batch, 1), width, device=x.device)
        # Position t of a text of length L maps to L-1-t; padding positions map to themselves.
        reverse = torch.where(steps < lengths, lengths - 1 - steps, steps)
        states = x
        for i, forward_layer in enumerate(self.forward_layers):
            if i:
                states = self.between_layers(states)
            forward_out, _ = forward_layer(states)
            if not self.bidirectional:
                states = forward_out
                continue
            backward_out, _ = self.backward_layers[i](_gather_steps(states, reverse))
            backward_out = _gather_steps(backward_out, reverse)
            states = torch.cat((forward_out, backward_out), dim=2)
        rows = torch.arange(batch, device=x.device)
        final = forward_out[rows, lengths.squeeze(1) - 1]
        if self.bidirectional:
            final = torch.cat((final, backward_out[:, 0]), dim=1)
        return states, final


def _gather_steps(tensor: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    return tensor.gather(1, index.unsqueeze(2).expand(-1, -1, tensor.shape[2]))
