package conformance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Cases for credential scopes and per-project bucket ownership: keys of
// another project see none of this project's buckets, a read-only key
// cannot write, and a key scoped to one bucket and prefix reaches nothing
// else. Every refusal is 403 AccessDenied and changes nothing.

// tenNeed skips the case unless the target claims tenancy and has
// credentials of the set.
func tenNeed(t T, e *Env, set string, c Credentials) {
	t.Helper()
	needClaim(t, e, Tenancy)
	if c.AccessKey == "" || c.SecretKey == "" {
		t.Skipf("the target provides no %s credentials", set)
	}
}

// tenBucketNames lists the buckets client c sees (as who, for messages).
func tenBucketNames(t T, c *s3.Client, who string) []string {
	t.Helper()
	out, err := c.ListBuckets(t.Context(), &s3.ListBucketsInput{})
	mustf(t, err, "ListBuckets as %s", who)
	names := make([]string, len(out.Buckets))
	for i, bk := range out.Buckets {
		names[i] = aws.ToString(bk.Name)
	}
	return names
}

// tenDenied fails the case unless err is S3's 403 AccessDenied.
func tenDenied(t T, what string, err error) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s succeeded, want 403 AccessDenied", what)
	}
	if st, code := HTTPStatus(err), ErrorCode(err); st != http.StatusForbidden || code != "AccessDenied" {
		t.Fatalf("%s: HTTP %d %q, want 403 AccessDenied (error: %v)", what, st, code, err)
	}
}

// tenOtherBucket creates a bucket with the Other credentials, removed with
// them when the case ends.
func tenOtherBucket(t T, e *Env, other *s3.Client) string {
	t.Helper()
	name := e.BucketName()
	_, err := other.CreateBucket(t.Context(), e.CreateBucketInput(name))
	mustf(t, err, "CreateBucket %s as the other project", name)
	t.Cleanup(func() {
		ctx := context.Background()
		if err := EmptyBucket(ctx, other, name); err != nil {
			t.Errorf("cleanup: emptying %s as the other project: %v", name, err)
			return
		}
		if _, err := other.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(name)}); err != nil {
			t.Errorf("cleanup: deleting %s as the other project: %v", name, err)
		}
	})
	return name
}

// tenFullBucket makes a bucket of the Full project holding key "k".
func tenFullBucket(e *Env) string {
	b := e.NewBucket()
	e.PutString(b, "k", "full's object")
	return b
}

// tenFullCase runs check with an SDK client of the credential set (named
// set, the "tenancy/<set>/" of the case ID) against a bucket of the Full
// project holding "k" = "full's object".
func tenFullCase(set, id, desc string, opNames []string, creds func(*Target) Credentials, check func(t T, e *Env, c *s3.Client, bucket string)) Case {
	return Case{
		ID: "tenancy/" + set + "/" + id, Feature: Tenancy, Ops: opNames, Desc: desc,
		Run: func(t T, e *Env) {
			tenNeed(t, e, set, creds(e.Target))
			check(t, e, e.SDKAs(creds(e.Target)), tenFullBucket(e))
		},
	}
}

// tenOtherCase is a tenFullCase with the other project's credentials.
func tenOtherCase(id, desc string, opNames []string, check func(t T, e *Env, other *s3.Client, bucket string)) Case {
	return tenFullCase("other-project", id, desc, opNames, func(tg *Target) Credentials { return tg.Other }, check)
}

// tenReadOnlyCase is a tenFullCase with the read-only credentials.
func tenReadOnlyCase(id, desc string, opNames []string, check func(t T, e *Env, ro *s3.Client, bucket string)) Case {
	return tenFullCase("read-only", id, desc, opNames, func(tg *Target) Credentials { return tg.ReadOnly }, check)
}

// tenWantWritesDenied fails the case unless c, the credentials of who, get
// 403 AccessDenied writing over "k" of a tenFullCase bucket and writing a
// new key, and neither write changed anything.
func tenWantWritesDenied(t T, e *Env, c *s3.Client, bucket, who string) {
	t.Helper()
	tenDenied(t, "PutObject over an object as "+who, tenPut(t.Context(), c, bucket, "k", "overwritten"))
	tenDenied(t, "PutObject of a new key as "+who, tenPut(t.Context(), c, bucket, "new", "x"))
	eq(t, "object content", string(e.Get(bucket, "k")), "full's object")
	wantAbsent(t, e, bucket, "new")
}

