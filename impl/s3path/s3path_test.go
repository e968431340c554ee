package s3path

import (
	"fmt"
	"strings"
	"testing"

	"github.com/s3gw/gateway/impl/s3err"
)

func TestSplit(t *testing.T) {
	const (
		ok         = ""
		outside    = "InvalidRequest"
		invalidURI = "InvalidURI"
	)
	cases := []struct {
		path, prefix, bucket, key string
		code                      string // the S3 error code, ok for none
	}{
		{"/s3/", "/s3", "", "", ok},
		{"/s3", "/s3", "", "", ok},
		{"/s3/b", "/s3", "b", "", ok},
		{"/s3/b/", "/s3", "b", "", ok},
		{"/s3/b/k", "/s3", "b", "k", ok},
		{"/s3/b/a//b", "/s3", "b", "a//b", ok},
		{"/s3/b/a%2Fb", "/s3", "b", "a/b", ok},
		{"/s3/b/trailing/", "/s3", "b", "trailing/", ok},
		{"/s3/b/../x", "/s3", "b", "../x", ok},
		{"/s3/b/%3F%23%25+", "/s3", "b", "?#%+", ok},
		{"/s3/b/%E6%97%A5", "/s3", "b", "日", ok},
		{"/s3/b%2Dx/k", "/s3", "b-x", "k", ok},
		{"/s3/b/%zz", "/s3", "", "", invalidURI},
		{"/s3/%zz/k", "/s3", "", "", invalidURI},
		{"/s3x/b", "/s3", "", "", outside},
		{"/other", "/s3", "", "", outside},
		{"", "/s3", "", "", outside},
		{"/b/k", "", "b", "k", ok},
		{"/", "", "", "", ok},
		// An empty first segment is not the service (ListBuckets).
		{"/s3//b/k", "/s3", "", "", invalidURI},
		{"/s3//", "/s3", "", "", invalidURI},
		{"/s3//b", "/s3", "", "", invalidURI},
		{"//b/k", "", "", "", invalidURI},
		{"//", "", "", "", invalidURI},
	}
	for _, c := range cases {
		b, k, err := Split(c.path, c.prefix)
		code := ok
		if err != nil {
			e, isS3 := s3err.As(err)
			if !isS3 {
				t.Errorf("Split(%q, %q): %v is not an S3 error", c.path, c.prefix, err)
				continue
			}
			code = e.Code
			if code == outside && e.Message != "The request path is outside the S3 API." {
				t.Errorf("Split(%q, %q): message %q", c.path, c.prefix, e.Message)
			}
		}
		if code != c.code || b != c.bucket || k != c.key {
			t.Errorf("Split(%q, %q) = %q, %q, %v; want %q, %q, code %q", c.path, c.prefix, b, k, err, c.bucket, c.key, c.code)
		}
	}
}

// FuzzSplit checks that a key escaped as the SDKs escape it comes back
// exactly, whatever bytes it holds, and that any path parses or fails
// cleanly with an S3 error.
func FuzzSplit(f *testing.F) {
	for _, k := range []string{"a", "a//b", "../x", "%", "?#", "日本", " +"} {
		f.Add(k)
	}
	f.Fuzz(func(t *testing.T, key string) {
		var b strings.Builder
		for i := 0; i < len(key); i++ {
			c := key[i]
			if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-_.~/", c) >= 0 {
				b.WriteByte(c)
			} else {
				fmt.Fprintf(&b, "%%%02X", c)
			}
		}
		bucket, got, err := Split("/s3/bkt/"+b.String(), "/s3")
		if err != nil || bucket != "bkt" || got != key {
			t.Fatalf("key %q: got %q, %q, %v", key, bucket, got, err)
		}
		if _, _, err := Split(key, "/s3"); err != nil {
			if _, isS3 := s3err.As(err); !isS3 {
				t.Fatalf("path %q: %v is not an S3 error", key, err)
			}
		}
	})
}

func TestValidBucketName(t *testing.T) {
	good := []string{"abc", "a-b.c", "123", strings.Repeat("a", 63), "my.bucket.name", "a1-b2", "z09", "9yz", "0-z"}
	bad := []string{"", "ab", strings.Repeat("a", 64), "ABC", "a_b", "-ab", "ab-", ".ab", "ab.", "a..b", "a.-b", "a-.b",
		"192.168.5.4", "xn--abc", "sthree-abc", "abc-s3alias", "abc--ol-s3", "a b", "abc.mrap", "amzn-s3-demo-x", "abc--x-s3", "abc--table-s3"}
	for _, n := range good {
		if !ValidBucketName(n) {
			t.Errorf("%q refused", n)
		}
	}
	for _, n := range bad {
		if ValidBucketName(n) {
			t.Errorf("%q accepted", n)
		}
	}
}
