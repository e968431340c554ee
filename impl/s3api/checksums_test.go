package s3api

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"hash/crc32"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/s3gw/gateway/impl/s3err"
	"github.com/s3gw/gateway/impl/storage"
)

// The checksum headers of a write: what is refused, with which S3 error,
// and what is checked (the conformance suite checks the same against a
// running gateway; these pin each rule on its own).
func TestChecksumExpectations(t *testing.T) {
	const crc32 = "AAAAAA==" // well-formed, any value
	for _, c := range []struct {
		name    string
		headers []string // name, value pairs
		algs    []string // expected algorithms, in order
		msg     string   // S3 error message; "" for accepted
	}{
		{"none", nil, nil, ""},
		{"one", []string{"x-amz-checksum-crc32", crc32}, []string{"crc32"}, ""},
		{"new algorithm", []string{"X-Amz-Checksum-Xxhash64", "AAAAAAAAAAA="}, []string{"xxhash64"}, ""},
		{"type, algorithm and mode are not checksums", []string{"x-amz-checksum-type", "COMPOSITE",
			"x-amz-checksum-algorithm", "CRC32", "x-amz-checksum-mode", "ENABLED"}, nil, ""},
		{"unknown", []string{"x-amz-checksum-crc16", crc32}, nil, "The algorithm type you specified in x-amz-checksum- header is invalid."},
		{"two", []string{"x-amz-checksum-crc32", crc32, "x-amz-checksum-crc32c", crc32}, nil,
			"Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed."},
		{"two before unknown", []string{"x-amz-checksum-crc16", crc32, "x-amz-checksum-crc32c", crc32}, nil,
			"Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed."},
		{"empty", []string{"x-amz-checksum-sha512", ""}, nil, "Value for x-amz-checksum-sha512 header is invalid."},
		{"wrong length", []string{"x-amz-checksum-crc32", "AAAAAAAAAAA="}, nil, "Value for x-amz-checksum-crc32 header is invalid."},
		{"trailer", []string{"x-amz-trailer", "x-amz-checksum-md5"}, []string{"md5"}, ""},
		{"unknown trailer", []string{"x-amz-trailer", "x-amz-checksum-crc16"}, nil, "The value specified in the x-amz-trailer header is not supported"},
		{"header and trailer", []string{"x-amz-checksum-crc32", crc32, "x-amz-trailer", "x-amz-checksum-crc32c"}, nil,
			"Expecting a single x-amz-checksum- header"},
		{"two trailers", []string{"x-amz-trailer", "x-amz-checksum-crc32, x-amz-checksum-sha1"}, nil,
			"Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed."},
		{"header and two trailers", []string{"x-amz-checksum-crc32", crc32, "x-amz-trailer", "x-amz-checksum-crc32, x-amz-checksum-sha1"}, nil,
			"Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed."},
		{"sdk algorithm matching", []string{"x-amz-sdk-checksum-algorithm", "crc32", "x-amz-checksum-crc32", crc32}, []string{"crc32"}, ""},
	} {
		r := httptest.NewRequest(http.MethodPut, "/b/k", nil)
		for i := 0; i < len(c.headers); i += 2 {
			r.Header.Add(c.headers[i], c.headers[i+1])
		}
		exps, err := checksumExpectations(r)
		if c.msg != "" {
			e, ok := s3err.As(err)
			if !ok || e.Code != "InvalidRequest" || e.Message != c.msg {
				t.Errorf("%s: %v, want InvalidRequest %q", c.name, err, c.msg)
			}
			continue
		}
		if err != nil || len(exps) != len(c.algs) {
			t.Errorf("%s: %v, %d expectations, want %v", c.name, err, len(exps), c.algs)
			continue
		}
		for i, e := range exps {
			if e.Alg != c.algs[i] {
				t.Errorf("%s: algorithm %q, want %q", c.name, e.Alg, c.algs[i])
			}
		}
	}
}

