package conformance

import (
	"net/http"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// DeleteObject of a single object. DeleteObjects is in
// cases_delete_objects.go.

func init() {
	register(
		Case{
			ID: "objects/delete/existing", Feature: Objects, Ops: ops("DeleteObject", "GetObject", "HeadObject", "ListObjectsV2"),
			Desc: "DELETE of an existing object answers 204; the key then reads 404 NoSuchKey and is not listed",
			Run:  objectsDeleteExisting,
		},
		Case{
			ID: "objects/delete/missing-key", Feature: Objects, Ops: ops("DeleteObject"),
			Desc: "DELETE of a key that never existed, or was already deleted, answers 204",
			Run:  objectsDeleteMissingKey,
		},
		Case{
			ID: "objects/delete/prefix-siblings-untouched", Feature: Objects, Ops: ops("DeleteObject", "GetObject", "ListObjectsV2"),
			Desc: "deleting a key leaves keys it is a prefix of, and keys that are its prefix, untouched",
			Run:  objectsDeletePrefixSiblingsUntouched,
		},
	)
}

func objectsDeleteExisting(t T, e *Env) {
	b := e.NewBucket()
	e.PutString(b, "doomed", "bye")
	resp := e.Request(http.MethodDelete, b, "doomed").Expect()
	resp.Status(http.StatusNoContent)
	get := e.Request(http.MethodGet, b, "doomed").Expect()
	wantError(t, get, http.StatusNotFound, "NoSuchKey")
	wantAbsent(t, e, b, "doomed")
	wantStrings(t, "keys listed after delete", listedKeys(t, e, b), nil)
}

func objectsDeleteMissingKey(t T, e *Env) {
	b := e.NewBucket()
	e.Request(http.MethodDelete, b, "never-was").Expect().Status(http.StatusNoContent)
	_, err := e.SDK.DeleteObject(e.ctx(), &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String("never-was-sdk")})
	mustf(t, err, "SDK DeleteObject of a missing key")
	e.PutString(b, "twice", "x")
	e.Request(http.MethodDelete, b, "twice").Expect().Status(http.StatusNoContent)
	e.Request(http.MethodDelete, b, "twice").Expect().Status(http.StatusNoContent)
}

func objectsDeletePrefixSiblingsUntouched(t T, e *Env) {
	b := e.NewBucket()
	keys := []string{"a", "a/", "a/b", "ab", "a b", "a.txt", "dir/a"}
	for _, k := range keys {
		e.PutString(b, k, "content of "+k)
	}
	e.Request(http.MethodDelete, b, "a").Expect().Status(http.StatusNoContent)
	e.Request(http.MethodDelete, b, "dir").Expect().Status(http.StatusNoContent)
	want := append([]string(nil), keys[1:]...)
	sort.Strings(want)
	wantStrings(t, "remaining keys", listedKeys(t, e, b), want)
	for _, k := range want {
		objWantContent(t, e, b, k, []byte("content of "+k))
	}
}
