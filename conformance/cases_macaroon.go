package conformance

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/gavv/httpexpect/v2"
	"gopkg.in/macaroon.v2"
)

// Cases for bearer tokens (macaroons minted by the control plane, sent as
// "Authorization: Bearer <token>"): a token allows what its caveats allow
// and nothing else (403 AccessDenied), an expired token is 400
// ExpiredToken, a malformed, forged or tampered one 400 InvalidToken, and a
// holder can narrow a token with a caveat of its own but never widen it.
// The control plane's caveat format is
//
//	project_id = P, bucket = B, prefix = X, ops = get,put, expires = RFC 3339
//
// and a caveat it does not understand invalidates the token. Also here: the
// access keys only the control plane knows (SIGV4_PROVIDER=hybrid).

// macNeed skips the case unless the target claims bearer tokens and has a
// control plane and a project for Full.
func macNeed(t T, e *Env) {
	t.Helper()
	needClaim(t, e, Macaroon)
	cpNeed(t, e)
	if e.Target.Project == "" {
		t.Skipf("the target names no project for its full credentials (project): tokens cannot be minted for its buckets")
	}
}

// macReq starts a raw request that carries a bearer token and nothing else.
func macReq(e *Env, token, method, bucket, key string) *httpexpect.Request {
	return e.Unsigned(method, bucket, key).WithHeader("Authorization", "Bearer "+token)
}

// macToken mints a token of Full's project.
func macToken(t T, e *Env, bucket, prefix string, ops ...string) string {
	t.Helper()
	return cpMint(t, e, cpMintRequest{ProjectID: e.Target.Project, Bucket: bucket, Prefix: prefix, Ops: ops})
}

// macDecode parses a token as the control plane encodes it: a binary
// macaroon in base64url, with or without padding.
func macDecode(t T, token string) *macaroon.Macaroon {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(token, "="))
	if err != nil {
		t.Fatalf("token is not base64url: %v", err)
	}
	var m macaroon.Macaroon
	if err := m.UnmarshalBinary(raw); err != nil {
		t.Fatalf("token is not a binary macaroon: %v", err)
	}
	return &m
}

// macEncode encodes a macaroon the way the control plane does.
func macEncode(t T, m *macaroon.Macaroon) string {
	t.Helper()
	b, err := m.MarshalBinary()
	mustf(t, err, "encode macaroon")
	return base64.RawURLEncoding.EncodeToString(b)
}

// macAttenuate returns token with first-party caveats added by its holder.
func macAttenuate(t T, token string, caveats ...string) string {
	t.Helper()
	m := macDecode(t, token)
	for _, c := range caveats {
		mustf(t, m.AddFirstPartyCaveat([]byte(c)), "add caveat %q", c)
	}
	return macEncode(t, m)
}

// macDenied fails the case unless resp is 403 AccessDenied.
func macDenied(t T, resp *httpexpect.Response) {
	t.Helper()
	wantError(t, resp, http.StatusForbidden, "AccessDenied")
}

// macRefused fails the case unless resp refuses the token: 400 InvalidToken
// (the token is invalid) or 403 AccessDenied (it does not allow this).
func macRefused(t T, resp *httpexpect.Response) {
	t.Helper()
	st := resp.Raw().StatusCode
	if st != http.StatusBadRequest && st != http.StatusForbidden {
		t.Fatalf("HTTP status = %d, want 400 InvalidToken or 403 AccessDenied\nbody: %s", st, quoteIfString(resp.Body().Raw()))
	}
	doc := parseError(t, resp)
	if (st == http.StatusBadRequest && doc.Code != "InvalidToken") || (st == http.StatusForbidden && doc.Code != "AccessDenied") {
		t.Fatalf("HTTP %d with error <Code> %q, want 400 InvalidToken or 403 AccessDenied", st, doc.Code)
	}
}

