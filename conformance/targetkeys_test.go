package conformance

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLoadTargetUnknownKey checks that a misspelt key is refused with an
// error naming the file, the key, its line and the nearest known key.
func TestLoadTargetUnknownKey(t *testing.T) {
	const base = "name = \"x\"\nendpoint = \"http://127.0.0.1:9000\"\n[full]\naccess_key = \"a\"\nsecret_key = \"b\"\n"
	for _, c := range []struct {
		name string
		doc  string
		want []string
	}{
		{"top-level key", "control_plane_tokn = \"t\"\n" + base,
			[]string{`line 1: unknown key "control_plane_tokn"`, `did you mean "control_plane_token"?`}},
		{"key of a credential table", base + "secret_kye = \"c\"\n",
			[]string{`line 6: unknown key "full.secret_kye" in [full]`, `did you mean "secret_key"?`}},
		{"key of [container]", base + "[container]\nimag = \"x\"\n",
			[]string{`unknown key "container.imag" in [container]`, `did you mean "image"?`}},
		{"key of [command]", base + "[command]\nargv = [\"x\"]\nready_ulr = \"http://x\"\n",
			[]string{`unknown key "command.ready_ulr" in [command]`, `did you mean "ready_url"?`}},
		{"misspelt table", base + "[read_olny]\naccess_key = \"c\"\n",
			[]string{`unknown key "read_olny"`, `did you mean "read_only"?`}},
		{"top-level key under a table", base + "project = \"p\"\n",
			[]string{`line 6: unknown key "full.project" in [full] ("project" is a top-level key: put it before the first [table])`}},
		{"nothing near", "colour = \"blue\"\n" + base,
			[]string{`line 1: unknown key "colour"`}},
		{"two keys", "regoin = \"x\"\nfeaturs = []\n" + base,
			[]string{`line 1: unknown key "regoin" (did you mean "region"?)`, `line 2: unknown key "featurs" (did you mean "features"?)`}},
		{"a key twice: the line", "region = \"a\"\nregion = \"b\"\n" + base,
			[]string{"line 2, column 1", "already defined"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "target.toml")
			if err := os.WriteFile(path, []byte(c.doc), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := LoadTarget(path)
			if err == nil {
				t.Fatal("LoadTarget accepted the file")
			}
			want := append([]string{path}, c.want...)
			for _, w := range want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if c.name == "nothing near" && strings.Contains(err.Error(), "did you mean") {
				t.Errorf("error %q suggests a key for a name close to none", err)
			}
		})
	}
}
