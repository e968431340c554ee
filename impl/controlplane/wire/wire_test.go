package wire

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// The golden bodies are the bytes each side has put on the wire since
// before this package existed. A change here is a change of the contract:
// the other implementations of either side must change with it.
func TestGoldenJSON(t *testing.T) {
	at := time.Date(2026, 11, 28, 20, 0, 0, 0, time.UTC)
	cases := []struct {
		name   string
		value  any
		golden string
	}{
		{"resolve request", ResolveKeyRequest{AccessKey: "AKID"}, `{"access_key":"AKID"}`},
		{"resolve answer, minimal", ResolveKeyResponse{AccessKey: "AKID", SecretKey: "s", ProjectID: "p"},
			`{"access_key":"AKID","secret_key":"s","project_id":"p"}`},
		{"resolve answer, scoped",
			ResolveKeyResponse{AccessKey: "AKID", SecretKey: "s", ProjectID: "p", Bucket: "b", Prefix: "x/",
				Ops: []string{"get", "list"}, Region: "eu-west-1", Service: "s3"},
			`{"access_key":"AKID","secret_key":"s","project_id":"p","bucket":"b","prefix":"x/","ops":["get","list"],"region":"eu-west-1","service":"s3"}`},
		{"verify request", VerifyTokenRequest{Token: "tok", Op: "get", Bucket: "b", Key: "x/k"},
			`{"bucket":"b","key":"x/k","op":"get","token":"tok"}`},
		{"verify request, no bucket", VerifyTokenRequest{Token: "tok", Op: "list"},
			`{"bucket":"","key":"","op":"list","token":"tok"}`},
		{"grant, minimal", Grant{ProjectID: "p", ExpiresAt: at},
			`{"project_id":"p","expires_at":"2026-11-28T20:00:00Z"}`},
		{"grant, scoped", Grant{ProjectID: "p", Bucket: "b", Prefix: "x/", Ops: []string{"get", "put"}, ExpiresAt: at},
			`{"project_id":"p","bucket":"b","prefix":"x/","ops":["get","put"],"expires_at":"2026-11-28T20:00:00Z"}`},
		{"usage batch",
			UsageBatch{Events: []UsageEvent{
				{ProjectID: "p", Bucket: "b", Op: "PutObject", BytesIn: 10, Status: 200, At: at, RequestID: "r1"},
				{ProjectID: "p", Op: "ListBuckets", BytesOut: 7, Status: 403, At: at.Add(time.Millisecond), RequestID: "r2"},
			}},
			`{"events":[` +
				`{"project_id":"p","bucket":"b","op":"PutObject","bytes_in":10,"bytes_out":0,"status":200,"at":"2026-11-28T20:00:00Z","request_id":"r1"},` +
				`{"project_id":"p","bucket":"","op":"ListBuckets","bytes_in":0,"bytes_out":7,"status":403,"at":"2026-11-28T20:00:00.001Z","request_id":"r2"}]}`},
		{"usage batch, empty", UsageBatch{}, `{"events":null}`},
		{"usage accepted", UsageAccepted{Accepted: 2}, `{"accepted":2}`},
		{"refusal", Refusal{Reason: "token expired"}, `{"reason":"token expired"}`},
		{"health", Health{OK: true}, `{"ok":true}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := json.Marshal(c.value)
			if err != nil {
				t.Fatalf("marshal: %v", err)
			}
			if string(got) != c.golden {
				t.Errorf("marshal:\n got %s\nwant %s", got, c.golden)
			}
			// The receiving side decodes strictly, as the mock does: the
			// golden body must have no field the type lacks.
			back := reflect.New(reflect.TypeOf(c.value))
			dec := json.NewDecoder(bytes.NewReader([]byte(c.golden)))
			dec.DisallowUnknownFields()
			if err := dec.Decode(back.Interface()); err != nil {
				t.Fatalf("unmarshal: %v", err)
			}
			if !reflect.DeepEqual(back.Elem().Interface(), c.value) {
				t.Errorf("round trip:\n got %+v\nwant %+v", back.Elem().Interface(), c.value)
			}
		})
	}
}

// The paths, methods, statuses and header are as much the contract as the
// bodies are.
func TestConstants(t *testing.T) {
	cases := []struct {
		name      string
		got, want any
	}{
		{"resolve", MethodResolveKey + " " + PathResolveKey, "POST /v1/sigv4/resolve"},
		{"verify", MethodVerifyToken + " " + PathVerifyToken, "POST /v1/macaroons/verify"},
		{"usage", MethodUsage + " " + PathUsage, "POST /v1/usage"},
		{"health", MethodHealth + " " + PathHealth, "GET /healthz"},
		{"unknown key", StatusUnknownKey, 404},
		{"invalid token", StatusTokenInvalid, 401},
		{"forbidden token", StatusTokenForbidden, 403},
		{"bad request", StatusBadRequest, 400},
		{"usage accepted", StatusUsageAccepted, 202},
		{"auth header", AuthHeader, "Authorization"},
		{"bearer", Bearer("s3cr3t"), "Bearer s3cr3t"},
		{"content type", ContentType, "application/json"},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("%s: %v, want %v", c.name, c.got, c.want)
		}
	}
}