// macListKeys lists a bucket with a token through ListObjectsV2 (raw) and
// returns the status and the listed keys.
func macListKeys(t T, e *Env, token, bucket, prefix string) (*httpexpect.Response, []string) {
	t.Helper()
	req := macReq(e, token, http.MethodGet, bucket, "").WithQuery("list-type", "2")
	if prefix != "" {
		req = req.WithQuery("prefix", prefix)
	}
	resp := req.Expect()
	if resp.Raw().StatusCode != http.StatusOK {
		return resp, nil
	}
	var out struct {
		Contents []struct {
			Key string `xml:"Key"`
		} `xml:"Contents"`
	}
	if err := xml.Unmarshal([]byte(resp.Body().Raw()), &out); err != nil {
		t.Fatalf("ListObjectsV2 body: %v", err)
	}
	keys := make([]string, len(out.Contents))
	for i, c := range out.Contents {
		keys[i] = c.Key
	}
	return resp, keys
}

// macTokenBucket creates a bucket with a token (so the token's project owns
// it) and deletes it, and what it holds, with the token when the case ends.
func macTokenBucket(t T, e *Env, token string) string {
	t.Helper()
	name := e.BucketName()
	req := macReq(e, token, http.MethodPut, name, "")
	if body := e.CreateBucketBody(); body != nil {
		req = req.WithBytes(body)
	}
	req.Expect().Status(http.StatusOK)
	t.Cleanup(func() { macDropBucket(t, e, token, name) })
	return name
}

