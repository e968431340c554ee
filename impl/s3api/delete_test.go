package s3api

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/s3gw/gateway/impl/auth"
	"github.com/s3gw/gateway/impl/auth/sigv4"
	"github.com/s3gw/gateway/impl/storage"
)

// deleteRecorder is a backend that only records DeleteObjects.
type deleteRecorder struct {
	storage.Backend
	deleted []string
}

func (d *deleteRecorder) DeleteObjects(_ context.Context, _ string, objs []storage.ObjectDelete) ([]error, error) {
	for _, o := range objs {
		d.deleted = append(d.deleted, o.Key)
	}
	return make([]error, len(objs)), nil
}

// TestDeleteObjectsDigest: DeleteObjects needs Content-MD5 or an
// x-amz-checksum-* value, as a header or as a trailer of an aws-chunked
// body declared in x-amz-trailer, and checks whichever it gets.
func TestDeleteObjectsDigest(t *testing.T) {
	body := `<Delete><Object><Key>k</Key></Object></Delete>`
	md5sum := md5.Sum([]byte(body))
	goodMD5 := base64.StdEncoding.EncodeToString(md5sum[:])
	crc := func(s string) string {
		var b [4]byte
		binary.BigEndian.PutUint32(b[:], crc32.ChecksumIEEE([]byte(s)))
		return base64.StdEncoding.EncodeToString(b[:])
	}
	sum := sha256.Sum256([]byte(body))
	chunked := func(trailer string) string {
		s := fmt.Sprintf("%x\r\n%s\r\n0\r\n", len(body), body)
		if trailer != "" {
			s += "x-amz-checksum-crc32:" + trailer + "\r\n"
		}
		return s + "\r\n"
	}
	for _, c := range []struct {
		name, body string
		headers    map[string]string
		status     int
		code       string
	}{
		{"nothing", body, nil, 400, "InvalidRequest"},
		{"x-amz-content-sha256 only", body, map[string]string{"X-Amz-Content-Sha256": hex.EncodeToString(sum[:])}, 400, "InvalidRequest"},
		{"Content-MD5", body, map[string]string{"Content-MD5": goodMD5}, 200, ""},
		{"wrong Content-MD5", body, map[string]string{"Content-MD5": base64.StdEncoding.EncodeToString(make([]byte, 16))}, 400, "BadDigest"},
		{"malformed Content-MD5", body, map[string]string{"Content-MD5": "abc"}, 400, "InvalidDigest"},
		{"crc32 header", body, map[string]string{"X-Amz-Checksum-Crc32": crc(body)}, 200, ""},
		{"wrong crc32 header", body, map[string]string{"X-Amz-Checksum-Crc32": crc("other")}, 400, "BadDigest"},
		{"crc32 and Content-MD5", body, map[string]string{"X-Amz-Checksum-Crc32": crc(body), "Content-MD5": goodMD5}, 200, ""},
		{"right crc32, wrong Content-MD5", body, map[string]string{"X-Amz-Checksum-Crc32": crc(body), "Content-MD5": base64.StdEncoding.EncodeToString(make([]byte, 16))}, 400, "BadDigest"},
		{"crc32 trailer", chunked(crc(body)), map[string]string{"X-Amz-Content-Sha256": sigv4.StreamingUnsignedTrailer, "X-Amz-Trailer": "x-amz-checksum-crc32",
			"X-Amz-Decoded-Content-Length": fmt.Sprint(len(body))}, 200, ""},
		{"wrong crc32 trailer", chunked(crc("other")), map[string]string{"X-Amz-Content-Sha256": sigv4.StreamingUnsignedTrailer, "X-Amz-Trailer": "x-amz-checksum-crc32",
			"X-Amz-Decoded-Content-Length": fmt.Sprint(len(body))}, 400, "BadDigest"},
		{"declared trailer not sent", chunked(""), map[string]string{"X-Amz-Content-Sha256": sigv4.StreamingUnsignedTrailer, "X-Amz-Trailer": "x-amz-checksum-crc32",
			"X-Amz-Decoded-Content-Length": fmt.Sprint(len(body))}, 400, "MalformedTrailerError"},
		{"aws-chunked without a trailer", chunked(""), map[string]string{"X-Amz-Content-Sha256": sigv4.StreamingUnsignedTrailer,
			"X-Amz-Decoded-Content-Length": fmt.Sprint(len(body))}, 400, "InvalidRequest"},
	} {
		be := &deleteRecorder{}
		authn := auth.AuthenticatorFunc(func(r *http.Request, target auth.Target) (*auth.Principal, error) {
			p, err := auth.Anonymous.Authenticate(r, target)
			if err != nil {
				return nil, err
			}
			return p, sigv4.WrapAnonymousBody(r) // decodes aws-chunked bodies and their trailers
		})
		h := New(Options{Backend: be, Owners: owners(), Auth: authn, Prefix: "/s3"})
		r := httptest.NewRequest(http.MethodPost, "/s3/b?delete", strings.NewReader(c.body))
		for k, v := range c.headers {
			r.Header.Set(k, v)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != c.status || (c.code != "" && !strings.Contains(w.Body.String(), "<Code>"+c.code+"</Code>")) {
			t.Errorf("%s: %d %s, want %d %s", c.name, w.Code, w.Body.String(), c.status, c.code)
			continue
		}
		if deleted := len(be.deleted) > 0; deleted != (c.status == 200) {
			t.Errorf("%s: deleted %v", c.name, be.deleted)
		}
	}
}