func TestWithDefaultChecksum(t *testing.T) {
	if got := withDefaultChecksum(nil); len(got) != 1 || got[0].Alg != "crc64nvme" || got[0].Value != "" {
		t.Errorf("no checksum: %+v, want the CRC64NVME to compute", got)
	}
	r := httptest.NewRequest(http.MethodPut, "/b/k", nil)
	r.Header.Set("x-amz-checksum-crc32", "AAAAAA==")
	exps, _ := checksumExpectations(r)
	if got := withDefaultChecksum(exps); len(got) != 1 || got[0].Alg != "crc32" {
		t.Errorf("a checksum: %+v, want it alone", got)
	}
}

// Which checksum a copy computes: "" keeps the source's.
func TestCopyChecksum(t *testing.T) {
	full := storage.ObjectInfo{ChecksumType: "FULL_OBJECT", Metadata: storage.Metadata{Checksums: map[string]string{"crc32": "v"}}}
	composite := storage.ObjectInfo{ChecksumType: "COMPOSITE", Metadata: storage.Metadata{Checksums: map[string]string{"sha256": "v-2"}}}
	for _, c := range []struct {
		name, want string
		src        storage.ObjectInfo
		alg        string
	}{
		{"kept", "", full, ""},
		{"same algorithm asked", "", full, "crc32"},
		{"other algorithm asked", "sha512", full, "sha512"},
		{"composite source", "sha256", composite, ""},
		{"composite source, its algorithm asked", "sha256", composite, "sha256"},
		{"no checksum", "crc64nvme", storage.ObjectInfo{}, ""},
		{"no checksum, one asked", "md5", storage.ObjectInfo{}, "md5"},
	} {
		if got := copyChecksum(c.alg)(c.src); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
	h := http.Header{}
	h.Set("X-Amz-Checksum-Algorithm", "XXHASH3")
	if alg, err := copyChecksumAlgorithm(h); alg != "xxhash3" || err != nil {
		t.Errorf("XXHASH3: %q, %v", alg, err)
	}
	h.Set("X-Amz-Checksum-Algorithm", "CRC16")
	if _, err := copyChecksumAlgorithm(h); err != errChecksumAlgorithm {
		t.Errorf("CRC16: %v, want %v", err, errChecksumAlgorithm)
	}
}

// What CompleteMultipartUpload checks against the assembled object.
func TestCompleteChecks(t *testing.T) {
	const good, other = "AAAAAA==", "AAAAAQ=="
	full := storage.Upload{ChecksumAlgorithm: "crc32", ChecksumType: "FULL_OBJECT"}
	composite := storage.Upload{ChecksumAlgorithm: "crc32", ChecksumType: "COMPOSITE"}
	none := storage.Upload{}
	obj := func(alg, v string) storage.ObjectInfo {
		return storage.ObjectInfo{Size: 10, Metadata: storage.Metadata{Checksums: map[string]string{alg: v}}}
	}
	for _, c := range []struct {
		name    string
		up      storage.Upload
		headers []string
		obj     storage.ObjectInfo
		code    string // "" for accepted; parse errors and check errors alike
	}{
		{"nothing to check", full, nil, obj("crc32", good), ""},
		{"full-object value matches", full, []string{"x-amz-checksum-crc32", good}, obj("crc32", good), ""},
		{"full-object value differs", full, []string{"x-amz-checksum-crc32", other}, obj("crc32", good), "BadDigest"},
		{"full-object value malformed", full, []string{"x-amz-checksum-crc32", "x"}, obj("crc32", good), "InvalidRequest"},
		{"another algorithm's value is ignored", full, []string{"x-amz-checksum-sha1", "x"}, obj("crc32", good), ""},
		{"a composite upload's value is ignored", composite, []string{"x-amz-checksum-crc32", other}, obj("crc32", good), ""},
		{"default value of an upload without algorithm", none, []string{"x-amz-checksum-crc64nvme", "AAAAAAAAAAA="},
			obj("crc64nvme", "AAAAAAAAAAE="), "BadDigest"},
		{"no default to check against", none, []string{"x-amz-checksum-crc64nvme", "AAAAAAAAAAA="}, storage.ObjectInfo{Size: 10}, ""},
		{"unknown algorithm", full, []string{"x-amz-checksum-crc16", good}, obj("crc32", good), "InvalidRequest"},
		{"two algorithms", full, []string{"x-amz-checksum-crc32", good, "x-amz-checksum-sha1", good}, obj("crc32", good), "InvalidRequest"},
		{"type matches", composite, []string{"x-amz-checksum-type", "composite"}, obj("crc32", good), ""},
		{"type differs", composite, []string{"x-amz-checksum-type", "FULL_OBJECT"}, obj("crc32", good), "BadDigest"},
		{"type of an upload without algorithm", none, []string{"x-amz-checksum-type", "FULL_OBJECT"}, storage.ObjectInfo{Size: 10}, ""},
		{"type COMPOSITE of an upload without algorithm", none, []string{"x-amz-checksum-type", "COMPOSITE"}, storage.ObjectInfo{Size: 10}, "BadDigest"},
		{"type unknown", full, []string{"x-amz-checksum-type", "PARTIAL"}, obj("crc32", good), "InvalidRequest"},
		{"size matches", full, []string{"x-amz-mp-object-size", "10"}, obj("crc32", good), ""},
		{"size differs", full, []string{"x-amz-mp-object-size", "11"}, obj("crc32", good), "InvalidRequest"},
		{"size zero differs", full, []string{"x-amz-mp-object-size", "0"}, obj("crc32", good), "InvalidRequest"},
		{"size not a number", full, []string{"x-amz-mp-object-size", "ten"}, obj("crc32", good), "InvalidRequest"},
	} {
		h := http.Header{}
		for i := 0; i < len(c.headers); i += 2 {
			h.Add(c.headers[i], c.headers[i+1])
		}
		check, err := completeChecks(h, c.up)
		if err == nil {
			err = check(c.obj)
		}
		if c.code == "" {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
			continue
		}
		if e, ok := s3err.As(err); !ok || e.Code != c.code {
			t.Errorf("%s: %v, want %s", c.name, err, c.code)
		}
	}
}

// putRecorder is a backend that keeps the options of its last PutObject.
type putRecorder struct {
	storage.Backend
	opts storage.PutOptions
}

func (p *putRecorder) PutObject(ctx context.Context, bucket, key string, body io.Reader, opts storage.PutOptions) (storage.ObjectInfo, error) {
	p.opts = opts
	return p.Backend.PutObject(ctx, bucket, key, body, opts)
}

// TestPutDeclaredChecksums: a checksum sent as a header reaches the
// backend as metadata known before the body (a streaming backend sends it
// with the object); one computed or sent in a trailer only at the body's
// end; a body that does not match the header is stored by neither.
func TestPutDeclaredChecksums(t *testing.T) {
	a := newTestAPI(t)
	rec := &putRecorder{Backend: a.store}
	a.h.opts.Backend = rec
	good := base64.StdEncoding.EncodeToString(binary.BigEndian.AppendUint32(nil, crc32.ChecksumIEEE([]byte("hello"))))

	want(t, "declared", a.do("p", "PUT", "/s3/bkt/k", "hello", "X-Amz-Checksum-Crc32: "+good), 200, "")
	if rec.opts.LateChecksums != nil || rec.opts.Metadata.Checksums["crc32"] != good || len(rec.opts.Metadata.Checksums) != 1 {
		t.Errorf("declared: metadata checksums %v, late %v", rec.opts.Metadata.Checksums, rec.opts.LateChecksums != nil)
	}
	w := a.do("p", "GET", "/s3/bkt/k", "", "X-Amz-Checksum-Mode: ENABLED")
	if got := w.Header().Get("X-Amz-Checksum-Crc32"); got != good {
		t.Errorf("read back: checksum %q, want %q", got, good)
	}

	want(t, "mismatch", a.do("p", "PUT", "/s3/bkt/k2", "hellO", "X-Amz-Checksum-Crc32: "+good), 400, "BadDigest")
	want(t, "read after the mismatch", a.do("p", "GET", "/s3/bkt/k2", ""), 404, "NoSuchKey")

	want(t, "computed", a.do("p", "PUT", "/s3/bkt/k3", "hello"), 200, "")
	if rec.opts.LateChecksums == nil || len(rec.opts.Metadata.Checksums) != 0 {
		t.Errorf("computed: metadata checksums %v, late %v", rec.opts.Metadata.Checksums, rec.opts.LateChecksums != nil)
	}
}
