package s3api

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/s3gw/gateway/impl/s3err"
	"github.com/s3gw/gateway/impl/storage"
)

// parseRange reads a Range header S3 honours: one bytes range. It returns
// nil for no header, or for one S3 ignores (several ranges, or not valid
// syntax); whether the range fits the object is the backend's to decide.
func parseRange(header string) *storage.RangeSpec {
	spec, ok := strings.CutPrefix(header, "bytes=")
	if !ok || strings.Contains(spec, ",") {
		return nil
	}
	first, last, ok := strings.Cut(strings.TrimSpace(spec), "-")
	if !ok {
		return nil
	}
	if first == "" {
		n, ok := parseDigits(last)
		if !ok {
			return nil
		}
		return &storage.RangeSpec{Suffix: n, IsSuffix: true}
	}
	start, ok := parseDigits(first)
	if !ok {
		return nil
	}
	end := int64(-1)
	if last != "" {
		if end, ok = parseDigits(last); !ok || end < start {
			return nil
		}
	}
	return &storage.RangeSpec{First: start, Last: end}
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

// parseHTTPTime parses an HTTP date; anything else is the zero time, which
// conditions then ignore as HTTP says.
func parseHTTPTime(v string) time.Time {
	if v == "" {
		return time.Time{}
	}
	t, _ := http.ParseTime(v)
	return t
}

// copySourcePreconditions applies CopyObject's x-amz-copy-source-if-*
// headers. Where a read would answer 304, a copy fails with 412.
func copySourcePreconditions(h http.Header, etag string, modified time.Time) error {
	c := storage.ReadConditions{
		IfMatch:           h.Get("x-amz-copy-source-if-match"),
		IfNoneMatch:       h.Get("x-amz-copy-source-if-none-match"),
		IfModifiedSince:   parseHTTPTime(h.Get("x-amz-copy-source-if-modified-since")),
		IfUnmodifiedSince: parseHTTPTime(h.Get("x-amz-copy-source-if-unmodified-since")),
	}
	if err := storage.CheckRead(c, etag, modified); err != nil {
		return s3err.PreconditionFailed
	}
	return nil
}
