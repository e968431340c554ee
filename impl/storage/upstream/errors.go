package upstream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/s3gw/gateway/impl/storage"
)

// codes maps the store's error codes to the storage errors the API layer
// renders; the store's own messages never reach a client.
var codes = map[string]error{
	"NoSuchBucket":               storage.ErrNoSuchBucket,
	"NoSuchKey":                  storage.ErrNoSuchKey,
	"BucketAlreadyExists":        storage.ErrBucketExists,
	"BucketAlreadyOwnedByYou":    storage.ErrBucketExists,
	"BucketNotEmpty":             storage.ErrBucketNotEmpty,
	"PreconditionFailed":         storage.ErrPreconditionFailed,
	"ConditionalRequestConflict": storage.ErrPreconditionFailed,
	"NotModified":                storage.ErrNotModified,
	"InvalidRange":               storage.ErrInvalidRange,
	"BadDigest":                  storage.ErrBadDigest,
	"EntityTooLarge":             storage.ErrTooLarge,
	"IncompleteBody":             storage.ErrIncompleteBody,
	"NoSuchUpload":               storage.ErrNoSuchUpload,
	"InvalidPart":                storage.ErrInvalidPart,
	"InvalidPartOrder":           storage.ErrInvalidPartOrder,
	"EntityTooSmall":             storage.ErrEntityTooSmall,
	"SlowDown":                   storage.ErrUnavailable,
	"ServiceUnavailable":         storage.ErrUnavailable,
	"RequestTimeout":             storage.ErrUnavailable,
	"InternalError":              storage.ErrUnavailable,
}

// statuses maps HTTP statuses whose answers carry no code (HEAD) or an
// unknown one.
var statuses = map[int]error{
	http.StatusNotModified:                  storage.ErrNotModified,
	http.StatusPreconditionFailed:           storage.ErrPreconditionFailed,
	http.StatusRequestedRangeNotSatisfiable: storage.ErrInvalidRange,
	http.StatusInternalServerError:          storage.ErrUnavailable,
	http.StatusBadGateway:                   storage.ErrUnavailable,
	http.StatusServiceUnavailable:           storage.ErrUnavailable,
	http.StatusGatewayTimeout:               storage.ErrUnavailable,
}

// mapErr wraps an SDK error with what was being done and the storage error
// it amounts to. A failure to reach the store (connection refused or
// reset, a timeout that is not the caller's own cancellation) is
// ErrUnavailable, which the API layer answers with 503 SlowDown.
func mapErr(ctx context.Context, err error, format string, args ...any) error {
	what := fmt.Sprintf(format, args...)
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		if e, ok := codes[apiErr.ErrorCode()]; ok {
			return fmt.Errorf("upstream: %s: %w (%w)", what, e, err)
		}
	}
	if e, ok := statuses[status(err)]; ok {
		return fmt.Errorf("upstream: %s: %w (%w)", what, e, err)
	}
	if ctx.Err() == nil && unreachable(err) {
		return fmt.Errorf("upstream: %s: %w (%w)", what, storage.ErrUnavailable, err)
	}
	return fmt.Errorf("upstream: %s: %w", what, err)
}

// unreachable reports whether err is a failure to talk to the store at
// all, rather than an answer from it.
func unreachable(err error) bool {
	var netErr net.Error
	var sendErr *smithyhttp.RequestSendError
	return errors.As(err, &sendErr) || errors.As(err, &netErr) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, context.DeadlineExceeded)
}

// status returns the HTTP status of the store's answer, or 0 when there
// was none.
func status(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}
