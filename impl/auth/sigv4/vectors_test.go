package sigv4

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/s3gw/gateway/impl/auth/credentials"
	"github.com/s3gw/gateway/impl/s3err"
)

const vectorsDir = "../../../fixtures/aws-signing-test-suite/v4"

type vectorContext struct {
	Credentials struct {
		AccessKeyID     string `json:"access_key_id"`
		SecretAccessKey string `json:"secret_access_key"`
		Token           string `json:"token"`
	} `json:"credentials"`
	Normalize bool      `json:"normalize"`
	Region    string    `json:"region"`
	Service   string    `json:"service"`
	Timestamp time.Time `json:"timestamp"`
}

// appliesToS3 tells the cases whose signature assumes path normalisation,
// which S3 does not do (their -unnormalized twins apply), from the rest.
func appliesToS3(ctx vectorContext, path string) bool {
	if !ctx.Normalize {
		return true
	}
	return !strings.Contains(path, "//") && !strings.Contains(path, "/./") && !strings.Contains(path, "/../") &&
		!strings.HasSuffix(path, "/.") && !strings.HasSuffix(path, "/..")
}

// readVectorRequest parses a request file with the reader net/http's server
// uses. A request line holding a raw space is not valid HTTP; a client sends
// it percent-encoded, so that is what the server sees.
func readVectorRequest(t *testing.T, path string) *http.Request {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	raw = bytes.ReplaceAll(raw, []byte("\r\n"), []byte("\n"))
	first, rest, _ := bytes.Cut(raw, []byte("\n"))
	method, tail, _ := bytes.Cut(first, []byte(" "))
	i := bytes.LastIndex(tail, []byte(" HTTP/"))
	target := bytes.ReplaceAll(tail[:i], []byte(" "), []byte("%20"))
	head, body, _ := bytes.Cut(rest, []byte("\n\n"))
	var msg bytes.Buffer
	fmt_ := func(b []byte) { msg.Write(b) }
	fmt_(method)
	fmt_([]byte(" "))
	fmt_(target)
	fmt_(tail[i:])
	fmt_([]byte("\r\n"))
	for _, line := range bytes.Split(head, []byte("\n")) {
		fmt_(line)
		fmt_([]byte("\r\n"))
	}
	fmt_([]byte("\r\n"))
	fmt_(body)
	req, err := http.ReadRequest(bufio.NewReader(&msg))
	if err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}
	return req
}

// TestOfficialVectors verifies the signed request of every AWS vector that
// applies to S3, in header and query form, through the same Verify the
// gateway calls.
func TestOfficialVectors(t *testing.T) {
	dirs, err := os.ReadDir(vectorsDir)
	if err != nil {
		t.Fatal(err)
	}
	ran := 0
	for _, d := range dirs {
		name := d.Name()
		var vc vectorContext
		b, err := os.ReadFile(filepath.Join(vectorsDir, name, "context.json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &vc); err != nil {
			t.Fatal(err)
		}
		for _, form := range []string{"header", "query"} {
			t.Run(name+"/"+form, func(t *testing.T) {
				req := readVectorRequest(t, filepath.Join(vectorsDir, name, form+"-signed-request.txt"))
				applies := appliesToS3(vc, req.URL.EscapedPath())
				v := &Verifier{
					Region:  vc.Region,
					MaxSkew: 15 * time.Minute,
					Now:     func() time.Time { return vc.Timestamp.Add(time.Minute) },
					Lookup: func(_ context.Context, ak string) (*credentials.Record, error) {
						if ak != vc.Credentials.AccessKeyID {
							return nil, credentials.ErrUnknownKey
						}
						return &credentials.Record{AccessKey: ak, SecretKey: vc.Credentials.SecretAccessKey, ProjectID: "p"}, nil
					},
					service: vc.Service,
					payloadHash: func(r *http.Request, _ bool) (string, error) {
						body, _ := io.ReadAll(r.Body)
						r.Body = io.NopCloser(bytes.NewReader(body))
						sum := sha256.Sum256(body)
						return hex.EncodeToString(sum[:]), nil
					},
				}
				_, err := v.Verify(req)
				if !applies {
					// Signed over a normalised path, which S3 never
					// computes: accepting it would be the bug.
					if e, ok := s3err.As(err); !ok || e.Code != "SignatureDoesNotMatch" {
						t.Fatalf("a signature over the normalised path: %v, want SignatureDoesNotMatch", err)
					}
					return
				}
				if vc.Credentials.Token != "" {
					// Session tokens are refused with a clear error.
					if e, ok := s3err.As(err); !ok || e.Code != "InvalidToken" {
						t.Fatalf("with a session token: %v, want InvalidToken", err)
					}
					return
				}
				if err != nil {
					want, _ := os.ReadFile(filepath.Join(vectorsDir, name, form+"-canonical-request.txt"))
					ours := appendCanonicalRequest(nil, req, signedHeadersOf(req, form), "<payload>", form == "query")
					t.Fatalf("%v\nour canonical request:\n%s\nthe vector's:\n%s", err, ours, want)
				}
				ran++
			})
		}
	}
	if ran < 40 {
		t.Fatalf("only %d vector forms verified; the fixtures look incomplete", ran)
	}
}

func signedHeadersOf(r *http.Request, form string) string {
	if form == "query" {
		return r.URL.Query().Get("X-Amz-SignedHeaders")
	}
	_, sh, _ := strings.Cut(r.Header.Get("Authorization"), "SignedHeaders=")
	sh, _, _ = strings.Cut(sh, ",")
	return sh
}
