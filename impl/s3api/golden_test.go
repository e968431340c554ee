package s3api

import (
	"encoding/xml"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/s3gw/gateway/impl/s3err"
)

var update = flag.Bool("update", false, "rewrite the golden files under fixtures/golden/s3api")

// TestGoldenXML pins the exact documents the gateway sends, so a change in
// element names, order or omission shows up as a diff against S3's shapes.
func TestGoldenXML(t *testing.T) {
	mod := time.Date(2026, 5, 6, 7, 8, 9, 123e6, time.UTC)
	v1Marker, count := "", 2
	own := &owner{ID: "prj_demo", DisplayName: "prj_demo"}
	docs := map[string]any{
		"error.xml": s3err.Document{Code: "NoSuchKey", Message: "The specified key does not exist.", Key: "a/b",
			Resource: "/s3/bkt/a/b", RequestID: "4442587FB7D0A2F9", HostID: "4442587FB7D0A2F9"},
		"error-details.xml": s3err.RequestHeaderSectionTooLarge.WithDetails(s3err.Detail{Name: "MaxSizeAllowed", Value: "8192"}).
			Document("/s3/bkt/a/b", "4442587FB7D0A2F9"),
		"list-v2.xml": listBucketResult{Xmlns: xmlns, Name: "bkt", Prefix: "a/", KeyCount: &count, MaxKeys: 2,
			Delimiter: "/", IsTruncated: true, ContinuationToken: "tok1", NextContinuationToken: "tok2",
			Contents:       []objectEntry{{Key: "a/x", LastModified: isoTime(mod), ETag: quote("0cc175b9c0f1b6a831c399e269772661"), Size: 1, StorageClass: "STANDARD"}},
			CommonPrefixes: []commonPrefix{{Prefix: "a/d/"}}},
		"list-v1.xml": listBucketResult{Xmlns: xmlns, Name: "bkt", Prefix: "", Marker: &v1Marker, MaxKeys: 1000,
			Contents: []objectEntry{{Key: "k", LastModified: isoTime(mod), ETag: quote("d41d8cd98f00b204e9800998ecf8427e"), Size: 0, Owner: own, StorageClass: "STANDARD"}}},
		"list-buckets.xml": listAllMyBucketsResult{Xmlns: xmlns, Owner: *own,
			Buckets: []bucketEntry{{Name: "a-bucket", CreationDate: isoTime(mod), BucketRegion: "us-east-1"}}},
		"delete-result.xml": deleteResult{Xmlns: xmlns, Deleted: []deletedEntry{{Key: "gone"}},
			Errors: []deleteFailure{{Key: "x", Code: "AccessDenied", Message: "Access Denied"}}},
		"copy-result.xml": copyObjectResult{Xmlns: xmlns, LastModified: isoTime(mod), ETag: quote("0cc175b9c0f1b6a831c399e269772661")},
		"location.xml":    locationConstraint{Xmlns: xmlns},
		"list-versions.xml": listVersionsResult{Xmlns: xmlns, Name: "bkt", Prefix: "a/", KeyMarker: "a/0", VersionIDMarker: "null",
			NextKeyMarker: "a/x", NextVersionIDMarker: "null", MaxKeys: 2, Delimiter: "/", IsTruncated: true,
			Versions: []objectVersion{{Key: "a/x", VersionID: "null", IsLatest: true, LastModified: isoTime(mod),
				ETag: quote("0cc175b9c0f1b6a831c399e269772661"), Size: 1, Owner: own, StorageClass: "STANDARD",
				ChecksumAlgorithm: []string{"CRC32"}, ChecksumType: "FULL_OBJECT"}},
			CommonPrefixes: []commonPrefix{{Prefix: "a/d/"}}},
	}
	for name, v := range docs {
		out, err := xml.MarshalIndent(v, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		got := xml.Header + string(out) + "\n"
		path := filepath.Join("..", "..", "fixtures", "golden", "s3api", name)
		if *update {
			if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./impl/s3api -run TestGoldenXML -update to create it)", err)
		}
		if got != string(want) {
			t.Errorf("%s differs from the golden file:\n--- got\n%s\n--- want\n%s", name, got, want)
		}
	}
}
