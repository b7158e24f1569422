"""Trains the ViT-style tiny transformer (softmax attention) on the 8x8 digits and exports
digits_transformer_p{patch}.onnx, calibration.npz and test_data.npz next to this file.

    python train.py              # patch 2: 16 tokens (the example's model)
    python train.py --patch 1    # 64 tokens; --patch 4: 4 tokens
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "models_common"))

import digits  # noqa: E402

if __name__ == "__main__":
    args = digits.command_line(attentions=["softmax"], default=["softmax"])
    digits.train_and_export(HERE, "softmax", args.patch, "digits_transformer", args.epochs)