// tenWantDeleteDenied fails the case unless c, the credentials of who, get
// 403 AccessDenied deleting "k" of a tenFullCase bucket, which remains.
func tenWantDeleteDenied(t T, e *Env, c *s3.Client, bucket, who string) {
	t.Helper()
	_, err := c.DeleteObject(t.Context(), &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("k")})
	tenDenied(t, "DeleteObject as "+who, err)
	eq(t, "object content", string(e.Get(bucket, "k")), "full's object")
}

var tenSeq atomic.Int64

// tenScoped returns the scoped bucket, created with the Full credentials
// when missing (it is never deleted), and a fresh sub-prefix of the scoped
// prefix for this case. Objects under it are deleted when the case ends.
func tenScoped(t T, e *Env) (bucket, prefix string) {
	t.Helper()
	tenNeed(t, e, "scoped", e.Target.Scoped)
	if e.Target.ScopedBucket == "" {
		t.Skipf("the target names no scoped bucket for its scoped credentials")
	}
	bucket = e.Target.ScopedBucket
	if !bucketExists(t, e, bucket) {
		_, err := e.SDK.CreateBucket(t.Context(), e.CreateBucketInput(bucket))
		var owned *types.BucketAlreadyOwnedByYou
		if err != nil && !errors.As(err, &owned) {
			t.Fatalf("CreateBucket %s (the scoped bucket): %v", bucket, err)
		}
	}
	prefix = fmt.Sprintf("%scf-%s-%d/", e.Target.ScopedPrefix, runID, tenSeq.Add(1))
	t.Cleanup(func() { tenDeletePrefix(t, e, bucket, prefix) })
	return bucket, prefix
}

// tenDeletePrefix deletes, with the Full credentials, every object under
// prefix in bucket.
func tenDeletePrefix(t T, e *Env, bucket, prefix string) {
	ctx := context.Background()
	p := s3.NewListObjectsV2Paginator(e.SDK, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Errorf("cleanup: listing %s/%s: %v", bucket, prefix, err)
			return
		}
		for _, o := range page.Contents {
			if _, err := e.SDK.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: o.Key}); err != nil {
				t.Errorf("cleanup: deleting %s/%s: %v", bucket, aws.ToString(o.Key), err)
			}
		}
	}
}

// tenOutsideKey is a key of the scoped bucket outside the scoped prefix,
// unique to the case; it is deleted when the case ends.
func tenOutsideKey(t T, e *Env, bucket string) string {
	key := fmt.Sprintf("cf-outside-%s-%d", runID, tenSeq.Add(1))
	t.Cleanup(func() {
		_, _ = e.SDK.DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	})
	return key
}

func tenPut(ctx context.Context, c *s3.Client, bucket, key, body string) error {
	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader([]byte(body))})
	return err
}

func tenGet(ctx context.Context, c *s3.Client, bucket, key string) error {
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err == nil {
		out.Body.Close()
	}
	return err
}

func tenList(ctx context.Context, c *s3.Client, bucket, prefix string) (*s3.ListObjectsV2Output, error) {
	in := &s3.ListObjectsV2Input{Bucket: aws.String(bucket)}
	if prefix != "" {
		in.Prefix = aws.String(prefix)
	}
	return c.ListObjectsV2(ctx, in)
}

