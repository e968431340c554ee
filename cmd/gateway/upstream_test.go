package main

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/s3gw/gateway/conformance"
	"github.com/s3gw/gateway/conformance/launch"
	"github.com/s3gw/gateway/conformance/launch/ceph"
)

// TestTwoGatewaysOverCeph starts a single-node Ceph and two gateway
// processes with STORAGE_BACKEND=s3 in front of it, and checks that they
// are one service: what one writes the other reads, lists and deletes, a
// listing started on one continues on the other, one multipart upload takes
// parts through both, and a bucket one project claims through one gateway
// is another's through neither. The first steps of issue 13's scale-out
// tests; the whole suite over Ceph is still to come.
func TestTwoGatewaysOverCeph(t *testing.T) {
	c := ceph.StartForTest(t, ceph.Options{})
	env := map[string]string{
		"STORAGE_BACKEND": "s3", "UPSTREAM_ENDPOINT": c.Endpoints()[0], "UPSTREAM_REGION": c.Region,
		"UPSTREAM_ACCESS_KEY": c.AccessKey, "UPSTREAM_SECRET_KEY": c.SecretKey,
	}
	var clients, others []*s3.Client
	for range 2 {
		g, err := launch.Start(launch.Options{Dir: t.TempDir(), Env: env})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(g.Kill)
		clients = append(clients, conformance.NewSDKClient(g.Target(), g.Target().Full))
		others = append(others, conformance.NewSDKClient(g.Target(), g.Target().Other))
	}
	a, b := clients[0], clients[1]
	ctx := context.Background()
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	bkt := aws.String("scale-out")
	_, err := a.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: bkt})
	must("CreateBucket through gateway 1", err)
	_, err = others[1].CreateBucket(ctx, &s3.CreateBucketInput{Bucket: bkt})
	if code := conformance.ErrorCode(err); code != "BucketAlreadyExists" {
		t.Fatalf("another project's CreateBucket through gateway 2: %v, want BucketAlreadyExists", err)
	}
	_, err = others[1].HeadObject(ctx, &s3.HeadObjectInput{Bucket: bkt, Key: aws.String("k")})
	if err == nil {
		t.Fatal("another project read through gateway 2 a bucket claimed through gateway 1")
	}

	body := bytes.Repeat([]byte("0123456789abcdef"), 4096)
	for i, k := range []string{"a", "b", "c", "d", "e"} {
		_, err := clients[i%2].PutObject(ctx, &s3.PutObjectInput{Bucket: bkt, Key: aws.String(k), Body: bytes.NewReader(body)})
		must("PutObject "+k, err)
	}
	out, err := b.GetObject(ctx, &s3.GetObjectInput{Bucket: bkt, Key: aws.String("a")})
	must("GetObject through gateway 2", err)
	got, err := io.ReadAll(out.Body)
	out.Body.Close()
	must("reading the body", err)
	if !bytes.Equal(got, body) {
		t.Fatalf("gateway 2 read %d bytes, not what gateway 1 wrote", len(got))
	}

	// A listing paged across the two gateways sees every key once.
	var keys []string
	var token *string
	for page := 0; page < 10; page++ {
		res, err := clients[page%2].ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: bkt, MaxKeys: aws.Int32(2), ContinuationToken: token})
		must("ListObjectsV2", err)
		for _, o := range res.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
		if token = res.NextContinuationToken; token == nil {
			break
		}
	}
	if len(keys) != 5 || keys[0] != "a" || keys[4] != "e" {
		t.Fatalf("listing across gateways: %v", keys)
	}

	// One multipart upload: created on 1, parts through 2 and 1, completed on 2.
	up, err := a.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: bkt, Key: aws.String("mp")})
	must("CreateMultipartUpload", err)
	part1, part2 := bytes.Repeat([]byte("p"), 5<<20), []byte("tail")
	p1, err := b.UploadPart(ctx, &s3.UploadPartInput{Bucket: bkt, Key: aws.String("mp"), UploadId: up.UploadId, PartNumber: aws.Int32(1), Body: bytes.NewReader(part1)})
	must("UploadPart 1 through gateway 2", err)
	p2, err := a.UploadPart(ctx, &s3.UploadPartInput{Bucket: bkt, Key: aws.String("mp"), UploadId: up.UploadId, PartNumber: aws.Int32(2), Body: bytes.NewReader(part2)})
	must("UploadPart 2 through gateway 1", err)
	_, err = b.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: bkt, Key: aws.String("mp"), UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{
			{PartNumber: aws.Int32(1), ETag: p1.ETag}, {PartNumber: aws.Int32(2), ETag: p2.ETag}}}})
	must("CompleteMultipartUpload through gateway 2", err)
	head, err := a.HeadObject(ctx, &s3.HeadObjectInput{Bucket: bkt, Key: aws.String("mp"), PartNumber: aws.Int32(2)})
	must("HeadObject part 2 through gateway 1", err)
	if aws.ToInt64(head.ContentLength) != int64(len(part2)) || aws.ToInt32(head.PartsCount) != 2 {
		t.Fatalf("part 2: %d bytes of %d parts, want %d of 2", aws.ToInt64(head.ContentLength), aws.ToInt32(head.PartsCount), len(part2))
	}

	// Deleted through one, gone through the other.
	for _, k := range append(keys, "mp") {
		_, err := clients[len(k)%2].DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: bkt, Key: aws.String(k)})
		must("DeleteObject "+k, err)
	}
	if _, err := a.HeadObject(ctx, &s3.HeadObjectInput{Bucket: bkt, Key: aws.String("b")}); conformance.ErrorCode(err) != "NotFound" {
		t.Fatalf("HeadObject of a deleted key through gateway 1: %v", err)
	}
	_, err = b.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: bkt})
	must("DeleteBucket through gateway 2", err)
	_, err = others[0].CreateBucket(ctx, &s3.CreateBucketInput{Bucket: bkt})
	must("another project's CreateBucket once the name is free", err)
}
