#ifndef RADLENS_CHARLS_H
#define RADLENS_CHARLS_H

#include <charls/charls.h>

/// CharLS is loaded on first use (dlopen of libcharls.so.2), not linked: its static
/// initialisers build lookup tables that cost every radlens command ~0.5 ms at start, and only
/// JPEG-LS DICOM frames need it. Returns NULL once loaded, else why it cannot be (dlerror's
/// text); thread-safe.
const char *radlens_charls_load(void);

/// The CharLS calls RadLens makes, through the loaded library (call radlens_charls_load first).
charls_jpegls_decoder *radlens_charls_decoder_create(void);
void radlens_charls_decoder_destroy(const charls_jpegls_decoder *decoder);
charls_jpegls_errc radlens_charls_decoder_set_source_buffer(charls_jpegls_decoder *decoder, const void *source, size_t size);
charls_jpegls_errc radlens_charls_decoder_read_header(charls_jpegls_decoder *decoder);
charls_jpegls_errc radlens_charls_decoder_get_frame_info(const charls_jpegls_decoder *decoder, charls_frame_info *info);
charls_jpegls_errc radlens_charls_decoder_get_interleave_mode(const charls_jpegls_decoder *decoder, charls_interleave_mode *mode);
charls_jpegls_errc radlens_charls_decoder_get_destination_size(const charls_jpegls_decoder *decoder, uint32_t stride, size_t *size);
charls_jpegls_errc radlens_charls_decoder_decode_to_buffer(charls_jpegls_decoder *decoder, void *destination, size_t size, uint32_t stride);
const char *radlens_charls_error_message(charls_jpegls_errc code);

#endif
