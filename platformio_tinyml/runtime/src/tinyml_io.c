/* The people-facing half of tinyml.h: size-checked and float inputs and outputs, argmax and top-k,
 * labels and status names. Built on tinyml_model_input()/tinyml_model_output() and the tensors' info. */
#include <string.h>

#include "tinyml.h"
#include "tinyml_schedule.h"

static size_t element_bytes(tinyml_type type)
{
    return type == TINYML_TYPE_INT8 || type == TINYML_TYPE_BOOL ? 1u : type == TINYML_TYPE_INT16 ? 2u : 4u;
}

static size_t element_count(const tinyml_tensor_info *info)
{
    return info->bytes / element_bytes(info->type);
}

/* The checks every accessor shares: the tensor exists, the runtime is initialized, and the caller's
 * buffer holds exactly the tensor's bytes. */
static tinyml_status check(const tinyml_tensor_info *info, const void *buffer, size_t bytes)
{
    if (info == NULL) {
        return TINYML_ERROR_BAD_INDEX;
    }
    if (buffer == NULL) {
        return TINYML_ERROR_NOT_INITIALIZED;
    }
    return bytes == info->bytes ? TINYML_OK : TINYML_ERROR_BAD_SIZE;
}

/* A count of elements as bytes of the tensor's type (0 for no tensor: check() reports that). */
static size_t as_bytes(const tinyml_tensor_info *info, size_t count)
{
    return info == NULL ? 0u : count * element_bytes(info->type);
}

/* Nearest integer, halves to even (as NumPy's round, which the build's host side uses), without
 * libm; |r| is below 2^16 here. */
static int32_t round_half_even(float r)
{
    int32_t whole = (int32_t)r; /* towards zero */
    float rest = r - (float)whole;
    if (rest > 0.5f || (rest == 0.5f && (whole & 1))) {
        whole += 1;
    } else if (rest < -0.5f || (rest == -0.5f && (whole & 1))) {
        whole -= 1;
    }
    return whole;
}

static int32_t quantize(float x, const tinyml_tensor_info *info, int32_t lowest, int32_t highest)
{
    const float r = x / info->scale;
    if (r != r) {
        return info->zero_point; /* NaN */
    }
    if (r <= (float)(lowest - info->zero_point)) {
        return lowest;
    }
    if (r >= (float)(highest - info->zero_point)) {
        return highest;
    }
    return round_half_even(r) + info->zero_point;
}

static float value_at(const tinyml_tensor_info *info, const void *buffer, size_t i)
{
    switch (info->type) {
    case TINYML_TYPE_INT8:
        return info->scale * (float)(((const int8_t *)buffer)[i] - info->zero_point);
    case TINYML_TYPE_INT16:
        return info->scale * (float)(((const int16_t *)buffer)[i] - info->zero_point);
    case TINYML_TYPE_INT32:
        return info->scale * (float)(((const int32_t *)buffer)[i] - info->zero_point);
    case TINYML_TYPE_BOOL:
        return (float)((const uint8_t *)buffer)[i];
    default:
        return ((const float *)buffer)[i];
    }
}

tinyml_status tinyml_model_set_input(tinyml_model *model, int index, const void *data, size_t bytes)
{
    const tinyml_tensor_info *info = tinyml_model_input_info(model, index);
    void *input = tinyml_model_input(model, index);
    const tinyml_status status = check(info, input, bytes);
    if (status == TINYML_OK) {
        memcpy(input, data, bytes);
    }
    return status;
}

tinyml_status tinyml_model_set_input_float(tinyml_model *model, int index, const float *values, size_t count)
{
    const tinyml_tensor_info *info = tinyml_model_input_info(model, index);
    void *input = tinyml_model_input(model, index);
    const tinyml_status status = check(info, input, as_bytes(info, count));
    if (status != TINYML_OK) {
        return status;
    }
    for (size_t i = 0; i < count; i++) {
        switch (info->type) {
        case TINYML_TYPE_INT8:
            ((int8_t *)input)[i] = (int8_t)quantize(values[i], info, INT8_MIN, INT8_MAX);
            break;
        case TINYML_TYPE_INT16:
            ((int16_t *)input)[i] = (int16_t)quantize(values[i], info, INT16_MIN, INT16_MAX);
            break;
        case TINYML_TYPE_INT32: /* int32 inputs (e.g. indices) are not scaled */
            ((int32_t *)input)[i] = (int32_t)values[i];
            break;
        case TINYML_TYPE_BOOL:
            ((uint8_t *)input)[i] = values[i] != 0.0f;
            break;
        default:
            ((float *)input)[i] = values[i];
        }
    }
    return TINYML_OK;
}

tinyml_status tinyml_model_get_output_float(const tinyml_model *model, int index, float *values, size_t count)
{
    const tinyml_tensor_info *info = tinyml_model_output_info(model, index);
    const void *output = tinyml_model_output(model, index);
    const tinyml_status status = check(info, output, as_bytes(info, count));
    for (size_t i = 0; status == TINYML_OK && i < count; i++) {
        values[i] = value_at(info, output, i);
    }
    return status;
}

int tinyml_model_output_top_k(const tinyml_model *model, int index, int k, int *classes, float *scores)
{
    const tinyml_tensor_info *info = tinyml_model_output_info(model, index);
    const void *output = tinyml_model_output(model, index);
    if (info == NULL || output == NULL || k < 0) {
        return -1;
    }
    const size_t count = element_count(info);
    int found = 0;
    /* k passes over the output, each taking the highest element below the previous pick (in value,
     * then in index): no buffer, and k is small (a handful of classes). Scales are positive, so
     * comparing dequantized values orders the quantized ones too. */
    float previous_value = 0.0f;
    size_t previous = 0;
    for (; found < k && (size_t)found < count; found++) {
        size_t best = count;
        float best_value = 0.0f;
        for (size_t i = 0; i < count; i++) {
            const float value = value_at(info, output, i);
            const int below_previous = found == 0 || value < previous_value ||
                                       (value == previous_value && i > previous);
            if (below_previous && (best == count || value > best_value)) {
                best = i;
                best_value = value;
            }
        }
        if (classes != NULL) {
            classes[found] = (int)best;
        }
        if (scores != NULL) {
            scores[found] = best_value;
        }
        previous = best;
        previous_value = best_value;
    }
    return found;
}

int tinyml_model_output_argmax(const tinyml_model *model, int index)
{
    int best;
    return tinyml_model_output_top_k(model, index, 1, &best, NULL) == 1 ? best : -1;
}

int tinyml_model_label_count(const tinyml_model *model)
{
    return model->schedule->label_count;
}

const char *tinyml_model_label(const tinyml_model *model, int class_index)
{
    const tinyml_schedule *schedule = model->schedule;
    return class_index >= 0 && class_index < schedule->label_count ? schedule->labels[class_index] : NULL;
}

const char *tinyml_status_name(tinyml_status status)
{
    switch (status) {
    case TINYML_OK:
        return "TINYML_OK";
    case TINYML_ERROR_NOT_INITIALIZED:
        return "TINYML_ERROR_NOT_INITIALIZED";
    case TINYML_ERROR_BAD_INDEX:
        return "TINYML_ERROR_BAD_INDEX";
    case TINYML_ERROR_MODEL_MISMATCH:
        return "TINYML_ERROR_MODEL_MISMATCH";
    case TINYML_ERROR_KERNEL:
        return "TINYML_ERROR_KERNEL";
    case TINYML_ERROR_BAD_SIZE:
        return "TINYML_ERROR_BAD_SIZE";
    }
    return "unknown tinyml_status";
}