func init() {
	register(
		tenOtherCase("get-object", "another project's credentials get 403 AccessDenied reading an object",
			ops("GetObject"), tenancyOtherProjectGetObject),
		tenOtherCase("put-object", "another project's credentials get 403 AccessDenied writing an object, which keeps its content",
			ops("PutObject"), tenancyOtherProjectPutObject),
		tenOtherCase("list-objects", "another project's credentials get 403 AccessDenied listing a bucket",
			ops("ListObjectsV2"), tenancyOtherProjectListObjects),
		tenOtherCase("head-bucket", "another project's credentials get 403 on HeadBucket of a bucket that exists",
			ops("HeadBucket"), tenancyOtherProjectHeadBucket),
		tenOtherCase("delete-object", "another project's credentials get 403 AccessDenied deleting an object, which remains",
			ops("DeleteObject"), tenancyOtherProjectDeleteObject),
		tenOtherCase("copy-object-from", "another project's credentials get 403 AccessDenied copying an object into their own bucket",
			ops("CopyObject"), tenancyOtherProjectCopyObjectFrom),
		Case{
			ID: "tenancy/other-project/delete-bucket", Feature: Tenancy, Ops: ops("DeleteBucket"),
			Desc: "another project's credentials get 403 AccessDenied deleting an (empty) bucket, which remains",
			Run:  tenancyOtherProjectDeleteBucket,
		},
		Case{
			ID: "tenancy/other-project/list-buckets", Feature: Tenancy, Ops: ops("ListBuckets"),
			Desc: "ListBuckets with another project's credentials lists that project's buckets and none of this one's",
			Run:  tenancyOtherProjectListBuckets,
		},
		Case{
			ID: "tenancy/other-project/create-taken-name", Feature: Tenancy, Ops: ops("CreateBucket"),
			Desc: "creating a bucket whose name another project owns gives 409 BucketAlreadyExists",
			Run:  tenancyOtherProjectCreateTakenName,
		},
		tenReadOnlyCase("read", "read-only credentials can get, head and list the project's objects",
			ops("GetObject", "HeadObject", "ListObjectsV2"), tenancyReadOnlyRead),
		tenReadOnlyCase("put-denied", "read-only credentials get 403 AccessDenied writing, and nothing changes",
			ops("PutObject"), tenancyReadOnlyPutDenied),
		tenReadOnlyCase("delete-denied", "read-only credentials get 403 AccessDenied deleting, and the object remains",
			ops("DeleteObject"), tenancyReadOnlyDeleteDenied),
		Case{
			ID: "tenancy/scoped/inside-prefix", Feature: Tenancy, Ops: ops("PutObject", "GetObject", "HeadObject"),
			Desc: "scoped credentials can put, get and head objects under their prefix in their bucket",
			Run:  tenancyScopedInsidePrefix,
		},
		Case{
			ID: "tenancy/scoped/outside-prefix", Feature: Tenancy, Ops: ops("PutObject", "GetObject"),
			Desc: "scoped credentials get 403 AccessDenied for keys of their bucket outside their prefix, and nothing changes",
			Run:  tenancyScopedOutsidePrefix,
		},
		Case{
			ID: "tenancy/scoped/other-bucket", Feature: Tenancy, Ops: ops("PutObject", "GetObject", "ListObjectsV2"),
			Desc: "scoped credentials get 403 AccessDenied on another bucket of the same project, even under their prefix",
			Run:  tenancyScopedOtherBucket,
		},
		Case{
			ID: "tenancy/scoped/list-buckets", Feature: Tenancy, Ops: ops("ListBuckets"),
			Desc: "ListBuckets with credentials scoped to one bucket lists that bucket and no other bucket of the project",
			Run:  tenancyScopedListBuckets,
		},
		Case{
			ID: "tenancy/scoped/list-inside-prefix", Feature: Tenancy, Ops: ops("ListObjectsV2"),
			Desc: "scoped credentials can list their bucket with a prefix inside their prefix",
			Run:  tenancyScopedListInsidePrefix,
		},
		Case{
			ID: "tenancy/scoped/delete-objects-mixed", Feature: Tenancy, Ops: ops("DeleteObjects"),
			Desc: "DeleteObjects by scoped credentials deletes the key inside the prefix and reports AccessDenied for, and keeps, the key outside",
			Run:  tenancyScopedDeleteObjectsMixed,
		},
	)

	// Listings of the scoped bucket outside the scoped prefix.
	for _, c := range []struct{ name, desc, prefix, what string }{
		{"list-no-prefix", "scoped credentials get 403 AccessDenied listing their bucket without a prefix",
			"", "ListObjectsV2 without prefix as scoped"},
		{"list-outside-prefix", "scoped credentials get 403 AccessDenied listing their bucket with a prefix outside their prefix",
			"cf-outside-", "ListObjectsV2 with an outside prefix as scoped"},
	} {
		register(Case{
			ID: "tenancy/scoped/" + c.name, Feature: Tenancy, Ops: ops("ListObjectsV2"), Desc: c.desc,
			Run: tenancyScopedListDenied(c.prefix, c.what),
		})
	}
}

func tenancyOtherProjectGetObject(t T, e *Env, other *s3.Client, b string) {
	tenDenied(t, "GetObject as the other project", tenGet(t.Context(), other, b, "k"))
}

func tenancyOtherProjectPutObject(t T, e *Env, other *s3.Client, b string) {
	tenWantWritesDenied(t, e, other, b, "the other project")
}

