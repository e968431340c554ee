package credentials

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	good := []struct {
		name, json string
		keys       []string
	}{
		{"array", `[{"access_key":"b","secret_key":"s","project_id":"p"},{"access_key":"a","secret_key":"s","project_id":"p","ops":["get"]}]`, []string{"a", "b"}},
		{"map, key implied", ` {"k1":{"secret_key":"s","project_id":"p"}} `, []string{"k1"}},
		{"map, key repeated", `{"k1":{"access_key":"k1","secret_key":"s","project_id":"p"}}`, []string{"k1"}},
		{"empty array", `[]`, nil},
	}
	for _, c := range good {
		recs, err := Parse([]byte(c.json))
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		var keys []string
		for _, r := range recs {
			keys = append(keys, r.AccessKey)
		}
		if strings.Join(keys, ",") != strings.Join(c.keys, ",") {
			t.Errorf("%s: keys %q, want %q (sorted)", c.name, keys, c.keys)
		}
	}

	bad := []struct{ name, json, want string }{
		{"empty", "  ", "empty"},
		{"not JSON", "nope", "array or an object"},
		{"array of junk", `[1]`, "invalid credentials JSON"},
		{"map of junk", `{"k":1}`, "invalid credentials JSON"},
		{"unknown field", `[{"access_key":"a","secret_key":"s","project_id":"p","colour":"red"}]`, "invalid credentials JSON"},
		{"trailing data", `[] []`, "trailing data"},
		{"map key mismatch", `{"k1":{"access_key":"k2","secret_key":"s","project_id":"p"}}`, `entry "k1" has access_key "k2"`},
		{"no secret", `[{"access_key":"a","project_id":"p"}]`, "secret_key is empty"},
		{"no project", `[{"access_key":"a","secret_key":"s"}]`, "project_id is empty"},
		{"no key", `[{"secret_key":"s","project_id":"p"}]`, "access_key is empty"},
		{"unknown op", `[{"access_key":"a","secret_key":"s","project_id":"p","ops":["write"]}]`, `unknown op "write"`},
		{"duplicate", `[{"access_key":"a","secret_key":"s","project_id":"p"},{"access_key":"a","secret_key":"t","project_id":"p"}]`, "listed twice"},
	}
	for _, c := range bad {
		_, err := Parse([]byte(c.json))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), `"s"`) {
			t.Errorf("%s: error %q quotes a secret", c.name, err)
		}
	}
}