// macDropBucket empties and deletes a bucket with a token, reporting (not
// failing on) errors: it runs in cleanups, after the case's context ended.
func macDropBucket(t T, e *Env, token, bucket string) {
	do := func(method, u string) (int, []byte, error) {
		req, err := http.NewRequestWithContext(context.Background(), method, u, nil)
		if err != nil {
			return 0, nil, err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := e.Target.HTTPClient().Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp.StatusCode, b, err
	}
	st, body, err := do(http.MethodGet, e.URL(bucket, "")+"?list-type=2")
	if err != nil || st != http.StatusOK {
		t.Errorf("cleanup: listing %s with its token: %d %v %s", bucket, st, err, body)
		return
	}
	var out struct {
		Contents []struct {
			Key string `xml:"Key"`
		} `xml:"Contents"`
	}
	if err := xml.Unmarshal(body, &out); err != nil {
		t.Errorf("cleanup: listing %s: %v", bucket, err)
		return
	}
	for _, c := range out.Contents {
		if st, body, err := do(http.MethodDelete, e.URL(bucket, c.Key)); err != nil || st != http.StatusNoContent {
			t.Errorf("cleanup: deleting %s/%s with its token: %d %v %s", bucket, c.Key, st, err, body)
		}
	}
	if st, body, err := do(http.MethodDelete, e.URL(bucket, "")); err != nil || st != http.StatusNoContent {
		t.Errorf("cleanup: deleting bucket %s with its token: %d %v %s", bucket, st, err, body)
	}
}

// macCase is a case of a bucket of Full's project holding "k" = "full's
// object", checked with tokens.
func macCase(id, desc string, opNames []string, run func(t T, e *Env, bucket string)) Case {
	return Case{
		ID: "macaroon/" + id, Feature: Macaroon, Ops: opNames, Desc: desc,
		Run: func(t T, e *Env) {
			macNeed(t, e)
			b := e.NewBucket()
			e.PutString(b, "k", "full's object")
			run(t, e, b)
		},
	}
}

// macInvalidCase checks that the token made by mk is refused with 400
// InvalidToken on a GET and a PUT, and changes nothing.
func macInvalidCase(id, desc string, mk func(t T, e *Env, bucket string) string) Case {
	return macCase("invalid/"+id, desc, ops("GetObject", "PutObject"), func(t T, e *Env, b string) {
		tok := mk(t, e, b)
		wantError(t, macReq(e, tok, http.MethodGet, b, "k").Expect(), http.StatusBadRequest, "InvalidToken")
		wantError(t, macReq(e, tok, http.MethodPut, b, "new").WithBytes([]byte("x")).Expect(), http.StatusBadRequest, "InvalidToken")
		wantAbsent(t, e, b, "new")
	})
}

func init() {
	register(
		macCase("allowed/put-get",
			"a token of the bucket's project with ops put,get can PUT an object and GET it back; the object is the bucket's like any other",
			ops("PutObject", "GetObject"), macaroonAllowedPutGet),
		macCase("allowed/head-list-delete",
			"a token without an ops caveat allows every operation on its bucket: HEAD, ListObjectsV2 and DELETE work",
			ops("HeadObject", "ListObjectsV2", "DeleteObject"), macaroonAllowedHeadListDelete),
		macCase("caveat/op-put",
			"a token whose ops caveat lacks put cannot PUT: 403 AccessDenied, nothing stored",
			ops("PutObject"), macaroonCaveatOpPut),
		macCase("caveat/op-delete",
			"a token whose ops caveat lacks delete cannot DELETE: 403 AccessDenied, the object stays",
			ops("DeleteObject"), macaroonCaveatOpDelete),
		macCase("caveat/op-get",
			"a token whose ops caveat is put only cannot GET: 403 AccessDenied",
			ops("GetObject"), macaroonCaveatOpGet),
		macCase("caveat/op-list",
			"a token whose ops caveat lacks list cannot list the bucket: 403 AccessDenied",
			ops("ListObjectsV2"), macaroonCaveatOpList),
		macCase("caveat/other-bucket",
			"a token with a bucket caveat reaches no other bucket of its project: GET and PUT there are 403 AccessDenied",
			ops("GetObject", "PutObject"), macaroonCaveatOtherBucket),
		macCase("caveat/key-outside-prefix",
			"a token with a prefix caveat writes and reads under the prefix only: outside it PUT and GET are 403 AccessDenied",
			ops("PutObject", "GetObject"), macaroonCaveatKeyOutsidePrefix),
		macCase("caveat/list-prefix-outside",
			"a token with a prefix caveat lists under its prefix only: a listing with another prefix, or none, is 403 AccessDenied",
			ops("ListObjectsV2"), macaroonCaveatListPrefixOutside),
		macCase("caveat/enforced-after-use",
			"a token that has already been accepted (a verifier may cache it) still gets 403 AccessDenied outside its caveats",
			ops("GetObject", "PutObject"), macaroonCaveatEnforcedAfterUse),
		macCase("expired/unused",
			"a token past its expiry is refused with 400 ExpiredToken",
			ops("GetObject"), macaroonExpiredUnused),
		macCase("expired/after-use",
			"a token accepted while valid is refused with 400 ExpiredToken once it expires: no cached acceptance outlives the token",
			ops("GetObject"), macaroonExpiredAfterUse),
		macInvalidCase("garbage",
			"a bearer token that is not a token at all is refused with 400 InvalidToken",
			macaroonInvalidGarbage),
		macInvalidCase("not-a-macaroon",
			"a bearer token that is valid base64url but not a macaroon is refused with 400 InvalidToken",
			macaroonInvalidNotAMacaroon),
		macInvalidCase("tampered-signature",
			"a token with one byte of its signature changed is refused with 400 InvalidToken",
			macaroonInvalidTamperedSignature),
		macInvalidCase("tampered-caveat",
			"a token whose ops caveat was edited from get to put (keeping its signature) is refused with 400 InvalidToken",
			macaroonInvalidTamperedCaveat),
		macInvalidCase("forged",
			"a macaroon with the right caveats but signed with another root key is refused with 400 InvalidToken",
			macaroonInvalidForged),
		macInvalidCase("unknown-caveat",
			"a token to which its holder added a caveat the control plane does not understand is refused with 400 InvalidToken",
			macaroonInvalidUnknownCaveat),
		macCase("attenuate/prefix",
			"a holder who adds a prefix caveat narrows the token: under the prefix works, outside is 403 AccessDenied; the original token is unchanged",
			ops("PutObject"), macaroonAttenuatePrefix),
		macCase("attenuate/ops",
			"a holder who adds an ops caveat narrows the token: GET still works, PUT is 403 AccessDenied",
			ops("GetObject", "PutObject"), macaroonAttenuateOps),
		macCase("attenuate/cannot-widen-prefix",
			"a caveat added by the holder cannot widen a token: a token for prefix in/ given \"prefix = out/\" still cannot write under out/",
			ops("PutObject"), macaroonAttenuateCannotWidenPrefix),
		macCase("attenuate/cannot-widen-ops",
			"a caveat added by the holder cannot widen a token: a get-only token given \"ops = get,put\" still cannot PUT",
			ops("PutObject"), macaroonAttenuateCannotWidenOps),
		macCase("attenuate/cannot-change-project",
			"a token of another project given a \"project_id\" caveat naming the bucket's project still cannot touch the bucket",
			ops("GetObject", "PutObject"), macaroonAttenuateCannotChangeProject),
		macCase("tenancy/other-project",
			"a token of another project, without bucket or ops caveats, gets 403 AccessDenied on a bucket of Full's project for GET, PUT, DELETE and listing",
			ops("GetObject", "PutObject", "DeleteObject", "ListObjectsV2"), macaroonTenancyOtherProject),
		Case{
			ID: "macaroon/tenancy/bucket-of-token-project", Feature: Macaroon, Ops: ops("CreateBucket", "PutObject", "GetObject"),
			Desc: "a bucket created with a token belongs to the token's project: its token reads and writes it, Full's key of another project gets 403 AccessDenied",
			Run:  macaroonTenancyBucketOfTokenProject,
		},
		Case{
			ID: "macaroon/control-plane-key/put-get", Feature: Macaroon, Ops: ops("PutObject", "GetObject"),
			Desc: "an access key only the control plane knows signs SigV4 requests like a local key: PUT and GET through the SDK work",
			Run:  macaroonControlPlaneKeyPutGet,
		},
		Case{
			ID: "macaroon/control-plane-key/unknown", Feature: Macaroon, Ops: ops("PutObject"),
			Desc: "an access key neither the gateway nor its control plane knows is refused with 403 InvalidAccessKeyId, nothing stored",
			Run:  macaroonControlPlaneKeyUnknown,
		},
	)
}

func macaroonAllowedPutGet(t T, e *Env, b string) {
	tok := macToken(t, e, b, "", "put", "get")
	body := []byte("written with a bearer token")
	resp := macReq(e, tok, http.MethodPut, b, "tok/obj").WithBytes(body).Expect()
	resp.Status(http.StatusOK)
	resp.Header("ETag").IsEqual(md5ETag(body))
	got := macReq(e, tok, http.MethodGet, b, "tok/obj").Expect()
	got.Status(http.StatusOK)
	got.Body().IsEqual(string(body))
	eq(t, "GetObject with the full key", string(e.Get(b, "tok/obj")), string(body))
}

func macaroonAllowedHeadListDelete(t T, e *Env, b string) {
	tok := macToken(t, e, b, "")
	head := macReq(e, tok, http.MethodHead, b, "k").Expect()
	head.Status(http.StatusOK)
	wantContentLength(t, head, len("full's object"))
	resp, keys := macListKeys(t, e, tok, b, "")
	resp.Status(http.StatusOK)
	wantStrings(t, "listed keys", keys, []string{"k"})
	macReq(e, tok, http.MethodDelete, b, "k").Expect().Status(http.StatusNoContent)
	wantAbsent(t, e, b, "k")
}

func macaroonCaveatOpPut(t T, e *Env, b string) {
	tok := macToken(t, e, b, "", "get", "head", "list")
	macDenied(t, macReq(e, tok, http.MethodPut, b, "new").WithBytes([]byte("x")).Expect())
	wantAbsent(t, e, b, "new")
}

func macaroonCaveatOpDelete(t T, e *Env, b string) {
	tok := macToken(t, e, b, "", "get", "put")
	macDenied(t, macReq(e, tok, http.MethodDelete, b, "k").Expect())
	if !objectExists(t, e, b, "k") {
		t.Fatalf("the object was deleted by a token without the delete op")
	}
}

func macaroonCaveatOpGet(t T, e *Env, b string) {
	tok := macToken(t, e, b, "", "put")
	macDenied(t, macReq(e, tok, http.MethodGet, b, "k").Expect())
}

func macaroonCaveatOpList(t T, e *Env, b string) {
	tok := macToken(t, e, b, "", "get", "put")
	resp, _ := macListKeys(t, e, tok, b, "")
	macDenied(t, resp)
}

func macaroonCaveatOtherBucket(t T, e *Env, b string) {
	other := e.NewBucket()
	e.PutString(other, "k", "other bucket")
	tok := macToken(t, e, b, "")
	macReq(e, tok, http.MethodGet, b, "k").Expect().Status(http.StatusOK)
	macDenied(t, macReq(e, tok, http.MethodGet, other, "k").Expect())
	macDenied(t, macReq(e, tok, http.MethodPut, other, "new").WithBytes([]byte("x")).Expect())
	wantAbsent(t, e, other, "new")
}

func macaroonCaveatKeyOutsidePrefix(t T, e *Env, b string) {
	e.PutString(b, "out/k", "outside")
	tok := macToken(t, e, b, "in/")
	macReq(e, tok, http.MethodPut, b, "in/k").WithBytes([]byte("inside")).Expect().Status(http.StatusOK)
	macReq(e, tok, http.MethodGet, b, "in/k").Expect().Status(http.StatusOK).Body().IsEqual("inside")
	macDenied(t, macReq(e, tok, http.MethodGet, b, "out/k").Expect())
	macDenied(t, macReq(e, tok, http.MethodGet, b, "k").Expect())
	macDenied(t, macReq(e, tok, http.MethodPut, b, "out/new").WithBytes([]byte("x")).Expect())
	wantAbsent(t, e, b, "out/new")
	// "in" without the slash is not under "in/".
	macDenied(t, macReq(e, tok, http.MethodPut, b, "in").WithBytes([]byte("x")).Expect())
	wantAbsent(t, e, b, "in")
}

func macaroonCaveatListPrefixOutside(t T, e *Env, b string) {
	putKeys(e, b, "in/a", "in/b", "out/c")
	tok := macToken(t, e, b, "in/", "list")
	resp, keys := macListKeys(t, e, tok, b, "in/")
	resp.Status(http.StatusOK)
	wantStrings(t, "keys listed under in/", keys, []string{"in/a", "in/b"})
	resp, _ = macListKeys(t, e, tok, b, "out/")
	macDenied(t, resp)
	resp, _ = macListKeys(t, e, tok, b, "")
	macDenied(t, resp)
}

func macaroonCaveatEnforcedAfterUse(t T, e *Env, b string) {
	other := e.NewBucket()
	e.PutString(other, "k", "other bucket")
	tok := macToken(t, e, b, "", "get")
	for range 3 {
		macReq(e, tok, http.MethodGet, b, "k").Expect().Status(http.StatusOK)
	}
	macDenied(t, macReq(e, tok, http.MethodPut, b, "new").WithBytes([]byte("x")).Expect())
	wantAbsent(t, e, b, "new")
	macDenied(t, macReq(e, tok, http.MethodGet, other, "k").Expect())
}

func macaroonExpiredUnused(t T, e *Env, b string) {
	tok := cpMint(t, e, cpMintRequest{ProjectID: e.Target.Project, Bucket: b, TTLSeconds: 1})
	time.Sleep(2100 * time.Millisecond)
	wantError(t, macReq(e, tok, http.MethodGet, b, "k").Expect(), http.StatusBadRequest, "ExpiredToken")
}

func macaroonExpiredAfterUse(t T, e *Env, b string) {
	minted := time.Now()
	tok := cpMint(t, e, cpMintRequest{ProjectID: e.Target.Project, Bucket: b, TTLSeconds: 3})
	macReq(e, tok, http.MethodGet, b, "k").Expect().Status(http.StatusOK)
	time.Sleep(time.Until(minted.Add(4100 * time.Millisecond)))
	wantError(t, macReq(e, tok, http.MethodGet, b, "k").Expect(), http.StatusBadRequest, "ExpiredToken")
}

func macaroonInvalidGarbage(t T, e *Env, b string) string { return "not-a-token!" }

func macaroonInvalidNotAMacaroon(t T, e *Env, b string) string {
	raw := make([]byte, 96)
	_, _ = rand.Read(raw)
	return base64.RawURLEncoding.EncodeToString(raw)
}

func macaroonInvalidTamperedSignature(t T, e *Env, b string) string {
	tok := macToken(t, e, b, "")
	m := macDecode(t, tok)
	raw, _ := base64.RawURLEncoding.DecodeString(strings.TrimRight(tok, "="))
	i := bytes.LastIndex(raw, m.Signature())
	if i < 0 {
		t.Fatalf("the token's signature is not in its encoding")
	}
	raw[i+len(m.Signature())-1] ^= 0x01
	return base64.RawURLEncoding.EncodeToString(raw)
}

func macaroonInvalidTamperedCaveat(t T, e *Env, b string) string {
	tok := macToken(t, e, b, "", "get")
	raw, _ := base64.RawURLEncoding.DecodeString(strings.TrimRight(tok, "="))
	if !bytes.Contains(raw, []byte("ops = get")) {
		t.Skipf("the control plane does not write an \"ops = get\" caveat: this case edits that caveat")
	}
	raw = bytes.Replace(raw, []byte("ops = get"), []byte("ops = put"), 1)
	return base64.RawURLEncoding.EncodeToString(raw)
}

func macaroonInvalidForged(t T, e *Env, b string) string {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	m, err := macaroon.New(key, []byte("forged-id"), "s3-gateway-control-plane", macaroon.V2)
	mustf(t, err, "new macaroon")
	for _, c := range []string{"project_id = " + e.Target.Project, "bucket = " + b,
		"expires = " + time.Now().Add(time.Hour).UTC().Format(time.RFC3339)} {
		mustf(t, m.AddFirstPartyCaveat([]byte(c)), "add caveat")
	}
	return macEncode(t, m)
}

func macaroonInvalidUnknownCaveat(t T, e *Env, b string) string {
	return macAttenuate(t, macToken(t, e, b, ""), "color = blue")
}

func macaroonAttenuatePrefix(t T, e *Env, b string) {
	tok := macToken(t, e, b, "")
	narrow := macAttenuate(t, tok, "prefix = in/")
	macReq(e, narrow, http.MethodPut, b, "in/k").WithBytes([]byte("inside")).Expect().Status(http.StatusOK)
	macDenied(t, macReq(e, narrow, http.MethodPut, b, "out/k").WithBytes([]byte("x")).Expect())
	wantAbsent(t, e, b, "out/k")
	macReq(e, tok, http.MethodPut, b, "out/k2").WithBytes([]byte("x")).Expect().Status(http.StatusOK)
}

func macaroonAttenuateOps(t T, e *Env, b string) {
	narrow := macAttenuate(t, macToken(t, e, b, "", "get", "put"), "ops = get")
	macReq(e, narrow, http.MethodGet, b, "k").Expect().Status(http.StatusOK).Body().IsEqual("full's object")
	macDenied(t, macReq(e, narrow, http.MethodPut, b, "new").WithBytes([]byte("x")).Expect())
	wantAbsent(t, e, b, "new")
}

func macaroonAttenuateCannotWidenPrefix(t T, e *Env, b string) {
	wide := macAttenuate(t, macToken(t, e, b, "in/"), "prefix = out/")
	macRefused(t, macReq(e, wide, http.MethodPut, b, "out/k").WithBytes([]byte("x")).Expect())
	wantAbsent(t, e, b, "out/k")
}

func macaroonAttenuateCannotWidenOps(t T, e *Env, b string) {
	wide := macAttenuate(t, macToken(t, e, b, "", "get"), "ops = get,put")
	macRefused(t, macReq(e, wide, http.MethodPut, b, "new").WithBytes([]byte("x")).Expect())
	wantAbsent(t, e, b, "new")
}

func macaroonAttenuateCannotChangeProject(t T, e *Env, b string) {
	if e.Target.OtherProject == "" {
		t.Skipf("the target names no other project (other_project_id)")
	}
	tok := cpMint(t, e, cpMintRequest{ProjectID: e.Target.OtherProject})
	wide := macAttenuate(t, tok, "project_id = "+e.Target.Project)
	macRefused(t, macReq(e, wide, http.MethodGet, b, "k").Expect())
	macRefused(t, macReq(e, wide, http.MethodPut, b, "new").WithBytes([]byte("x")).Expect())
	wantAbsent(t, e, b, "new")
}

func macaroonTenancyOtherProject(t T, e *Env, b string) {
	if e.Target.OtherProject == "" {
		t.Skipf("the target names no other project (other_project_id)")
	}
	tok := cpMint(t, e, cpMintRequest{ProjectID: e.Target.OtherProject})
	macDenied(t, macReq(e, tok, http.MethodGet, b, "k").Expect())
	macDenied(t, macReq(e, tok, http.MethodPut, b, "new").WithBytes([]byte("x")).Expect())
	macDenied(t, macReq(e, tok, http.MethodDelete, b, "k").Expect())
	resp, _ := macListKeys(t, e, tok, b, "")
	macDenied(t, resp)
	wantAbsent(t, e, b, "new")
	if !objectExists(t, e, b, "k") {
		t.Fatalf("another project's token deleted the object")
	}
}

func macaroonTenancyBucketOfTokenProject(t T, e *Env) {
	macNeed(t, e)
	tok := cpMint(t, e, cpMintRequest{ProjectID: cpFreshProject("tenancy")})
	b := macTokenBucket(t, e, tok)
	macReq(e, tok, http.MethodPut, b, "k").WithBytes([]byte("mine")).Expect().Status(http.StatusOK)
	macReq(e, tok, http.MethodGet, b, "k").Expect().Status(http.StatusOK).Body().IsEqual("mine")
	macDenied(t, e.Request(http.MethodGet, b, "k").Expect())
	macDenied(t, e.Request(http.MethodPut, b, "full").WithBytes([]byte("x")).Expect())
}

func macaroonControlPlaneKeyPutGet(t T, e *Env) {
	macNeed(t, e)
	if e.Target.ControlPlaneKey.AccessKey == "" {
		t.Skipf("the target names no access key known only to its control plane (control_plane_key)")
	}
	b := e.NewBucket()
	c := e.SDKAs(e.Target.ControlPlaneKey)
	body := []byte("signed with a key the control plane resolves")
	_, err := c.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("cp"), Body: bytes.NewReader(body)})
	mustf(t, err, "PutObject with the control-plane key")
	out, err := c.GetObject(t.Context(), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("cp")})
	mustf(t, err, "GetObject with the control-plane key")
	defer out.Body.Close()
	got, err := io.ReadAll(out.Body)
	mustf(t, err, "read GetObject body")
	eq(t, "body", string(got), string(body))
	eq(t, "GetObject with the full key", string(e.Get(b, "cp")), string(body))
}

func macaroonControlPlaneKeyUnknown(t T, e *Env) {
	macNeed(t, e)
	b := e.NewBucket()
	var r [8]byte
	_, _ = rand.Read(r[:])
	c := e.SDKAs(Credentials{AccessKey: fmt.Sprintf("CFUNKNOWN%X", r), SecretKey: "unknown-secret-key"})
	_, err := c.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("x"), Body: strings.NewReader("x")})
	wantCode(t, err, "InvalidAccessKeyId", http.StatusForbidden)
	wantAbsent(t, e, b, "x")
}
