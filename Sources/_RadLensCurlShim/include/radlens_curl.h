#ifndef RADLENS_CURL_H
#define RADLENS_CURL_H

#include <curl/curl.h>

/// libcurl is loaded on first use (dlopen of libcurl.so.4), not linked: it and the two dozen
/// libraries it pulls in cost every radlens command ~8 ms at start, and only DICOMweb needs it.
/// Returns NULL once loaded, else why it cannot be (dlerror's text); thread-safe.
const char *radlens_curl_load(void);

/// curl_easy_setopt and curl_easy_getinfo are variadic, which Swift cannot call: one typed
/// wrapper per argument kind.
typedef size_t (*radlens_curl_data_callback)(char *data, size_t size, size_t count, void *context);

CURLcode radlens_curl_set_long(CURL *curl, CURLoption option, long value);
CURLcode radlens_curl_set_offset(CURL *curl, CURLoption option, curl_off_t value);
CURLcode radlens_curl_set_string(CURL *curl, CURLoption option, const char *value);
CURLcode radlens_curl_set_pointer(CURL *curl, CURLoption option, void *value);
CURLcode radlens_curl_set_list(CURL *curl, CURLoption option, struct curl_slist *value);
CURLcode radlens_curl_set_callback(CURL *curl, CURLoption option, radlens_curl_data_callback value);

/// The libcurl calls RadLens makes, through the loaded library (call radlens_curl_load first).
CURLcode radlens_curl_global_init(long flags);
CURL *radlens_curl_easy_init(void);
void radlens_curl_easy_cleanup(CURL *curl);
void radlens_curl_easy_reset(CURL *curl);
CURLcode radlens_curl_easy_perform(CURL *curl);
const char *radlens_curl_easy_strerror(CURLcode code);
struct curl_slist *radlens_curl_slist_append(struct curl_slist *list, const char *text);
void radlens_curl_slist_free_all(struct curl_slist *list);

/// Constants whose macros Swift cannot import (casts).
static const long radlens_curlauth_basic = (long)CURLAUTH_BASIC;
static const long radlens_curlauth_bearer = (long)CURLAUTH_BEARER;
static const long radlens_curl_global_default = CURL_GLOBAL_DEFAULT;

/// The last response's HTTP status (0 when none arrived).
long radlens_curl_response_code(CURL *curl);

#endif
