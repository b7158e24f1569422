"""Trains the ViT-style tiny transformer (softmax attention) on the 8x8 digits and exports
digits_transformer_p{patch}.onnx, calibration.npz and test_data.npz next to this file.

    python train.py                # patch 2: 16 tokens (the example's model)
    python train.py --patch 1 2 4  # also 64 tokens (patch 1) and 4 tokens (patch 4)
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "models_common"))

import digits  # noqa: E402

if __name__ == "__main__":
    args = digits.command_line(attentions=["softmax"], default=["softmax"])
    for patch in args.patch:
        digits.train_and_export(HERE, "softmax", patch, "digits_transformer", args.epochs)
