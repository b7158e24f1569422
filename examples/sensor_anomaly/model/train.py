"""Trains a hybrid 1-D CNN + tiny transformer that classifies 6-axis IMU windows from a rotating
machine (normal running or one of four faults, see generate_data.py) and exports sensor_anomaly.onnx,
calibration.npz and test_data.npz next to this file.

    python train.py

Input "x": (1, 6, 128) float32, channels acc_x, acc_y, acc_z (g), gyro_x, gyro_y, gyro_z (rad/s) as
the sensor gives them (gravity included); output "logits": (1, 5).
"""

import json
import sys
from pathlib import Path

from torch import nn

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "models_common"))

import tiny_transformer as tt  # noqa: E402
from generate_data import CLASSES, WINDOW, make_dataset  # noqa: E402

SEED = 0
TRAIN_WINDOWS_PER_CLASS, HELD_OUT_WINDOWS_PER_CLASS = 400, 100
TEST_DATA_SAMPLES, CALIBRATION_SAMPLES = 200, 100


class ConvFrontEnd(nn.Module):
    """Removes each channel's mean over the window (gravity, offsets), then three Conv1d + ReLU with
    stride 2: (batch, 6, 128) -> (batch, 16 tokens, dim)."""

    def __init__(self, channels: int = 6, dim: int = 32):
        super().__init__()
        self.convs = nn.Sequential(
            nn.Conv1d(channels, 16, kernel_size=7, stride=2, padding=3), nn.ReLU(),
            nn.Conv1d(16, 24, kernel_size=5, stride=2, padding=2), nn.ReLU(),
            nn.Conv1d(24, dim, kernel_size=5, stride=2, padding=2), nn.ReLU())

    def forward(self, x):
        x = x - x.mean(dim=2, keepdim=True)
        return self.convs(x).transpose(1, 2)


class ConvTransformer(nn.Module):
    def __init__(self, dim: int = 32, heads: int = 2, mlp_dim: int = 64, classes: int = len(CLASSES)):
        super().__init__()
        self.front_end = ConvFrontEnd(dim=dim)
        tokens = WINDOW // 8
        layer = tt.EncoderLayer(dim, tt.SoftmaxAttention(dim, heads, tokens), mlp_dim)
        self.classifier = tt.TokenClassifier(tokens, dim, classes, [layer])

    def forward(self, x):
        return self.classifier(self.front_end(x))


if __name__ == "__main__":
    tt.make_deterministic(SEED)
    x_train, y_train = make_dataset(TRAIN_WINDOWS_PER_CLASS, seed=SEED)
    x_test, y_test = make_dataset(HELD_OUT_WINDOWS_PER_CLASS, seed=SEED + 1)
    model = ConvTransformer()
    seconds = tt.train_classifier(model, x_train, y_train, epochs=60, lr=3e-3)
    float_accuracy = tt.accuracy(tt.predict_logits(model, x_test), y_test)

    test_x, test_y = x_test[:TEST_DATA_SAMPLES], y_test[:TEST_DATA_SAMPLES]
    tt.save_sample_data(HERE, x_train[:CALIBRATION_SAMPLES], test_x, test_y)
    path = HERE / "sensor_anomaly.onnx"
    tt.export_onnx(model, test_x, path)
    check = tt.check_onnx_against_torch(path, tt.predict_logits(model, test_x), test_x, test_y)
    summary = tt.report("sensor_anomaly (conv1d front end + 1 encoder layer, 16 tokens)", path,
                        float_accuracy, check, seconds)
    summary["classes"] = CLASSES
    (HERE / "metrics.json").write_text(json.dumps({path.stem: summary}, indent=2) + "\n")
