#include "radlens_png.h"

#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/// Per-call state reachable from libpng's callbacks. Lives in memory (not registers),
/// so it is valid after longjmp.
typedef struct {
    const uint8_t *data;
    size_t size;
    size_t offset;
    char *error;
    png_bytep *rows;
    uint8_t *out;
    size_t out_size;
    size_t out_capacity;
} rl_context;

/// Heap-allocated so that no local of a function calling setjmp changes after setjmp.
static rl_context *rl_context_new(const uint8_t *data, size_t size, char *error) {
    rl_context *context = calloc(1, sizeof *context);
    if (context) {
        context->data = data;
        context->size = size;
        context->error = error;
    }
    return context;
}

static int rl_out_of_memory(char *error) {
    snprintf(error, RL_PNG_ERROR_MESSAGE_SIZE, "out of memory");
    return RL_PNG_ERROR;
}

static void rl_error(png_structp png, png_const_charp message) {
    rl_context *context = (rl_context *)png_get_error_ptr(png);
    snprintf(context->error, RL_PNG_ERROR_MESSAGE_SIZE, "%s", message ? message : "libpng error");
    png_longjmp(png, 1);
}

static void rl_warning(png_structp png, png_const_charp message) {
    (void)png;
    (void)message;  // Warnings (e.g. an unknown ancillary chunk) do not change the pixels.
}

static void rl_read(png_structp png, png_bytep into, png_size_t length) {
    rl_context *context = (rl_context *)png_get_io_ptr(png);
    if (length > context->size - context->offset) {
        png_error(png, "file is truncated (unexpected end of data)");
    }
    memcpy(into, context->data + context->offset, length);
    context->offset += length;
}

static int rl_check_signature(const uint8_t *data, size_t size, char *error) {
    if (size < 8 || png_sig_cmp(data, 0, 8) != 0) {
        snprintf(error, RL_PNG_ERROR_MESSAGE_SIZE, "not a PNG file (bad signature)");
        return RL_PNG_NOT_PNG;
    }
    return RL_PNG_OK;
}

/// Reads the header and sets the expansions RadLens always applies.
static void rl_read_header(png_structp png, png_infop info_ptr, rl_png_info *info) {
    png_read_info(png, info_ptr);
    png_uint_32 width, height;
    int bit_depth, color_type, interlace;
    png_get_IHDR(png, info_ptr, &width, &height, &bit_depth, &color_type, &interlace, NULL, NULL);
    info->width = width;
    info->height = height;
    info->stored_bit_depth = bit_depth;
    info->color_type = color_type;
    info->interlaced = interlace != PNG_INTERLACE_NONE;
    info->significant_bits = 0;
    png_color_8p sbit;
    if ((color_type == PNG_COLOR_TYPE_GRAY || color_type == PNG_COLOR_TYPE_GRAY_ALPHA) &&
        png_get_sBIT(png, info_ptr, &sbit)) {
        info->significant_bits = sbit->gray;
    }

    if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (png_get_valid(png, info_ptr, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(png);
    if (bit_depth == 16) {
        const uint16_t probe = 1;
        if (*(const uint8_t *)&probe == 1) png_set_swap(png);  // PNG is big-endian; we hand out native order.
    }
    if (info->interlaced) png_set_interlace_handling(png);
    png_read_update_info(png, info_ptr);
    info->channels = png_get_channels(png, info_ptr);
    info->bit_depth = png_get_bit_depth(png, info_ptr);
}

int rl_png_read_info(const uint8_t *data, size_t size, rl_png_info *info, char *error) {
    int status = rl_check_signature(data, size, error);
    if (status != RL_PNG_OK) return status;
    rl_context *context = rl_context_new(data, size, error);
    if (!context) return rl_out_of_memory(error);
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, context, rl_error, rl_warning);
    png_infop info_ptr = png ? png_create_info_struct(png) : NULL;
    if (!png || !info_ptr) {
        png_destroy_read_struct(&png, NULL, NULL);
        snprintf(error, RL_PNG_ERROR_MESSAGE_SIZE, "out of memory");
        free(context);
        return RL_PNG_ERROR;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info_ptr, NULL);
        free(context);
        return RL_PNG_ERROR;
    }
    png_set_read_fn(png, context, rl_read);
    rl_read_header(png, info_ptr, info);
    png_destroy_read_struct(&png, &info_ptr, NULL);
    free(context);
    return RL_PNG_OK;
}

