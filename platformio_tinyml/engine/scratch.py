"""Scratch-buffer bytes CMSIS-NN kernels need, per kernel path.

The same rules as CMSIS-NN's `*_get_buffer_size()` functions (3b4e406b), evaluated at build time
for the path the target compiles, so the planner can place scratch in the static arena.
"""

from __future__ import annotations

from .cores import KernelPath

# Channels the MVE depthwise kernel processes per block (CMSIS-NN's CH_IN_BLOCK_MVE).
MVE_DEPTHWISE_CHANNEL_BLOCK = 124


def is_1x1_conv(filter_hw: tuple[int, int], padding_hw: tuple[int, int], dilation_hw: tuple[int, int]) -> bool:
    return filter_hw == (1, 1) and padding_hw == (0, 0) and dilation_hw == (1, 1)


def is_1xn_conv(input_h: int, input_c: int, filter_h: int, stride_w: int, dilation_w: int) -> bool:
    return input_h == 1 and dilation_w == 1 and filter_h == 1 and (stride_w * input_c) % 4 == 0


def conv_im2col_bytes(path: KernelPath, input_c: int, filter_h: int, filter_w: int) -> int:
    """arm_convolve_s8: im2col buffer."""
    cols = input_c * filter_h * filter_w
    if path is KernelPath.MVE:
        return 4 * ((cols + 7) // 8) * 8  # four im2col columns, padded to whole Q registers
    return 2 * ((cols + 3) // 4 * 4) * 2  # two int16 columns, padded to a multiple of 4


def conv_wrapper_bytes(path: KernelPath, input_hwc: tuple[int, int, int], filter_hw: tuple[int, int],
                       stride_hw: tuple[int, int], padding_hw: tuple[int, int], dilation_hw: tuple[int, int]) -> int:
    """arm_convolve_wrapper_s8: 0 for the 1x1 kernels, the 1xN kernel's or arm_convolve_s8's buffer."""
    input_h, _, input_c = input_hwc
    if is_1x1_conv(filter_hw, padding_hw, dilation_hw):
        return 0
    if is_1xn_conv(input_h, input_c, filter_hw[0], stride_hw[1], dilation_hw[1]):
        if path is KernelPath.MVE:
            return 0
    return conv_im2col_bytes(path, input_c, *filter_hw)


def conv_wrapper_s16_bytes(path: KernelPath, input_c: int, filter_hw: tuple[int, int],
                           dilation_hw: tuple[int, int]) -> int:
    """arm_convolve_wrapper_s16: on DSP, the fast kernel's two int16 im2col columns."""
    filter_h, filter_w = filter_hw
    if path is KernelPath.DSP and filter_h * filter_w * input_c < 512 and dilation_hw == (1, 1):
        return 2 * input_c * filter_h * filter_w * 2
    return 0


def depthwise_wrapper_s16_bytes(path: KernelPath, input_c: int, multiplier: int, filter_hw: tuple[int, int],
                                dilation_hw: tuple[int, int]) -> int:
    """arm_depthwise_conv_wrapper_s16: the fast kernel's buffer (multiplier 1, no dilation, a filter
    under 512 taps): one int16 column of taps per channel on DSP, four (and 8 bytes) on MVE."""
    filter_h, filter_w = filter_hw
    if multiplier != 1 or dilation_hw != (1, 1) or filter_h * filter_w >= 512 or path is KernelPath.PLAIN_C:
        return 0
    column = input_c * filter_h * filter_w * 2
    return 4 * column + 8 if path is KernelPath.MVE else column


def depthwise_wrapper_bytes(path: KernelPath, input_c: int, output_c: int, batches: int,
                            filter_hw: tuple[int, int], padding_hw: tuple[int, int],
                            dilation_hw: tuple[int, int]) -> int:
    """arm_depthwise_conv_wrapper_s8: only the optimized (multiplier 1) kernel takes a buffer,
    and on DSP not its 3x3 variant."""
    if input_c != output_c or batches != 1 or dilation_hw != (1, 1):
        return 0
    filter_h, filter_w = filter_hw
    if path is KernelPath.MVE:
        return 4 * MVE_DEPTHWISE_CHANNEL_BLOCK * filter_h * filter_w
    if filter_hw == (3, 3) and padding_hw[0] <= 1 and padding_hw[1] <= 1:
        return 0
    if path is KernelPath.DSP:
        return input_c * filter_h * filter_w * 2
    return 0


def avgpool_bytes(path: KernelPath, channels: int) -> int:
    """arm_avgpool_s8: an int32 accumulator per channel on DSP."""
    return channels * 4 if path is KernelPath.DSP else 0
