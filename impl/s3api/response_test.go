package s3api

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/s3gw/gateway/impl/accesslog"
	"github.com/s3gw/gateway/impl/s3err"
	"github.com/s3gw/gateway/impl/storage"
	"github.com/s3gw/gateway/impl/tenancy"
)

// writeError records the S3 code of every 4xx and 5xx in the access log
// (not of a 304), closes the connection after a body it cannot delimit, and
// drops the validators a handler set before failing, except a 416's
// Content-Range.
func TestWriteError(t *testing.T) {
	h := New(Options{})
	for _, c := range []struct {
		err       error
		status    int
		code      string // in the access log
		close     bool
		keepRange bool
	}{
		{s3err.NoSuchKey, 404, "NoSuchKey", false, false},
		{errors.New("disk on fire"), 500, "InternalError", false, false},
		{s3err.NotModified, 304, "", false, false},
		{s3err.MissingContentLength, 411, "MissingContentLength", true, false},
		{s3err.InvalidRange, 416, "InvalidRange", false, true},
		// The storage's refusals: a retryable one is S3's SlowDown.
		{fmt.Errorf("upstream: %w", storage.ErrUnavailable), 503, "SlowDown", false, false},
		{&storage.RangeError{Size: 5}, 416, "InvalidRange", false, true},
		{&storage.ConditionError{Err: storage.ErrPreconditionFailed}, 412, "PreconditionFailed", false, false},
		{storage.ErrInvalidPartNumber, 416, "InvalidPartNumber", false, false},
		{tenancy.ErrNotOwner, 403, "AccessDenied", false, false},
	} {
		var entry *accesslog.Entry
		rec := httptest.NewRecorder()
		accesslog.Middleware(slog.New(slog.DiscardHandler), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			entry = accesslog.FromContext(r.Context())
			w.Header().Set("ETag", `"x"`)
			w.Header().Set("Content-Range", "bytes */5")
			h.writeError(&request{w: w, r: r, id: entry.RequestID}, c.err)
		})).ServeHTTP(rec, httptest.NewRequest("GET", "/s3/b/k", nil))
		if rec.Code != c.status || entry.Code != c.code {
			t.Errorf("%v: status %d, logged code %q; want %d, %q", c.err, rec.Code, entry.Code, c.status, c.code)
		}
		if got := rec.Header().Get("Connection") == "close"; got != c.close {
			t.Errorf("%v: Connection: close = %v, want %v", c.err, got, c.close)
		}
		if c.status != 304 && rec.Header().Get("ETag") != "" {
			t.Errorf("%v: the error kept the handler's ETag", c.err)
		}
		if got := rec.Header().Get("Content-Range") != ""; c.status != 304 && got != c.keepRange {
			t.Errorf("%v: Content-Range kept = %v, want %v", c.err, got, c.keepRange)
		}
	}
}
