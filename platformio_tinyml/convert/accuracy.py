"""How close the int8 model is to the float one: top-1 agreement and signal-to-noise ratio.

Pure NumPy over outputs already computed; the worker runs the models.
"""

from __future__ import annotations

import math

import numpy as np


def compare_outputs(names: list[str], reference: list[np.ndarray], quantized: list[np.ndarray]) -> dict:
    """Per output: SNR in dB, max abs error and, for outputs with several classes, the share of
    samples whose arg-max agrees. Arrays are (samples, ...) in float."""
    outputs = [_compare_one(name, ref, got) for name, ref, got in zip(names, reference, quantized)]
    agreements = [o["top1_agreement"] for o in outputs if o["top1_agreement"] is not None]
    return {
        "samples": int(reference[0].shape[0]) if reference else 0,
        "top1_agreement": min(agreements) if agreements else None,
        "snr_db": min(o["snr_db"] for o in outputs) if outputs else None,
        "outputs": outputs,
    }


def summary_line(report: dict, sample_source: str) -> str:
    parts = []
    if report["top1_agreement"] is not None:
        parts.append(f"top-1 agreement {report['top1_agreement']:.1%}")
    parts.append(f"SNR {report['snr_db']:.1f} dB")
    reference = report.get("reference", "float")
    return f"int8 vs {reference} on {report['samples']} {sample_source} samples: {', '.join(parts)}"


def float_line(check: dict) -> str:
    return (f"float TFLite vs {check['source_framework']} on {check['samples']} {check['sample_source']} "
            f"samples: cosine {check['cosine']:.6f}, max abs error {check['max_abs_error']:.3g}")


def snr_db(reference: np.ndarray, quantized: np.ndarray) -> float:
    signal = float(np.sum(np.square(reference, dtype=np.float64)))
    noise = float(np.sum(np.square(reference.astype(np.float64) - quantized)))
    if noise == 0:
        return math.inf
    return 10 * math.log10(signal / noise) if signal > 0 else -math.inf


def _compare_one(name: str, reference: np.ndarray, quantized: np.ndarray) -> dict:
    classes = reference.shape[-1] if reference.ndim > 1 else 1
    agreement = None
    if classes > 1:
        agreement = float(np.mean(np.argmax(reference, -1) == np.argmax(quantized, -1)))
    return {
        "name": name,
        "snr_db": snr_db(reference, quantized),
        "max_abs_error": float(np.max(np.abs(reference - quantized))),
        "top1_agreement": agreement,
    }
