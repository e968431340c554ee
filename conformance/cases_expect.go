package conformance

import "net/http"

// An Expect header other than 100-continue. RFC 9110 lets a server answer
// 417, but S3 ignores such values and serves the request: ceph/s3-tests,
// written against Amazon S3, sends "Expect: 200" on a PutObject and a
// CreateBucket and expects both to succeed (s3tests_boto3/functional/
// test_headers.py, test_object_create_bad_expect_mismatch and
// test_bucket_create_bad_expect_mismatch).
func init() {
	register(
		Case{
			ID: "general/expect/unknown-value", Feature: Objects, Ops: ops("PutObject", "CreateBucket"),
			Desc: "an Expect header other than 100-continue is ignored: PutObject and CreateBucket with Expect: 200 succeed",
			Run:  generalExpectUnknownValue,
		},
	)
}

func generalExpectUnknownValue(t T, e *Env) {
	b := e.NewBucket()
	wantStatus(t, e.Request(http.MethodPut, b, "k").WithHeader("Expect", "200").WithBytes([]byte("expected")).Expect(), http.StatusOK)
	eq(t, "stored body", string(e.Get(b, "k")), "expected")
	name := e.BucketName()
	e.CleanupBucket(name)
	wantStatus(t, e.CreateBucketRequest(name).WithHeader("Expect", "200").Expect(), http.StatusOK)
}