int rl_png_decode(const uint8_t *data, size_t size, void *out, size_t out_size,
                  rl_png_info *info, char *error) {
    int status = rl_check_signature(data, size, error);
    if (status != RL_PNG_OK) return status;
    rl_context *context = rl_context_new(data, size, error);
    if (!context) return rl_out_of_memory(error);
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, context, rl_error, rl_warning);
    png_infop info_ptr = png ? png_create_info_struct(png) : NULL;
    if (!png || !info_ptr) {
        png_destroy_read_struct(&png, NULL, NULL);
        snprintf(error, RL_PNG_ERROR_MESSAGE_SIZE, "out of memory");
        free(context);
        return RL_PNG_ERROR;
    }
    if (setjmp(png_jmpbuf(png))) {
        free(context->rows);
        png_destroy_read_struct(&png, &info_ptr, NULL);
        free(context);
        return RL_PNG_ERROR;
    }
    png_set_read_fn(png, context, rl_read);
    rl_read_header(png, info_ptr, info);

    size_t row_bytes = png_get_rowbytes(png, info_ptr);
    size_t expected = (size_t)info->width * (size_t)info->channels * (size_t)(info->bit_depth / 8);
    if (row_bytes != expected || (size_t)info->height > out_size / (row_bytes ? row_bytes : 1)) {
        png_destroy_read_struct(&png, &info_ptr, NULL);
        snprintf(error, RL_PNG_ERROR_MESSAGE_SIZE, "output buffer too small");
        free(context);
        return RL_PNG_BUFFER_TOO_SMALL;
    }
    context->rows = malloc(sizeof(png_bytep) * (info->height ? info->height : 1));
    if (!context->rows) png_error(png, "out of memory");
    for (uint32_t y = 0; y < info->height; y++) context->rows[y] = (png_bytep)out + (size_t)y * row_bytes;
    png_read_image(png, context->rows);
    png_read_end(png, NULL);
    free(context->rows);
    png_destroy_read_struct(&png, &info_ptr, NULL);
    free(context);
    return RL_PNG_OK;
}

static void rl_write(png_structp png, png_bytep bytes, png_size_t length) {
    rl_context *context = (rl_context *)png_get_io_ptr(png);
    if (length > context->out_capacity - context->out_size) {
        size_t capacity = context->out_capacity ? context->out_capacity : 65536;
        while (capacity - context->out_size < length) capacity *= 2;
        uint8_t *grown = realloc(context->out, capacity);
        if (!grown) png_error(png, "out of memory");
        context->out = grown;
        context->out_capacity = capacity;
    }
    memcpy(context->out + context->out_size, bytes, length);
    context->out_size += length;
}

static void rl_flush(png_structp png) { (void)png; }

int rl_png_encode(const void *pixels, uint32_t width, uint32_t height, int channels,
                  int bit_depth, int compression_level, uint8_t **out, size_t *out_size,
                  char *error) {
    static const int color_types[5] = {0, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA,
                                       PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_RGB_ALPHA};
    if (channels < 1 || channels > 4 || (bit_depth != 8 && bit_depth != 16) || width == 0 || height == 0) {
        snprintf(error, RL_PNG_ERROR_MESSAGE_SIZE, "cannot encode %ux%u with %d channels at %d bits",
                 width, height, channels, bit_depth);
        return RL_PNG_ERROR;
    }
    rl_context *context = rl_context_new(NULL, 0, error);
    if (!context) return rl_out_of_memory(error);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, context, rl_error, rl_warning);
    png_infop info_ptr = png ? png_create_info_struct(png) : NULL;
    if (!png || !info_ptr) {
        png_destroy_write_struct(&png, NULL);
        snprintf(error, RL_PNG_ERROR_MESSAGE_SIZE, "out of memory");
        free(context);
        return RL_PNG_ERROR;
    }
    if (setjmp(png_jmpbuf(png))) {
        free(context->rows);
        free(context->out);
        png_destroy_write_struct(&png, &info_ptr);
        free(context);
        return RL_PNG_ERROR;
    }
    png_set_write_fn(png, context, rl_write, rl_flush);
    png_set_compression_level(png, compression_level);
    png_set_IHDR(png, info_ptr, width, height, bit_depth, color_types[channels], PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info_ptr);
    if (bit_depth == 16) {
        const uint16_t probe = 1;
        if (*(const uint8_t *)&probe == 1) png_set_swap(png);
    }
    size_t row_bytes = (size_t)width * (size_t)channels * (size_t)(bit_depth / 8);
    context->rows = malloc(sizeof(png_bytep) * height);
    if (!context->rows) png_error(png, "out of memory");
    for (uint32_t y = 0; y < height; y++) context->rows[y] = (png_bytep)pixels + (size_t)y * row_bytes;
    png_write_image(png, context->rows);
    png_write_end(png, NULL);
    free(context->rows);
    png_destroy_write_struct(&png, &info_ptr);
    *out = context->out;
    *out_size = context->out_size;
    free(context);
    return RL_PNG_OK;
}

void rl_png_free(void *pointer) { free(pointer); }
