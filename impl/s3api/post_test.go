package s3api

import (
	"bytes"
	"context"
	"encoding/base64"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"strconv"
	"strings"
	"testing"

	"github.com/s3gw/gateway/impl/auth"
	"github.com/s3gw/gateway/impl/auth/sigv4"
	"github.com/s3gw/gateway/impl/storage"
	"github.com/s3gw/gateway/impl/storage/mem"
	"github.com/s3gw/gateway/impl/tenancy"
)

// acceptAny stands for the signature check, which sigv4's and presign's
// tests cover: it lets every form through as the anonymous principal.
type acceptAny struct{}

func (acceptAny) VerifyPolicy(context.Context, sigv4.Policy) (*auth.Principal, error) {
	return &auth.Principal{Project: auth.AnonymousProject, Anonymous: true}, nil
}

// postForm builds a form with fields, then a file part with headers.
func buildForm(t *testing.T, fields [][2]string, fileHeader textproto.MIMEHeader, file string) (string, *bytes.Buffer) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, f := range fields {
		w.WriteField(f[0], f[1])
	}
	fw, err := w.CreatePart(fileHeader)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write([]byte(file))
	w.Close()
	return w.FormDataContentType(), &buf
}

func signedFields(policy string) [][2]string {
	return [][2]string{{"key", "up/x"}, {"policy", base64.StdEncoding.EncodeToString([]byte(policy))},
		{"x-amz-algorithm", "AWS4-HMAC-SHA256"}, {"x-amz-credential", "AK/20260101/us-east-1/s3/aws4_request"},
		{"x-amz-date", "20260101T000000Z"}, {"x-amz-signature", "00"}}
}

const postPolicy = `{"expiration":"2100-01-01T00:00:00Z","conditions":[{"bucket":"b"},["starts-with","$key","up/"],
	{"x-amz-algorithm":"AWS4-HMAC-SHA256"},{"x-amz-credential":"AK/20260101/us-east-1/s3/aws4_request"},{"x-amz-date":"20260101T000000Z"}]}`

// TestPostIgnoresFilePartContentType: the file part's own Content-Type,
// which no policy condition sees, does not become the object's: an
// uploader cannot store text/html where the signer allowed no type.
func TestPostIgnoresFilePartContentType(t *testing.T) {
	be := mem.New()
	if err := be.CreateBucket(t.Context(), "b"); err != nil {
		t.Fatal(err)
	}
	h := New(Options{Backend: be, Owners: tenancy.NewMemory(), Auth: auth.Anonymous, PostPolicy: acceptAny{}, Prefix: "/s3", MaxBodyBytes: 1 << 20})
	hdr := textproto.MIMEHeader{}
	hdr.Set("Content-Disposition", `form-data; name="file"; filename="evil.html"`)
	hdr.Set("Content-Type", "text/html")
	ct, body := buildForm(t, signedFields(postPolicy), hdr, "<script>alert(1)</script>")
	r := httptest.NewRequest(http.MethodPost, "/s3/b", body)
	r.Header.Set("Content-Type", ct)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusNoContent {
		t.Fatalf("POST: %d %s", w.Code, w.Body)
	}
	info, _, err := be.StatObject(t.Context(), "b", "up/x", storage.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if info.ContentType == "text/html" {
		t.Errorf("stored Content-Type %q from the file part", info.ContentType)
	}
}

// TestPostFieldsLimit: everything before the file counts against S3's
// 20 KB, part headers and empty parts included, before any signature is
// checked.
func TestPostFieldsLimit(t *testing.T) {
	h := New(Options{Backend: mem.New(), Owners: tenancy.NewMemory(), Auth: auth.Anonymous, PostPolicy: acceptAny{}, Prefix: "/s3", MaxBodyBytes: 1 << 20})
	for _, c := range []struct {
		name  string
		build func(w *multipart.Writer)
	}{
		{"big headers", func(w *multipart.Writer) {
			for range 20 {
				hdr := textproto.MIMEHeader{}
				hdr.Set("Content-Disposition", `form-data; name=""`)
				hdr.Set("X-Pad", strings.Repeat("p", 10<<10))
				w.CreatePart(hdr)
			}
		}},
		{"empty parts", func(w *multipart.Writer) {
			for range 1000 {
				w.WriteField("", "")
			}
		}},
		{"big value", func(w *multipart.Writer) { w.WriteField("x-amz-meta-a", strings.Repeat("v", 30<<10)) }},
	} {
		var buf bytes.Buffer
		w := multipart.NewWriter(&buf)
		c.build(w)
		fw, _ := w.CreateFormFile("file", "f")
		fw.Write([]byte("x"))
		w.Close()
		r := httptest.NewRequest(http.MethodPost, "/s3/b", &buf)
		r.Header.Set("Content-Type", w.FormDataContentType())
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "MaxPostPreDataLengthExceeded") {
			t.Errorf("%s: %d %s, want 400 MaxPostPreDataLengthExceeded", c.name, rec.Code, rec.Body)
		}
	}
}

// TestPostRefusesWhatPutRefuses: a form field standing for a header the
// gateway refuses on a PUT (tagging, SSE-KMS) is refused the same way,
// even when the policy names it, and nothing is stored.
func TestPostRefusesWhatPutRefuses(t *testing.T) {
	be := mem.New()
	if err := be.CreateBucket(t.Context(), "b"); err != nil {
		t.Fatal(err)
	}
	h := New(Options{Backend: be, Owners: tenancy.NewMemory(), Auth: auth.Anonymous, PostPolicy: acceptAny{}, Prefix: "/s3", MaxBodyBytes: 1 << 20})
	for _, f := range [][2]string{{"tagging", "<Tagging><TagSet><Tag><Key>a</Key><Value>b</Value></Tag></TagSet></Tagging>"},
		{"x-amz-server-side-encryption", "aws:kms"}} {
		policy := strings.Replace(postPolicy, `{"bucket":"b"},`, `{"bucket":"b"},{"`+f[0]+`":`+strconv.Quote(f[1])+`},`, 1)
		hdr := textproto.MIMEHeader{}
		hdr.Set("Content-Disposition", `form-data; name="file"; filename="f"`)
		ct, body := buildForm(t, append(signedFields(policy), f), hdr, "x")
		r := httptest.NewRequest(http.MethodPost, "/s3/b", body)
		r.Header.Set("Content-Type", ct)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusNotImplemented {
			t.Errorf("%s: %d %s, want 501", f[0], w.Code, w.Body)
		}
		if _, _, err := be.StatObject(t.Context(), "b", "up/x", storage.ReadOptions{}); err == nil {
			t.Errorf("%s: the refused upload was stored", f[0])
		}
	}
}
