"""scikit-learn's bundled 8x8 digits (no download) and the training run shared by the digits examples."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import tiny_transformer as tt

TEST_DATA_SAMPLES = 200   # the first 200 of the held-out split go into test_data.npz
CALIBRATION_SAMPLES = 100
EPOCHS = 150
PATCH_OVERLAP = 1   # each patch's Conv2d also sees one pixel of its neighbours: +1-2 points


def load_split():
    """(x_train, x_test, y_train, y_test): images (n, 1, 8, 8) float32 in [0, 1], int64 labels.
    The held-out split is fixed: test_size=0.25, random_state=0, stratified."""
    digits = load_digits()
    x = (digits.images / 16.0).astype(np.float32)[:, None, :, :]
    return train_test_split(x, digits.target.astype(np.int64), test_size=0.25, random_state=0,
                            stratify=digits.target)


def random_shift(images: torch.Tensor, generator: torch.Generator, max_shift: int = 1):
    """Moves each image by up to `max_shift` pixels in x and y (zero fill): augmentation."""
    n, side = images.shape[0], images.shape[-1]
    padded = torch.nn.functional.pad(images, (max_shift,) * 4)
    crops = padded.unfold(2, side, 1).unfold(3, side, 1)   # (n, 1, 2s+1, 2s+1, side, side)
    dy, dx = torch.randint(0, 2 * max_shift + 1, (2, n), generator=generator)
    return crops[torch.arange(n), :, dy, dx]


def command_line(attentions: list[str], default: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patch", type=int, nargs="+", choices=(1, 2, 4), default=[2],
                        help="patch side(s): 1 -> 64 tokens, 2 -> 16 tokens (default), 4 -> 4 tokens")
    parser.add_argument("--attention", choices=attentions, nargs="+", default=default)
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    return parser.parse_args()


def train_and_export(folder: Path, attention: str, patch: int, file_stem: str, epochs: int,
                     seed: int = 0) -> dict:
    """Trains TinyViT with the given attention, exports `{file_stem}_p{patch}.onnx` into `folder`,
    writes calibration.npz and test_data.npz, checks ONNX against PyTorch, updates metrics.json."""
    tt.make_deterministic(seed)
    x_train, x_test, y_train, y_test = load_split()
    model = tt.TinyViT(patch=patch, attention=attention, patch_overlap=PATCH_OVERLAP)
    seconds = tt.train_classifier(model, x_train, y_train, epochs=epochs, augment=random_shift,
                                  seed=seed)
    float_accuracy = tt.accuracy(tt.predict_logits(model, x_test), y_test)

    calibration = x_train[np.random.default_rng(seed).permutation(len(x_train))[:CALIBRATION_SAMPLES]]
    test_x, test_y = x_test[:TEST_DATA_SAMPLES], y_test[:TEST_DATA_SAMPLES]
    tt.save_sample_data(folder, calibration, test_x, test_y)

    path = folder / f"{file_stem}_p{patch}.onnx"
    tt.export_onnx(model, test_x, path)
    check = tt.check_onnx_against_torch(path, tt.predict_logits(model, test_x), test_x, test_y)
    summary = tt.report(f"{file_stem} (attention={attention}, patch={patch}, "
                        f"{model.embed.tokens} tokens)", path, float_accuracy, check, seconds)
    update_metrics(folder, path.stem, summary)
    return summary


def update_metrics(folder: Path, key: str, summary: dict) -> None:
    """metrics.json: float accuracy and ONNX ops per model file (read by the benchmark script)."""
    metrics_path = folder / "metrics.json"
    metrics = json.loads(metrics_path.read_text()) if metrics_path.exists() else {}
    metrics[key] = summary
    metrics_path.write_text(json.dumps(dict(sorted(metrics.items())), indent=2) + "\n")
