#include "radlens_charls.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

/// CharLS's entry points, resolved once by radlens_charls_load.
static struct {
    __typeof__(&charls_jpegls_decoder_create) create;
    __typeof__(&charls_jpegls_decoder_destroy) destroy;
    __typeof__(&charls_jpegls_decoder_set_source_buffer) set_source_buffer;
    __typeof__(&charls_jpegls_decoder_read_header) read_header;
    __typeof__(&charls_jpegls_decoder_get_frame_info) get_frame_info;
    __typeof__(&charls_jpegls_decoder_get_interleave_mode) get_interleave_mode;
    __typeof__(&charls_jpegls_decoder_get_destination_size) get_destination_size;
    __typeof__(&charls_jpegls_decoder_decode_to_buffer) decode_to_buffer;
    __typeof__(&charls_get_error_message) error_message;
} api;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char load_error[512];

static void load(void) {
    void *library = dlopen("libcharls.so.2", RTLD_NOW | RTLD_LOCAL);
    if (!library) {
        snprintf(load_error, sizeof load_error, "%s", dlerror());
        return;
    }
    const char *missing = NULL;
#define RESOLVE(field, symbol) \
    if (!(*(void **)&api.field = dlsym(library, symbol)) && !missing) missing = symbol;
    RESOLVE(create, "charls_jpegls_decoder_create")
    RESOLVE(destroy, "charls_jpegls_decoder_destroy")
    RESOLVE(set_source_buffer, "charls_jpegls_decoder_set_source_buffer")
    RESOLVE(read_header, "charls_jpegls_decoder_read_header")
    RESOLVE(get_frame_info, "charls_jpegls_decoder_get_frame_info")
    RESOLVE(get_interleave_mode, "charls_jpegls_decoder_get_interleave_mode")
    RESOLVE(get_destination_size, "charls_jpegls_decoder_get_destination_size")
    RESOLVE(decode_to_buffer, "charls_jpegls_decoder_decode_to_buffer")
    RESOLVE(error_message, "charls_get_error_message")
#undef RESOLVE
    if (missing) snprintf(load_error, sizeof load_error, "libcharls.so.2 lacks %s", missing);
}

const char *radlens_charls_load(void) {
    pthread_once(&once, load);
    return load_error[0] ? load_error : NULL;
}

charls_jpegls_decoder *radlens_charls_decoder_create(void) { return api.create(); }
void radlens_charls_decoder_destroy(const charls_jpegls_decoder *decoder) { api.destroy(decoder); }
charls_jpegls_errc radlens_charls_decoder_set_source_buffer(charls_jpegls_decoder *decoder, const void *source, size_t size) {
    return api.set_source_buffer(decoder, source, size);
}
charls_jpegls_errc radlens_charls_decoder_read_header(charls_jpegls_decoder *decoder) { return api.read_header(decoder); }
charls_jpegls_errc radlens_charls_decoder_get_frame_info(const charls_jpegls_decoder *decoder, charls_frame_info *info) {
    return api.get_frame_info(decoder, info);
}
charls_jpegls_errc radlens_charls_decoder_get_interleave_mode(const charls_jpegls_decoder *decoder, charls_interleave_mode *mode) {
    return api.get_interleave_mode(decoder, mode);
}
charls_jpegls_errc radlens_charls_decoder_get_destination_size(const charls_jpegls_decoder *decoder, uint32_t stride, size_t *size) {
    return api.get_destination_size(decoder, stride, size);
}
charls_jpegls_errc radlens_charls_decoder_decode_to_buffer(charls_jpegls_decoder *decoder, void *destination, size_t size, uint32_t stride) {
    return api.decode_to_buffer(decoder, destination, size, stride);
}
const char *radlens_charls_error_message(charls_jpegls_errc code) { return api.error_message(code); }
