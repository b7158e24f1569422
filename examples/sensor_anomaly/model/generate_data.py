"""Synthetic 6-axis IMU windows (3-axis accelerometer in g, 3-axis gyroscope in rad/s) from a sensor
bolted to a rotating machine, with a fixed seed. Five classes: normal running and four faults.

Each window is 128 samples at a nominal 400 Hz (0.32 s, 6 to 10 shaft revolutions). Every window has
its own shaft speed, mounting tilt (so gravity falls on all three accelerometer axes), vibration
levels, a background tone from other machinery, white sensor noise, gyro bias with a drift ramp, a
sampling clock off by up to 0.5% with per-sample jitter, and 16-bit sensor quantization. The fault
signatures overlap the normal range a little, so no class is trivially separable.

    python generate_data.py      # prints the class balance and per-class RMS, writes nothing
"""

from __future__ import annotations

import numpy as np

CLASSES = ["normal", "imbalance", "misalignment", "bearing_fault", "loose_mount"]
SAMPLE_RATE_HZ = 400.0
WINDOW = 128
CHANNELS = ["acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z"]
ACCEL_LSB_G = 2.0 ** -13        # +-4 g over 16 bits
GYRO_LSB_RAD_S = 2.0 ** -12     # +-8 rad/s over 16 bits


def _sample_times(rng) -> np.ndarray:
    clock_error = 1.0 + rng.uniform(-0.005, 0.005)
    jitter = rng.normal(0.0, 0.02 / SAMPLE_RATE_HZ, WINDOW)
    return np.arange(WINDOW) / (SAMPLE_RATE_HZ * clock_error) + jitter


def _radial(amplitude: float, phase: np.ndarray, rng) -> np.ndarray:
    """(3, n) vibration in the plane of rotation (x, y: 90 degrees apart), a bit leaking into z."""
    leak = rng.uniform(0.0, 0.2)
    return amplitude * np.stack([np.cos(phase), np.sin(phase), leak * np.cos(phase + 1.0)])


def make_window(label: int, rng) -> np.ndarray:
    """One (6, WINDOW) float32 window of class `label`."""
    t = _sample_times(rng)
    shaft_hz = rng.uniform(18.0, 30.0) * (1.0 + 0.01 * np.sin(2 * np.pi * rng.uniform(0.5, 2) * t))
    phase = 2 * np.pi * np.cumsum(shaft_hz) / SAMPLE_RATE_HZ + rng.uniform(0, 2 * np.pi)

    # mounting tilt: gravity in the sensor frame
    tilt, azimuth = rng.uniform(0, np.radians(15)), rng.uniform(0, 2 * np.pi)
    gravity = np.array([np.sin(tilt) * np.cos(azimuth), np.sin(tilt) * np.sin(azimuth), np.cos(tilt)])
    accel = np.repeat(gravity[:, None], WINDOW, axis=1)
    gyro = np.zeros((3, WINDOW))

    # normal running: 1x and 2x shaft vibration, a small rotational wobble, another machine's tone
    accel += _radial(rng.uniform(0.03, 0.10), phase, rng)
    accel += _radial(rng.uniform(0.005, 0.025), 2 * phase + rng.uniform(0, 2 * np.pi), rng)
    gyro += rng.uniform(0.005, 0.03) * np.stack([np.sin(phase), np.cos(phase), 0 * phase])
    tone_hz, tone_axis = rng.uniform(40, 150), rng.normal(size=3)
    accel += (rng.uniform(0.005, 0.03) * tone_axis / np.linalg.norm(tone_axis))[:, None] * np.sin(
        2 * np.pi * tone_hz * t + rng.uniform(0, 2 * np.pi))

    name = CLASSES[label]
    if name == "imbalance":        # strong 1x radial vibration
        accel += _radial(rng.uniform(0.03, 0.25), phase, rng)
    elif name == "misalignment":   # strong 2x radial plus 1x axial (z)
        accel += _radial(rng.uniform(0.03, 0.12), 2 * phase + rng.uniform(0, 2 * np.pi), rng)
        accel[2] += rng.uniform(0.02, 0.10) * np.sin(phase + rng.uniform(0, 2 * np.pi))
    elif name == "bearing_fault":  # decaying resonance rings at the outer-race defect frequency
        defect_hz = shaft_hz.mean() * rng.uniform(3.0, 3.6)
        ring_hz, decay_s = rng.uniform(110, 170), rng.uniform(0.003, 0.008)
        direction = rng.normal(size=3)
        direction /= np.linalg.norm(direction)
        amplitude = rng.uniform(0.06, 0.30)
        for hit in np.arange(rng.uniform(0, 1 / defect_hz), t[-1], 1 / defect_hz):
            hit += rng.normal(0, 0.0005)
            since = t - hit
            ring = np.where(since >= 0, np.exp(-np.maximum(since, 0) / decay_s)
                            * np.sin(2 * np.pi * ring_hz * since), 0.0)
            accel += (amplitude * rng.uniform(0.7, 1.3) * direction)[:, None] * ring
    elif name == "loose_mount":    # rocking (gyro), half-order rattle, clipped 1x, random knocks
        rock = rng.uniform(0.03, 0.20)
        gyro[:2] += rock * np.stack([np.sin(phase), np.cos(phase + rng.uniform(-0.5, 0.5))])
        accel += _radial(rng.uniform(0.02, 0.08), 0.5 * phase + rng.uniform(0, 2 * np.pi), rng)
        level = rng.uniform(0.04, 0.12)
        accel[:2] += np.clip(_radial(2 * level, phase, rng)[:2], -level, level)
        for knock in rng.uniform(t[0], t[-1], rng.integers(0, 3)):
            accel += (rng.uniform(0.1, 0.3) * rng.normal(size=3))[:, None] * np.exp(
                -np.abs(t - knock) / 0.002)

    # sensor: white noise, gyro bias with a drift ramp, accel offset, 16-bit quantization
    accel += rng.normal(0, 0.012, (3, WINDOW)) + rng.normal(0, 0.02, (3, 1))
    drift = np.linspace(0, 1, WINDOW)[None, :] * rng.normal(0, 0.01, (3, 1))
    gyro += rng.normal(0, 0.005, (3, WINDOW)) + rng.normal(0, 0.02, (3, 1)) + drift
    accel = np.round(np.clip(accel, -4, 4) / ACCEL_LSB_G) * ACCEL_LSB_G
    gyro = np.round(np.clip(gyro, -8, 8) / GYRO_LSB_RAD_S) * GYRO_LSB_RAD_S
    return np.concatenate([accel, gyro]).astype(np.float32)


def make_dataset(windows_per_class: int, seed: int):
    """(x (n, 6, WINDOW) float32, y (n,) int64), classes interleaved in a shuffled order."""
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.repeat(np.arange(len(CLASSES)), windows_per_class))
    return np.stack([make_window(int(label), rng) for label in labels]), labels.astype(np.int64)


if __name__ == "__main__":
    x, y = make_dataset(200, seed=0)
    print(f"x {x.shape} {x.dtype}, y {np.bincount(y)} ({', '.join(CLASSES)})")
    centred = x - x.mean(axis=2, keepdims=True)
    for label, name in enumerate(CLASSES):
        rms = np.sqrt((centred[y == label] ** 2).mean(axis=(0, 2)))
        print(f"{name:14s} RMS per channel: " + " ".join(f"{v:.3f}" for v in rms))
