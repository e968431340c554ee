package conformance

import (
	"net/http"
	"strings"
)

// readyzBody fetches /readyz, checks its status and shape, and returns
// production_ready and readiness_warnings.
func readyzBody(t T, e *Env) (bool, []string) {
	t.Helper()
	resp := e.Gateway().GET("/readyz").Expect()
	resp.Status(http.StatusOK)
	obj := resp.JSON().Object() // also checks Content-Type: application/json
	obj.Value("ready").Boolean().IsTrue()
	prod := obj.Value("production_ready").Boolean().Raw()
	arr := obj.Value("readiness_warnings").Array()
	warnings := make([]string, 0, len(arr.Raw()))
	for i := range arr.Raw() {
		w := arr.Value(i).String().NotEmpty().Raw()
		warnings = append(warnings, w)
	}
	return prod, warnings
}

func init() {
	register(
		Case{
			ID: "readyz/healthz", Feature: Readyz, Ops: ops("Healthz"),
			Desc: "GET /healthz on the endpoint's root answers 200 without credentials",
			Run:  readyzHealthz,
		},
		Case{
			ID: "readyz/readyz/shape", Feature: Readyz, Ops: ops("Readyz"),
			Desc: "GET /readyz answers 200 JSON with ready=true, a boolean production_ready and a readiness_warnings array of strings",
			Run:  readyzReadyzShape,
		},
		Case{
			ID: "readyz/readyz/production-ready-consistent", Feature: Readyz, Ops: ops("Readyz"),
			Desc: "/readyz says production_ready=false exactly when readiness_warnings is non-empty",
			Run:  readyzReadyzProductionReadyConsistent,
		},
		Case{
			ID: "readyz/readyz/warns-when-anonymous", Feature: Readyz, Ops: ops("Readyz", "ListBuckets"),
			Desc: "when the S3 API serves unsigned requests, /readyz says production_ready=false with a warning naming REQUIRE_AUTH",
			Run:  readyzReadyzWarnsWhenAnonymous,
		},
	)
}

func readyzHealthz(t T, e *Env) {
	e.Gateway().GET("/healthz").Expect().Status(http.StatusOK)
}

func readyzReadyzShape(t T, e *Env) {
	readyzBody(t, e)
}

func readyzReadyzProductionReadyConsistent(t T, e *Env) {
	prod, warnings := readyzBody(t, e)
	if prod && len(warnings) > 0 {
		t.Fatalf("production_ready is true but readiness_warnings = %q", warnings)
	}
	if !prod && len(warnings) == 0 {
		t.Fatalf("production_ready is false but readiness_warnings is empty: the operator is not told why")
	}
}

func readyzReadyzWarnsWhenAnonymous(t T, e *Env) {
	root := strings.TrimRight(e.Target.PathPrefix, "/") + "/"
	st := e.Gateway().GET(root).Expect().Raw().StatusCode
	if st != http.StatusOK {
		t.Skipf("the target refuses an unsigned ListBuckets (status %d): authentication is on", st)
	}
	prod, warnings := readyzBody(t, e)
	if prod {
		t.Fatalf("unsigned requests are served, yet production_ready is true")
	}
	for _, w := range warnings {
		if strings.Contains(w, "REQUIRE_AUTH") {
			return
		}
	}
	t.Fatalf("unsigned requests are served, yet no readiness warning names REQUIRE_AUTH: %q", warnings)
}
