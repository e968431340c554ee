package conformance

import (
	"bytes"
	"fmt"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/gavv/httpexpect/v2"
)

// Cases for single-object PutObject, GetObject, HeadObject and DeleteObject,
// in a file per operation:
//   - cases_objects_put.go: ETags, empty bodies, overwrites, Content-MD5,
//     conditional writes and the body-size limit;
//   - cases_objects_metadata.go: user metadata and stored headers;
//   - cases_objects_get.go: GetObject and HeadObject, response overrides;
//   - cases_objects_delete.go: DeleteObject.
//
// This file holds the helpers they share.

// objWantContent fails the case unless the object reads back as want with
// the matching ETag.
func objWantContent(t T, e *Env, bucket, key string, want []byte) {
	t.Helper()
	out, got := getObject(t, e, bucket, key, "")
	if !bytes.Equal(got, want) {
		t.Fatalf("GetObject %q body = %q, want %q", key, objShort(got), objShort(want))
	}
	eq(t, "GetObject ETag", aws.ToString(out.ETag), md5ETag(want))
}

func objShort(b []byte) string {
	if len(b) > 64 {
		return fmt.Sprintf("%s… (%d bytes)", b[:64], len(b))
	}
	return string(b)
}

// objHeaderEqual fails the case unless header h of resp holds want.
func objHeaderEqual(t T, what string, resp *httpexpect.Response, name, want string, date bool) {
	t.Helper()
	got := header(resp, name)
	if !date {
		eq(t, what+" "+name, got, want)
		return
	}
	gt, err := http.ParseTime(got)
	if err != nil {
		t.Fatalf("%s %s = %q: not an HTTP date: %v", what, name, got, err)
	}
	wt, _ := http.ParseTime(want)
	if !gt.Equal(wt) {
		t.Fatalf("%s %s = %q, want %q", what, name, got, want)
	}
}
