package s3api

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/s3gw/gateway/impl/s3err"
)

// byteRange is a resolved, satisfiable range of an object.
type byteRange struct {
	start, length int64
}

// parseRange resolves a Range header against an object of size bytes.
// It returns nil for no range or a header S3 ignores (not a single bytes
// range, or syntactically invalid), and InvalidRange when the range cannot be
// satisfied.
func parseRange(header string, size int64) (*byteRange, error) {
	spec, ok := strings.CutPrefix(header, "bytes=")
	if !ok || strings.Contains(spec, ",") {
		return nil, nil
	}
	first, last, ok := strings.Cut(strings.TrimSpace(spec), "-")
	if !ok {
		return nil, nil
	}
	if first == "" {
		n, ok := parseDigits(last)
		if !ok {
			return nil, nil
		}
		switch {
		case n == 0:
			return nil, s3err.InvalidRange
		case size == 0:
			// The suffix of an empty object is the empty object, sent
			// whole (apache/arrow-rs-object-store#846 shows S3's 200).
			return nil, nil
		}
		n = min(n, size)
		return &byteRange{start: size - n, length: n}, nil
	}
	start, ok := parseDigits(first)
	if !ok {
		return nil, nil
	}
	end := size - 1
	if last != "" {
		if end, ok = parseDigits(last); !ok || end < start {
			return nil, nil
		}
	}
	if start >= size {
		return nil, s3err.InvalidRange
	}
	end = min(end, size-1)
	return &byteRange{start: start, length: end - start + 1}, nil
}

// parseDigits parses a non-negative decimal without sign or spaces.
func parseDigits(s string) (int64, bool) {
	if s == "" || len(s) > 19 {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// etagMatches reports whether an If-Match / If-None-Match list names etag
// (unquoted). "*" matches any existing object; weak validators compare by
// their opaque value.
func etagMatches(list, etag string) bool {
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if item == "*" {
			return true
		}
		item = strings.TrimPrefix(item, "W/")
		if strings.Trim(item, `"`) == etag {
			return true
		}
	}
	return false
}

// parseHTTPTime parses an HTTP date; ok is false for anything else, which
// callers then ignore as HTTP says.
func parseHTTPTime(v string) (time.Time, bool) {
	if v == "" {
		return time.Time{}, false
	}
	t, err := http.ParseTime(v)
	return t, err == nil
}

// checkPreconditions evaluates the four conditional headers of a read in the
// order RFC 9110 gives (which is also S3's): If-Match, else
// If-Unmodified-Since, may fail the request (412); then If-None-Match, else
// If-Modified-Since, may make it 304. Dates compare at the one-second
// resolution of Last-Modified.
func checkPreconditions(ifMatch, ifNoneMatch, ifModifiedSince, ifUnmodifiedSince string, etag string, modified time.Time) *s3err.Error {
	mod := modified.Truncate(time.Second)
	if ifMatch != "" {
		if !etagMatches(ifMatch, etag) {
			return s3err.PreconditionFailed
		}
	} else if t, ok := parseHTTPTime(ifUnmodifiedSince); ok && mod.After(t) {
		return s3err.PreconditionFailed
	}
	if ifNoneMatch != "" {
		if etagMatches(ifNoneMatch, etag) {
			return s3err.NotModified
		}
	} else if t, ok := parseHTTPTime(ifModifiedSince); ok && !mod.After(t) {
		return s3err.NotModified
	}
	return nil
}

// readPreconditions applies a GET's or HEAD's conditional headers.
func readPreconditions(h http.Header, etag string, modified time.Time) *s3err.Error {
	return checkPreconditions(h.Get("If-Match"), h.Get("If-None-Match"),
		h.Get("If-Modified-Since"), h.Get("If-Unmodified-Since"), etag, modified)
}

// copySourcePreconditions applies CopyObject's x-amz-copy-source-if-*
// headers. Where a read would answer 304, a copy fails with 412.
func copySourcePreconditions(h http.Header, etag string, modified time.Time) *s3err.Error {
	if err := checkPreconditions(h.Get("x-amz-copy-source-if-match"), h.Get("x-amz-copy-source-if-none-match"),
		h.Get("x-amz-copy-source-if-modified-since"), h.Get("x-amz-copy-source-if-unmodified-since"), etag, modified); err != nil {
		return s3err.PreconditionFailed
	}
	return nil
}