func tenancyOtherProjectListObjects(t T, e *Env, other *s3.Client, b string) {
	_, err := tenList(t.Context(), other, b, "")
	tenDenied(t, "ListObjectsV2 as the other project", err)
}

func tenancyOtherProjectHeadBucket(t T, e *Env, other *s3.Client, b string) {
	wantStatus(t, e.RequestAs(e.Target.Other, http.MethodHead, b, "").Expect(), http.StatusForbidden)
}

func tenancyOtherProjectDeleteObject(t T, e *Env, other *s3.Client, b string) {
	tenWantDeleteDenied(t, e, other, b, "the other project")
}

func tenancyOtherProjectCopyObjectFrom(t T, e *Env, other *s3.Client, b string) {
	dst := tenOtherBucket(t, e, other)
	_, err := other.CopyObject(t.Context(), &s3.CopyObjectInput{
		Bucket: aws.String(dst), Key: aws.String("stolen"), CopySource: aws.String(b + "/k"),
	})
	tenDenied(t, "CopyObject from the Full project as the other project", err)
	_, err = other.HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String(dst), Key: aws.String("stolen")})
	if HTTPStatus(err) != http.StatusNotFound {
		t.Fatalf("HeadObject of the copy target: %v, want 404", err)
	}
}

func tenancyOtherProjectDeleteBucket(t T, e *Env) {
	tenNeed(t, e, "other-project", e.Target.Other)
	b := e.NewBucket()
	_, err := e.SDKAs(e.Target.Other).DeleteBucket(t.Context(), &s3.DeleteBucketInput{Bucket: aws.String(b)})
	tenDenied(t, "DeleteBucket as the other project", err)
	if !bucketExists(t, e, b) {
		t.Fatalf("bucket %s is gone after the other project's refused DeleteBucket", b)
	}
}

func tenancyOtherProjectListBuckets(t T, e *Env) {
	tenNeed(t, e, "other-project", e.Target.Other)
	mine := e.NewBucket()
	other := e.SDKAs(e.Target.Other)
	theirs := tenOtherBucket(t, e, other)
	names := tenBucketNames(t, other, "the other project")
	if slices.Contains(names, mine) {
		t.Fatalf("the other project's ListBuckets shows %s, a bucket of the Full project: %q", mine, names)
	}
	if !slices.Contains(names, theirs) {
		t.Fatalf("the other project's ListBuckets misses its own bucket %s: %q", theirs, names)
	}
}

func tenancyOtherProjectCreateTakenName(t T, e *Env) {
	tenNeed(t, e, "other-project", e.Target.Other)
	b := e.NewBucket()
	_, err := e.SDKAs(e.Target.Other).CreateBucket(t.Context(), e.CreateBucketInput(b))
	wantCode(t, err, "BucketAlreadyExists", http.StatusConflict)
	e.PutString(b, "still-mine", "x")
}

func tenancyReadOnlyRead(t T, e *Env, ro *s3.Client, b string) {
	mustf(t, tenGet(t.Context(), ro, b, "k"), "GetObject as read-only")
	_, err := ro.HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("k")})
	mustf(t, err, "HeadObject as read-only")
	l, err := tenList(t.Context(), ro, b, "")
	mustf(t, err, "ListObjectsV2 as read-only")
	wantStrings(t, "listed keys", keysOf(l.Contents), []string{"k"})
}

func tenancyReadOnlyPutDenied(t T, e *Env, ro *s3.Client, b string) {
	tenWantWritesDenied(t, e, ro, b, "read-only")
}

func tenancyReadOnlyDeleteDenied(t T, e *Env, ro *s3.Client, b string) {
	tenWantDeleteDenied(t, e, ro, b, "read-only")
}

func tenancyScopedInsidePrefix(t T, e *Env) {
	b, prefix := tenScoped(t, e)
	sc := e.SDKAs(e.Target.Scoped)
	key := prefix + "obj"
	mustf(t, tenPut(t.Context(), sc, b, key, "scoped content"), "PutObject as scoped")
	mustf(t, tenGet(t.Context(), sc, b, key), "GetObject as scoped")
	_, err := sc.HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String(key)})
	mustf(t, err, "HeadObject as scoped")
	eq(t, "stored content", string(e.Get(b, key)), "scoped content")
}

