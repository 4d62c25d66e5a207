// A thin C layer over libpng for RadLens.
//
// libpng reports errors by longjmp-ing out of its error callback. A longjmp that crosses
// Swift frames is undefined behaviour, so every setjmp lives here in C: these functions
// catch libpng's errors and return them as a status code plus a message. Swift never
// sees a png_struct.
#ifndef RADLENS_PNG_H
#define RADLENS_PNG_H

#include <stddef.h>
#include <stdint.h>

#define RL_PNG_ERROR_MESSAGE_SIZE 256

/// What a PNG holds, and how RadLens will decode it.
typedef struct {
    uint32_t width;
    uint32_t height;
    int stored_bit_depth;   ///< bits per sample in the file: 1, 2, 4, 8 or 16
    int color_type;         ///< PNG colour type as stored (0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA)
    int interlaced;         ///< 1 for Adam7
    int significant_bits;   ///< from sBIT for gray images, else 0
    int channels;           ///< channels after expansion (1 gray, 2 gray+alpha, 3 RGB, 4 RGBA)
    int bit_depth;          ///< bits per sample after expansion: 8 or 16
} rl_png_info;

/// Status codes: 0 success, otherwise an error with a message.
enum { RL_PNG_OK = 0, RL_PNG_NOT_PNG = 1, RL_PNG_ERROR = 2, RL_PNG_BUFFER_TOO_SMALL = 3 };

/// Reads the header of the PNG in `data`. Fills `info`; on failure writes a message to `error`.
int rl_png_read_info(const uint8_t *data, size_t size, rl_png_info *info,
                     char error[RL_PNG_ERROR_MESSAGE_SIZE]);

/// Decodes the PNG in `data` into `out`, which must hold width*height*channels samples
/// (one byte each at bit depth 8, a native-endian uint16 each at bit depth 16).
/// Palette images expand to RGB(A), low-bit gray to 8 bits, tRNS to an alpha channel;
/// no gamma or colour conversion is applied.
int rl_png_decode(const uint8_t *data, size_t size, void *out, size_t out_size,
                  rl_png_info *info, char error[RL_PNG_ERROR_MESSAGE_SIZE]);

/// Encodes `pixels` (rows top to bottom, `channels` 1-4, `bit_depth` 8 or 16 native-endian)
/// as PNG. On success `*out` is a malloc'd buffer of `*out_size` bytes; free it with rl_png_free.
int rl_png_encode(const void *pixels, uint32_t width, uint32_t height, int channels,
                  int bit_depth, int compression_level, uint8_t **out, size_t *out_size,
                  char error[RL_PNG_ERROR_MESSAGE_SIZE]);

void rl_png_free(void *pointer);

#endif
