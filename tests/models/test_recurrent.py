import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from textclass.models.recurrent import LengthAwareLSTM


def copy_into_nn_lstm(ours: LengthAwareLSTM, layers: int) -> nn.LSTM:
    """An nn.LSTM with the same weights, to compare against PyTorch's own packed and padded runs."""
    hidden = ours.forward_layers[0].hidden_size
    reference = nn.LSTM(ours.forward_layers[0].input_size, hidden, num_layers=layers, bidirectional=True,
                        batch_first=True)
    with torch.no_grad():
        for i in range(layers):
            for direction, source in (("", ours.forward_layers[i]), ("_reverse", ours.backward_layers[i])):
                for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                    getattr(reference, f"{name}_l{i}{direction}").copy_(getattr(source, f"{name}_l0"))
    return reference


def test_equals_a_packed_lstm_states_and_final():
    torch.manual_seed(0)
    ours = LengthAwareLSTM(5, 7, num_layers=2, bidirectional=True).eval()
    reference = copy_into_nn_lstm(ours, 2).eval()
    x, lengths = torch.randn(4, 9, 5), torch.tensor([9, 3, 1, 6])
    states, final = ours(x, lengths)
    packed_out, (h_n, _) = reference(pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False))
    expected_final = torch.cat((h_n[-2], h_n[-1]), dim=1)
    assert torch.allclose(final, expected_final, atol=1e-6)
    padded_states, _ = torch.nn.utils.rnn.pad_packed_sequence(packed_out, batch_first=True, total_length=9)
    for row, length in enumerate(lengths.tolist()):
        assert torch.allclose(states[row, :length], padded_states[row, :length], atol=1e-6)


def test_without_lengths_equals_an_lstm_over_the_padding():
    torch.manual_seed(1)
    ours = LengthAwareLSTM(5, 7, num_layers=2, bidirectional=True, respect_lengths=False).eval()
    reference = copy_into_nn_lstm(ours, 2).eval()
    x, lengths = torch.randn(3, 8, 5), torch.tensor([8, 2, 5])
    _, final = ours(x, lengths)
    _, (h_n, _) = reference(x)
    assert torch.allclose(final, torch.cat((h_n[-2], h_n[-1]), dim=1), atol=1e-6)


def test_unidirectional_final_state_is_at_the_last_real_token():
    torch.manual_seed(2)
    ours = LengthAwareLSTM(3, 4, bidirectional=False).eval()
    x = torch.randn(2, 6, 3)
    _, final = ours(x, torch.tensor([6, 2]))
    alone_out, _ = ours.forward_layers[0](x[1:, :2])
    assert torch.allclose(final[1], alone_out[0, -1], atol=1e-6)
