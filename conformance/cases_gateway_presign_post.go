package conformance

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// The gateway's own browser upload forms: POST /v1/presign with
// {"method": "POST", "bucket", "key" or "key_prefix", "expires_in",
// "content_length_range": [min, max], "content_type": prefix} answers
// {"url", "method", "expires_at", "fields"}: the form's action and the
// fields to send before the file, whose policy the gateway signed. The
// caller's scope caps what the form may store.

// gpPostRequest is the body of POST /v1/presign for a form.
type gpPostRequest struct {
	Method             string  `json:"method"`
	Bucket             string  `json:"bucket"`
	Key                string  `json:"key,omitempty"`
	KeyPrefix          string  `json:"key_prefix,omitempty"`
	ExpiresIn          int64   `json:"expires_in"`
	ContentLengthRange []int64 `json:"content_length_range,omitempty"`
	Redirect           string  `json:"success_action_redirect,omitempty"`
}

// gpForm is its answer.
type gpForm struct {
	URL       string            `json:"url"`
	Method    string            `json:"method"`
	ExpiresAt time.Time         `json:"expires_at"`
	Fields    map[string]string `json:"fields"`
}

// gpMintForm mints a form with creds, failing the case unless it gets one.
func gpMintForm(t T, e *Env, creds Credentials, req gpPostRequest) gpForm {
	t.Helper()
	req.Method = "POST"
	body, _ := json.Marshal(req)
	resp := gpPost(e, creds, body)
	if st := resp.Raw().StatusCode; st != http.StatusOK {
		t.Fatalf("POST /v1/presign %+v: HTTP %d, want 200\nbody: %s", req, st, quoteIfString(resp.Body().Raw()))
	}
	var f gpForm
	if err := json.Unmarshal([]byte(resp.Body().Raw()), &f); err != nil || f.URL == "" || len(f.Fields) == 0 {
		t.Fatalf("POST /v1/presign for a form: answer %s (%v), want {url, fields}", resp.Body().Raw(), err)
	}
	eq(t, "method", f.Method, "POST")
	return f
}

// gpFormFields are a minted form's fields, the key replaced when key is
// not empty.
func gpFormFields(f gpForm, key string) []formField {
	var out []formField
	for name, v := range f.Fields {
		if name == "key" && key != "" {
			v = key
		}
		out = append(out, formField{name, v})
	}
	return out
}

func init() {
	register(
		gpCase("post/form-stores",
			"a form minted for a key prefix stores a file under the prefix by its name, with no credentials, and the form's URL is the bucket's",
			ops("Presign", "PostObject", "GetObject"), gatewayPresignPostStores),
		gpCase("post/key-outside-prefix",
			"a minted form refuses a key outside its prefix with 403 AccessDenied, and nothing is stored",
			ops("Presign", "PostObject"), gatewayPresignPostOutside),
		gpCase("post/size-range",
			"a minted form with a content_length_range refuses a larger file with 400 EntityTooLarge",
			ops("Presign", "PostObject"), gatewayPresignPostSize),
		gpCase("post/redirect",
			"a form minted with success_action_redirect carries that field, and a stored upload answers 303 to the URL with bucket, key and etag",
			ops("Presign", "PostObject"), gatewayPresignPostRedirect),
		gpCase("post/tampered-policy",
			"a minted form whose policy was changed is refused with 403 SignatureDoesNotMatch",
			ops("Presign", "PostObject"), gatewayPresignPostTampered),
		Case{
			ID: "gateway-presign/post/scope-capped", Feature: GatewayPresign, Ops: ops("Presign"),
			Desc: "scoped credentials cannot mint a form for a key prefix outside their scope (403), and can for one inside it",
			Run:  gatewayPresignPostScopeCapped,
		},
	)
}

func gatewayPresignPostStores(t T, e *Env, b string) {
	f := gpMintForm(t, e, e.Target.Full, gpPostRequest{Bucket: b, KeyPrefix: "uploads/", ExpiresIn: 600})
	if !strings.HasSuffix(f.URL, "/"+b) {
		t.Fatalf("form URL %q is not the bucket's", f.URL)
	}
	postSend(e, b, gpFormFields(f, ""), "photo.txt", []byte("from the form")).Status(http.StatusNoContent)
	eq(t, "object", string(e.Get(b, "uploads/photo.txt")), "from the form")
}

func gatewayPresignPostOutside(t T, e *Env, b string) {
	f := gpMintForm(t, e, e.Target.Full, gpPostRequest{Bucket: b, KeyPrefix: "uploads/", ExpiresIn: 600})
	wantError(t, postSend(e, b, gpFormFields(f, "elsewhere/x"), "x", []byte("x")), http.StatusForbidden, "AccessDenied")
	postNothingStored(t, e, b, "elsewhere/x")
}

func gatewayPresignPostSize(t T, e *Env, b string) {
	f := gpMintForm(t, e, e.Target.Full, gpPostRequest{Bucket: b, Key: "small", ExpiresIn: 600, ContentLengthRange: []int64{0, 4}})
	wantError(t, postSend(e, b, gpFormFields(f, ""), "small", []byte("too long")), http.StatusBadRequest, "EntityTooLarge")
	postNothingStored(t, e, b, "small")
}

func gatewayPresignPostRedirect(t T, e *Env, b string) {
	f := gpMintForm(t, e, e.Target.Full, gpPostRequest{Bucket: b, Key: "r", ExpiresIn: 600, Redirect: "https://app.example/done"})
	eq(t, "field success_action_redirect", f.Fields["success_action_redirect"], "https://app.example/done")
	resp := postSend(e, b, gpFormFields(f, ""), "r", []byte("back"))
	resp.Status(http.StatusSeeOther)
	loc := resp.Header("Location").Raw()
	if !strings.HasPrefix(loc, "https://app.example/done?") || !strings.Contains(loc, "key=r") || !strings.Contains(loc, "bucket="+b) {
		t.Fatalf("Location %q, want https://app.example/done with bucket and key", loc)
	}
}

func gatewayPresignPostTampered(t T, e *Env, b string) {
	f := gpMintForm(t, e, e.Target.Full, gpPostRequest{Bucket: b, Key: "k2", ExpiresIn: 600})
	other := gpMintForm(t, e, e.Target.Full, gpPostRequest{Bucket: b, KeyPrefix: "", ExpiresIn: 600})
	fields := gpFormFields(f, "")
	for i := range fields {
		if fields[i].name == "policy" {
			fields[i].value = other.Fields["policy"] // a valid policy, not the one signed
		}
	}
	wantError(t, postSend(e, b, fields, "k2", []byte("x")), http.StatusForbidden, "SignatureDoesNotMatch")
	postNothingStored(t, e, b, "k2")
}

func gatewayPresignPostScopeCapped(t T, e *Env) {
	b, prefix := tenScoped(t, e)
	outside, _ := json.Marshal(gpPostRequest{Method: "POST", Bucket: b, KeyPrefix: "outside-" + runID + "/", ExpiresIn: 600})
	gpWantError(t, gpPost(e, e.Target.Scoped, outside), http.StatusForbidden)
	f := gpMintForm(t, e, e.Target.Scoped, gpPostRequest{Bucket: b, KeyPrefix: prefix, ExpiresIn: 600})
	postSend(e, b, gpFormFields(f, ""), "f.txt", []byte("scoped")).Status(http.StatusNoContent)
	out, err := e.SDK.GetObject(t.Context(), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String(prefix + "f.txt")})
	mustf(t, err, "GetObject %s", prefix+"f.txt")
	out.Body.Close()
}
