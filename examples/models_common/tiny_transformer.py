"""Tiny transformer building blocks, training loop and ONNX export shared by the example models.

Every block is written with plain tensor ops (Linear, MatMul, Transpose, Reshape, Softmax, ...) and
static shapes, so that `torch.onnx.export(..., opset_version=17, dynamo=False)` gives a small graph
that onnx2tf turns into int8 TFLite ops the engine runs. Sequence lengths are module attributes, not
read from tensor shapes, so the graph holds no Shape/Gather arithmetic.
"""

from __future__ import annotations

import random
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

ONNX_OPSET = 17


def make_deterministic(seed: int = 0) -> None:
    """Fixed seeds, deterministic kernels and one thread: the same numbers on every run."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)


# --------------------------------------------------------------------------------------------------
# Attention variants. Input and output: (batch, tokens, dim).


class _HeadSplitter(nn.Module):
    def __init__(self, dim: int, heads: int, tokens: int):
        super().__init__()
        assert dim % heads == 0, "dim must be a multiple of heads"
        self.dim, self.heads, self.tokens, self.head_dim = dim, heads, tokens, dim // heads
        self.query, self.key, self.value = (nn.Linear(dim, dim) for _ in range(3))
        self.out = nn.Linear(dim, dim)

    def split_heads(self, x):
        """(batch, tokens, dim) -> (batch, heads, tokens, head_dim)."""
        return x.reshape(-1, self.tokens, self.heads, self.head_dim).transpose(1, 2)

    def project_qkv(self, x):
        return (self.split_heads(self.query(x)), self.split_heads(self.key(x)),
                self.split_heads(self.value(x)))

    def merge_heads(self, x):
        """(batch, heads, tokens, head_dim) -> (batch, tokens, dim) through the output projection."""
        return self.out(x.transpose(1, 2).reshape(-1, self.tokens, self.dim))


class SoftmaxAttention(_HeadSplitter):
    """Multi-head scaled dot-product attention; an optional constant additive mask (tokens, tokens)
    makes it local (windowed) attention."""

    def __init__(self, dim: int, heads: int, tokens: int, mask: torch.Tensor | None = None):
        super().__init__(dim, heads, tokens)
        self.scale = self.head_dim ** -0.5
        if mask is not None:
            self.register_buffer("mask", mask.reshape(1, 1, tokens, tokens))
        else:
            self.mask = None

    def forward(self, x):
        q, k, v = self.project_qkv(x)
        scores = torch.matmul(q * self.scale, k.transpose(-2, -1))
        if self.mask is not None:
            scores = scores + self.mask
        return self.merge_heads(torch.matmul(torch.softmax(scores, dim=-1), v))


# The additive mask value for tokens outside the window. Not -inf: an int8 converter quantizes the
# masked scores, and a huge negative value would spend the whole int8 range on the mask. exp(-16)
# is 1e-7 of an unmasked weight, negligible even summed over 64 tokens.
WINDOW_MASK_VALUE = -16.0


def grid_window_mask(grid: int, radius: int) -> torch.Tensor:
    """Additive mask for tokens on a grid x grid patch grid (row-major): token i attends to token j
    when both row and column differ by at most `radius` (a (2r+1) x (2r+1) neighbourhood)."""
    rows = torch.arange(grid * grid) // grid
    cols = torch.arange(grid * grid) % grid
    near = ((rows[:, None] - rows[None, :]).abs() <= radius) & (
        (cols[:, None] - cols[None, :]).abs() <= radius)
    return torch.where(near, 0.0, WINDOW_MASK_VALUE)


class LinearAttention(_HeadSplitter):
    """Kernelised linear attention (Katharopoulos et al. 2020):
    out = phi(Q) (phi(K)^T V) / (phi(Q) sum_j phi(K_j)), with phi = ELU + 1 or ReLU.
    phi(K)^T V is (head_dim x head_dim), so the cost grows linearly with the number of tokens."""

    def __init__(self, dim: int, heads: int, tokens: int, feature_map: str = "elu", eps: float = 1e-4):
        super().__init__(dim, heads, tokens)
        if feature_map not in ("elu", "relu"):
            raise ValueError(f"feature_map must be 'elu' or 'relu', not {feature_map!r}")
        self.feature_map, self.eps = feature_map, eps

    def phi(self, x):
        if self.feature_map == "elu":
            return nn.functional.elu(x) + 1.0
        return torch.relu(x)

    def forward(self, x):
        q, k, v = self.project_qkv(x)
        q, k = self.phi(q), self.phi(k)
        kv = torch.matmul(k.transpose(-2, -1), v)                    # (b, h, head_dim, head_dim)
        k_sum = k.sum(dim=2, keepdim=True)                           # (b, h, 1, head_dim)
        normaliser = torch.matmul(q, k_sum.transpose(-2, -1)) + self.eps  # (b, h, tokens, 1)
        return self.merge_heads(torch.matmul(q, kv) / normaliser)


def make_attention(kind: str, dim: int, heads: int, tokens: int, grid: int | None = None,
                   window_radius: int = 1) -> nn.Module:
    """kind: 'softmax', 'windowed' (needs `grid`, the side of the token grid), 'linear' (ELU+1) or
    'linear_relu'."""
    if kind == "softmax":
        return SoftmaxAttention(dim, heads, tokens)
    if kind == "windowed":
        return SoftmaxAttention(dim, heads, tokens, mask=grid_window_mask(grid, window_radius))
    if kind == "linear":
        return LinearAttention(dim, heads, tokens, "elu")
    if kind == "linear_relu":
        return LinearAttention(dim, heads, tokens, "relu")
    raise ValueError(f"unknown attention kind {kind!r}")


class EncoderLayer(nn.Module):
    """Pre-norm transformer encoder layer: x + attn(LN(x)), then x + MLP(LN(x)) with tanh-GELU
    (exact GELU exports as Erf, which int8 TFLite cannot run)."""

    def __init__(self, dim: int, attention: nn.Module, mlp_dim: int):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attention = attention
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, mlp_dim), nn.GELU(approximate="tanh"),
                                 nn.Linear(mlp_dim, dim))

    def forward(self, x):
        x = x + self.attention(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class TokenClassifier(nn.Module):
    """Tokens (batch, tokens, dim) + learned position embedding -> encoder layers -> LayerNorm ->
    mean over tokens -> linear head."""

    def __init__(self, tokens: int, dim: int, classes: int, layers: list[EncoderLayer]):
        super().__init__()
        self.position = nn.Parameter(torch.randn(1, tokens, dim) * 0.02)
        self.layers = nn.ModuleList(layers)
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, classes)

    def forward(self, tokens):
        x = tokens + self.position
        for layer in self.layers:
            x = layer(x)
        return self.head(self.norm(x).mean(dim=1))


class PatchEmbedding(nn.Module):
    """(batch, 1, side, side) image -> (batch, (side/patch)^2, dim) tokens with a Conv2d of stride
    `patch`. With overlap > 0 each patch also sees `overlap` pixels of its neighbours on every side
    (kernel patch + 2*overlap, zero padding overlap): the token count stays (side/patch)^2."""

    def __init__(self, patch: int, dim: int, side: int = 8, overlap: int = 0):
        super().__init__()
        assert side % patch == 0
        self.tokens, self.dim = (side // patch) ** 2, dim
        self.conv = nn.Conv2d(1, dim, kernel_size=patch + 2 * overlap, stride=patch, padding=overlap)

    def forward(self, image):
        return self.conv(image).reshape(-1, self.dim, self.tokens).transpose(1, 2)


class TinyViT(nn.Module):
    """ViT-style classifier for small single-channel images."""

    def __init__(self, patch: int = 2, side: int = 8, dim: int = 32, heads: int = 2, depth: int = 2,
                 mlp_dim: int = 64, classes: int = 10, attention: str = "softmax",
                 window_radius: int = 1, patch_overlap: int = 0):
        super().__init__()
        self.embed = PatchEmbedding(patch, dim, side, patch_overlap)
        tokens, grid = self.embed.tokens, side // patch
        layers = [EncoderLayer(dim, make_attention(attention, dim, heads, tokens, grid, window_radius),
                               mlp_dim) for _ in range(depth)]
        self.classifier = TokenClassifier(tokens, dim, classes, layers)

    def forward(self, image):
        return self.classifier(self.embed(image))


# --------------------------------------------------------------------------------------------------
# Training, evaluation, export.


def train_classifier(model: nn.Module, x: np.ndarray, y: np.ndarray, epochs: int, lr: float = 3e-3,
                     batch_size: int = 64, weight_decay: float = 0.05, label_smoothing: float = 0.1,
                     augment=None, seed: int = 0) -> float:
    """AdamW with a linear warm-up and cosine decay; returns the wall-clock seconds spent.
    `augment(batch, generator)` may transform each training batch."""
    generator = torch.Generator().manual_seed(seed)
    x_t, y_t = torch.from_numpy(x), torch.from_numpy(y).long()
    steps_per_epoch = (len(x_t) + batch_size - 1) // batch_size
    total_steps, warmup = epochs * steps_per_epoch, steps_per_epoch * 5
    optimiser = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimiser, lambda step: min(
        (step + 1) / warmup, 0.5 * (1 + np.cos(np.pi * min(step / total_steps, 1.0)))))
    loss_fn = nn.CrossEntropyLoss(label_smoothing=label_smoothing)
    start = time.perf_counter()
    model.train()
    for _ in range(epochs):
        order = torch.randperm(len(x_t), generator=generator)
        for i in range(0, len(order), batch_size):
            batch = order[i:i + batch_size]
            inputs = x_t[batch] if augment is None else augment(x_t[batch], generator)
            loss = loss_fn(model(inputs), y_t[batch])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
    model.eval()
    return time.perf_counter() - start


@torch.no_grad()
def predict_logits(model: nn.Module, x: np.ndarray) -> np.ndarray:
    model.eval()
    return model(torch.from_numpy(x)).numpy()


def accuracy(logits: np.ndarray, y: np.ndarray) -> float:
    return float((logits.argmax(axis=1) == y).mean())


def export_onnx(model: nn.Module, example: np.ndarray, path: Path) -> None:
    """Static batch of 1, input "x", output "logits", opset 17, TorchScript exporter."""
    model.eval()
    torch.onnx.export(model, (torch.from_numpy(example[:1]),), str(path), opset_version=ONNX_OPSET,
                      dynamo=False, input_names=["x"], output_names=["logits"])


def onnx_op_types(path: Path) -> list[str]:
    import onnx
    return sorted({node.op_type for node in onnx.load(str(path)).graph.node})


def check_onnx_against_torch(path: Path, torch_logits: np.ndarray, x: np.ndarray,
                             y: np.ndarray) -> dict:
    """Runs the ONNX model with onnxruntime one sample at a time (batch 1) and compares it with the
    PyTorch logits: the max abs difference, both accuracies, and the predictions that differ."""
    import onnxruntime
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    onnx_logits = np.concatenate([session.run(["logits"], {"x": x[i:i + 1]})[0]
                                  for i in range(len(x))])
    return {
        "max_abs_diff": float(np.abs(onnx_logits - torch_logits).max()),
        "onnx_accuracy": accuracy(onnx_logits, y),
        "torch_accuracy": accuracy(torch_logits, y),
        "predictions_differ": int((onnx_logits.argmax(1) != torch_logits.argmax(1)).sum()),
    }


def save_sample_data(folder: Path, calibration_x: np.ndarray, test_x: np.ndarray,
                     test_y: np.ndarray) -> None:
    """calibration.npz ("x") and test_data.npz ("x", "y"), float32 inputs and int64 labels."""
    np.savez_compressed(folder / "calibration.npz", x=calibration_x.astype(np.float32))
    np.savez_compressed(folder / "test_data.npz", x=test_x.astype(np.float32),
                        y=test_y.astype(np.int64))


def report(name: str, path: Path, float_accuracy: float, check: dict, seconds: float) -> dict:
    """Prints one model's summary and returns it as a dict for metrics.json."""
    ops = onnx_op_types(path)
    size = path.stat().st_size
    print(f"{name}: float top-1 on the held-out split {float_accuracy:.4f}; "
          f"trained in {seconds:.0f} s; {path.name} {size} bytes")
    print(f"  onnxruntime vs PyTorch on test_data.npz: max |diff| {check['max_abs_diff']:.2e}, "
          f"accuracy {check['onnx_accuracy']:.4f} vs {check['torch_accuracy']:.4f}, "
          f"{check['predictions_differ']} predictions differ")
    print(f"  ONNX ops: {' '.join(ops)}")
    return {"file": path.name, "float_accuracy_heldout": round(float_accuracy, 4),
            "float_accuracy_test_data": round(check["torch_accuracy"], 4), "onnx_ops": ops}
