#include "radlens_curl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

/// libcurl's entry points, resolved once by radlens_curl_load.
static struct {
    CURLcode (*global_init)(long);
    CURL *(*easy_init)(void);
    void (*easy_cleanup)(CURL *);
    void (*easy_reset)(CURL *);
    CURLcode (*easy_perform)(CURL *);
    const char *(*easy_strerror)(CURLcode);
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
    CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
    struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
    void (*slist_free_all)(struct curl_slist *);
} api;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char load_error[512];

static void load(void) {
    void *library = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!library) {
        snprintf(load_error, sizeof load_error, "%s", dlerror());
        return;
    }
    const char *missing = NULL;
#define RESOLVE(field, symbol) \
    if (!(*(void **)&api.field = dlsym(library, symbol)) && !missing) missing = symbol;
    RESOLVE(global_init, "curl_global_init")
    RESOLVE(easy_init, "curl_easy_init")
    RESOLVE(easy_cleanup, "curl_easy_cleanup")
    RESOLVE(easy_reset, "curl_easy_reset")
    RESOLVE(easy_perform, "curl_easy_perform")
    RESOLVE(easy_strerror, "curl_easy_strerror")
    RESOLVE(easy_setopt, "curl_easy_setopt")
    RESOLVE(easy_getinfo, "curl_easy_getinfo")
    RESOLVE(slist_append, "curl_slist_append")
    RESOLVE(slist_free_all, "curl_slist_free_all")
#undef RESOLVE
    if (missing) snprintf(load_error, sizeof load_error, "libcurl.so.4 lacks %s", missing);
}

const char *radlens_curl_load(void) {
    pthread_once(&once, load);
    return load_error[0] ? load_error : NULL;
}

CURLcode radlens_curl_set_long(CURL *curl, CURLoption option, long value) { return api.easy_setopt(curl, option, value); }
CURLcode radlens_curl_set_offset(CURL *curl, CURLoption option, curl_off_t value) { return api.easy_setopt(curl, option, value); }
CURLcode radlens_curl_set_string(CURL *curl, CURLoption option, const char *value) { return api.easy_setopt(curl, option, value); }
CURLcode radlens_curl_set_pointer(CURL *curl, CURLoption option, void *value) { return api.easy_setopt(curl, option, value); }
CURLcode radlens_curl_set_list(CURL *curl, CURLoption option, struct curl_slist *value) { return api.easy_setopt(curl, option, value); }
CURLcode radlens_curl_set_callback(CURL *curl, CURLoption option, radlens_curl_data_callback value) { return api.easy_setopt(curl, option, value); }

CURLcode radlens_curl_global_init(long flags) { return api.global_init(flags); }
CURL *radlens_curl_easy_init(void) { return api.easy_init(); }
void radlens_curl_easy_cleanup(CURL *curl) { api.easy_cleanup(curl); }
void radlens_curl_easy_reset(CURL *curl) { api.easy_reset(curl); }
CURLcode radlens_curl_easy_perform(CURL *curl) { return api.easy_perform(curl); }
const char *radlens_curl_easy_strerror(CURLcode code) { return api.easy_strerror(code); }
struct curl_slist *radlens_curl_slist_append(struct curl_slist *list, const char *text) { return api.slist_append(list, text); }
void radlens_curl_slist_free_all(struct curl_slist *list) { if (list) api.slist_free_all(list); }

long radlens_curl_response_code(CURL *curl) {
    long code = 0;
    if (api.easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code) != CURLE_OK) return 0;
    return code;
}