func tenancyScopedOutsidePrefix(t T, e *Env) {
	b, _ := tenScoped(t, e)
	sc := e.SDKAs(e.Target.Scoped)
	existing := tenOutsideKey(t, e, b)
	e.PutString(b, existing, "outside")
	tenDenied(t, "GetObject outside the prefix as scoped", tenGet(t.Context(), sc, b, existing))
	tenDenied(t, "PutObject over a key outside the prefix as scoped", tenPut(t.Context(), sc, b, existing, "overwritten"))
	fresh := tenOutsideKey(t, e, b)
	tenDenied(t, "PutObject of a new key outside the prefix as scoped", tenPut(t.Context(), sc, b, fresh, "x"))
	eq(t, "object content", string(e.Get(b, existing)), "outside")
	wantAbsent(t, e, b, fresh)
}

func tenancyScopedOtherBucket(t T, e *Env) {
	tenNeed(t, e, "scoped", e.Target.Scoped)
	b := tenFullBucket(e)
	key := e.Target.ScopedPrefix + "k"
	e.PutString(b, key, "other bucket")
	sc := e.SDKAs(e.Target.Scoped)
	tenDenied(t, "GetObject in another bucket as scoped", tenGet(t.Context(), sc, b, key))
	tenDenied(t, "PutObject in another bucket as scoped", tenPut(t.Context(), sc, b, e.Target.ScopedPrefix+"new", "x"))
	_, err := tenList(t.Context(), sc, b, e.Target.ScopedPrefix)
	tenDenied(t, "ListObjectsV2 of another bucket as scoped", err)
	wantAbsent(t, e, b, e.Target.ScopedPrefix+"new")
}

func tenancyScopedListBuckets(t T, e *Env) {
	scoped, _ := tenScoped(t, e)
	other := tenFullBucket(e)
	names := tenBucketNames(t, e.SDKAs(e.Target.Scoped), "scoped")
	if slices.Contains(names, other) {
		t.Fatalf("scoped ListBuckets shows %s, a bucket outside its scope: %q", other, names)
	}
	if !slices.Contains(names, scoped) {
		t.Fatalf("scoped ListBuckets misses its own bucket %s: %q", scoped, names)
	}
}

func tenancyScopedListInsidePrefix(t T, e *Env) {
	b, prefix := tenScoped(t, e)
	putKeys(e, b, prefix+"a", prefix+"b/c")
	out, err := tenList(t.Context(), e.SDKAs(e.Target.Scoped), b, prefix)
	mustf(t, err, "ListObjectsV2 as scoped with prefix %s", prefix)
	wantStrings(t, "listed keys", keysOf(out.Contents), []string{prefix + "a", prefix + "b/c"})
}

func tenancyScopedDeleteObjectsMixed(t T, e *Env) {
	b, prefix := tenScoped(t, e)
	inside := prefix + "doomed"
	outside := tenOutsideKey(t, e, b)
	putKeys(e, b, inside, outside)
	out, err := e.SDKAs(e.Target.Scoped).DeleteObjects(t.Context(), &s3.DeleteObjectsInput{
		Bucket: aws.String(b),
		Delete: &types.Delete{Objects: []types.ObjectIdentifier{{Key: aws.String(inside)}, {Key: aws.String(outside)}}},
	})
	mustf(t, err, "DeleteObjects as scoped")
	var deleted []string
	for _, d := range out.Deleted {
		deleted = append(deleted, aws.ToString(d.Key))
	}
	wantStrings(t, "Deleted keys", deleted, []string{inside})
	if len(out.Errors) != 1 || aws.ToString(out.Errors[0].Key) != outside || aws.ToString(out.Errors[0].Code) != "AccessDenied" {
		var got []string
		for _, er := range out.Errors {
			got = append(got, aws.ToString(er.Key)+": "+aws.ToString(er.Code))
		}
		t.Fatalf("DeleteObjects errors = %q, want exactly %s: AccessDenied", got, outside)
	}
	wantAbsent(t, e, b, inside)
	if !objectExists(t, e, b, outside) {
		t.Fatalf("%s was deleted by scoped credentials outside their prefix", outside)
	}
}

// tenancyScopedListDenied makes the tenancy/scoped/list-*-prefix case of
// a listing with prefix outside the scoped prefix (what names it in a
// failure).
func tenancyScopedListDenied(prefix, what string) func(t T, e *Env) {
	return func(t T, e *Env) {
		b, _ := tenScoped(t, e)
		_, err := tenList(t.Context(), e.SDKAs(e.Target.Scoped), b, prefix)
		tenDenied(t, what, err)
	}
}
