package conformance

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// caseFuncName is the name the rule on Case.Run gives a case's function:
// the ID in camelCase, without its slashes, hyphens and dots.
func caseFuncName(id string) string {
	var b strings.Builder
	for i, seg := range strings.FieldsFunc(id, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		rs := []rune(seg)
		if i == 0 {
			rs[0] = unicode.ToLower(rs[0])
		} else {
			rs[0] = unicode.ToUpper(rs[0])
		}
		b.WriteString(string(rs))
	}
	return b.String()
}

func TestCaseFuncName(t *testing.T) {
	for _, c := range []struct{ id, want string }{
		{"multipart/lifecycle/roundtrip", "multipartLifecycleRoundtrip"},
		{"objects/put/content-md5/correct", "objectsPutContentMd5Correct"},
		{"objects/delete-objects/1000-keys", "objectsDeleteObjects1000Keys"},
		{"checksums/crc32/delete-objects-mismatch", "checksumsCrc32DeleteObjectsMismatch"},
		{"list/v2/order/utf8-binary", "listV2OrderUtf8Binary"},
		{"a.b_c", "aBC"},
	} {
		if got := caseFuncName(c.id); got != c.want {
			t.Errorf("caseFuncName(%q) = %q, want %q", c.id, got, c.want)
		}
	}
}

// TestCaseFunctionsAreNamed enforces the rule on Case.Run over the
// package's source: in an init function no case's code is a function
// literal, neither a Case's Run nor a func(T, ...) argument of a function
// that makes a Case; a Case whose ID is a string literal runs the function
// named after it (caseFuncName). Case literals inside named functions (the
// makers such as gpCase and mpPageCase) may close over their arguments:
// their name is in the stack trace.
func TestCaseFunctionsAreNamed(t *testing.T) {
	fset := token.NewFileSet()
	var files []*ast.File
	matches, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range matches {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatalf("parse %s: %v", name, err)
		}
		files = append(files, f)
	}

	// The functions that return a Case: their func(T, ...) arguments are
	// case code.
	makers := map[string]bool{}
	for _, f := range files {
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Recv != nil || fd.Type.Results == nil || len(fd.Type.Results.List) != 1 {
				continue
			}
			if id, ok := fd.Type.Results.List[0].Type.(*ast.Ident); ok && id.Name == "Case" {
				makers[fd.Name.Name] = true
			}
		}
	}
	if len(makers) == 0 {
		t.Fatal("found no function that returns a Case: the test no longer sees the package's layout")
	}

	var literals int
	for _, f := range files {
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Recv != nil || fd.Name.Name != "init" {
				continue
			}
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.CompositeLit:
					if id, ok := n.Type.(*ast.Ident); n.Type != nil && (!ok || id.Name != "Case") {
						return true
					}
					var caseID, run ast.Expr
					for _, el := range n.Elts {
						kv, ok := el.(*ast.KeyValueExpr)
						if !ok {
							continue
						}
						switch key, _ := kv.Key.(*ast.Ident); {
						case key == nil:
						case key.Name == "ID":
							caseID = kv.Value
						case key.Name == "Run":
							run = kv.Value
						}
					}
					if run == nil {
						return true
					}
					literals++
					switch r := run.(type) {
					case *ast.CallExpr:
					case *ast.Ident:
						lit, ok := caseID.(*ast.BasicLit)
						if !ok || lit.Kind != token.STRING {
							break
						}
						id, err := strconv.Unquote(lit.Value)
						if err != nil {
							t.Errorf("%s: ID %s: %v", fset.Position(lit.Pos()), lit.Value, err)
							break
						}
						if want := caseFuncName(id); r.Name != want {
							t.Errorf("%s: case %s runs %s, want %s (named after the ID)", fset.Position(r.Pos()), id, r.Name, want)
						}
					default:
						t.Errorf("%s: a case's Run is %T: want a function named after the ID, or a call of a named function that makes it",
							fset.Position(run.Pos()), run)
					}
				case *ast.CallExpr:
					fn, ok := n.Fun.(*ast.Ident)
					if !ok || !makers[fn.Name] {
						return true
					}
					for _, a := range n.Args {
						if fl, ok := a.(*ast.FuncLit); ok && takesT(fl.Type) {
							t.Errorf("%s: %s is given a function literal: want a function named after the case's ID",
								fset.Position(fl.Pos()), fn.Name)
						}
					}
				}
				return true
			})
		}
	}
	if literals == 0 {
		t.Fatal("found no Case literal in an init function: the test no longer sees the package's layout")
	}
}

// takesT reports whether a function type's first parameter is a T.
func takesT(ft *ast.FuncType) bool {
	if ft.Params == nil || len(ft.Params.List) == 0 {
		return false
	}
	id, ok := ft.Params.List[0].Type.(*ast.Ident)
	return ok && id.Name == "T"
}
