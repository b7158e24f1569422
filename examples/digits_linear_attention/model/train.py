"""Trains the digits transformer of ../../digits_transformer with two cheaper attentions and the
same embedding size, and exports them next to this file with calibration.npz and test_data.npz:

- digits_linear_p{patch}.onnx: linear attention, phi(Q) (phi(K)^T V) / (phi(Q) sum phi(K)) with
  phi = ELU + 1; phi(K)^T V is computed first, so the cost grows linearly with the token count.
- digits_windowed_p{patch}.onnx: softmax attention where each token sees only the patches in its
  3x3 neighbourhood on the patch grid (a constant additive mask; at patch 4 the 2x2 grid is all
  neighbours, so it equals full softmax attention).

    python train.py                # both, patch 2 (16 tokens)
    python train.py --patch 1 2 4 --attention linear
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "models_common"))

import digits  # noqa: E402

FILE_STEMS = {"linear": "digits_linear", "windowed": "digits_windowed"}

if __name__ == "__main__":
    args = digits.command_line(attentions=list(FILE_STEMS), default=list(FILE_STEMS))
    for attention in args.attention:
        for patch in args.patch:
            digits.train_and_export(HERE, attention, patch, FILE_STEMS[attention], args.epochs)
