package conformance

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/xml"
	"net/http"
	"strings"
)

// Cases that pin down defects a review found: each failed before its fix.
func init() {
	register(
		gpCase("scope/bucket-with-slash",
			"a bucket field holding a slash (which would move text into the key and past a prefix scope) is refused with 400 and mints no URL",
			ops("Presign"), gatewayPresignScopeBucketWithSlash),
		macCase("scope/delete-objects-with-prefix",
			"DeleteObjects with a prefix-scoped token deletes the keys inside the prefix and reports AccessDenied for the others, whether or not the token was used before",
			ops("DeleteObjects"), macaroonScopeDeleteObjectsWithPrefix),
	)
}

func gatewayPresignScopeBucketWithSlash(t T, e *Env, bucket string) {
	macNeed(t, e)
	tok := macToken(t, e, "", "datasets/")
	body := gpBody(t, gpRequest{Method: http.MethodGet, Bucket: bucket + "/private", Key: "datasets/secret", ExpiresIn: 60})
	gpWantError(t, gpPostBearer(e, tok, body), http.StatusBadRequest)
}

func macaroonScopeDeleteObjectsWithPrefix(t T, e *Env, bucket string) {
	e.PutString(bucket, "in/a", "x")
	e.PutString(bucket, "out/b", "x")
	tok := macToken(t, e, bucket, "in/")
	body := []byte(`<Delete><Object><Key>in/a</Key></Object><Object><Key>out/b</Key></Object></Delete>`)
	sum := md5.Sum(body)
	resp := macReq(e, tok, http.MethodPost, bucket, "").WithQuery("delete", "").
		WithHeader("Content-MD5", base64.StdEncoding.EncodeToString(sum[:])).WithBytes(body).Expect()
	resp.Status(http.StatusOK)
	var res struct {
		Deleted []struct{ Key string }
		Error   []struct{ Key, Code string }
	}
	mustf(t, xml.Unmarshal([]byte(resp.Body().Raw()), &res), "decode DeleteResult")
	if len(res.Deleted) != 1 || res.Deleted[0].Key != "in/a" || len(res.Error) != 1 ||
		res.Error[0].Key != "out/b" || res.Error[0].Code != "AccessDenied" {
		t.Fatalf("DeleteResult: %s", strings.TrimSpace(resp.Body().Raw()))
	}
	wantAbsent(t, e, bucket, "in/a")
	eq(t, "out/b still exists", objectExists(t, e, bucket, "out/b"), true)
}
