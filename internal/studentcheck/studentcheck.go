// Package studentcheck checks a student's file before the grader builds
// anything from it. The student's code shares its process with the other
// servers, the tests and the test harness, so what it may write is limited
// to what the lab needs:
//
//   - no func init and no package-level variable (constants, types and
//     functions only): both run code before the tests start, and a package
//     variable lets servers share memory behind the network's back;
//   - no compiler directive (any //go: line, //line) and no build
//     constraint (// +build);
//   - no cgo (import "C"), and no import but those the rubric allows
//     (rubric.AllowedImports), which never include pblab/internal/...;
//   - no dot import, no write to another package's variables (time.Local =
//     ...), and no use of the standard logger's shared state (log.Writer,
//     log.Default, log.Prefix, log.Flags): all of these reach state that
//     every server in the process shares;
//   - the file is in the package of its folder.
//
// The checks read the syntax only (go/parser and go/ast): they need no type
// information, and run in milliseconds. Each violation names its file and
// line and says, in a student's words, what rule it breaks and where the
// guide explains it.
package studentcheck

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/scanner"
	"go/token"
	"path"
	"slices"
	"strconv"
	"strings"
)

// Docs is the section of the guide that explains the rules.
const Docs = "docs/submitting.md#the-rules-your-files-must-keep"

// A Violation is one place where a student's file breaks a rule.
type Violation struct {
	File string // slash-separated, relative to the root of the tree
	Line int
	Rule string // what is wrong, in words a student understands
}

// String returns the violation as file:line: rule.
func (v Violation) String() string {
	return fmt.Sprintf("%s:%d: %s", v.File, v.Line, v.Rule)
}

// sharedLogState are the functions of package log that read the standard
// logger, which every server in the process shares: with them, one server
// reads what another stored there (a writer of its own, a prefix).
var sharedLogState = []string{"Default", "Flags", "Prefix", "Writer"}

// maxSyntaxErrors is how many syntax errors of a file are reported.
const maxSyntaxErrors = 10

// Check checks src, the source of the student's file rel (slash-separated,
// relative to the root of the tree, such as "pbservice/server.go"), and
// returns what in it breaks the rules, in the order of the file. allowed
// lists the packages the file may import. A file that does not parse
// returns its syntax errors, as the compiler would report them.
func Check(rel string, src []byte, allowed []string) []Violation {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, rel, src, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return syntaxErrors(rel, err)
	}
	c := &checker{fset: fset, rel: rel, imports: map[string]string{}}
	c.checkPackage(f)
	c.checkDirectives(f)
	c.checkImports(f, allowed)
	c.checkDecls(f)
	c.checkSharedState(f)
	slices.SortStableFunc(c.found, func(a, b Violation) int { return a.Line - b.Line })
	return c.found
}

// A checker collects the violations of one file.
type checker struct {
	fset    *token.FileSet
	rel     string
	imports map[string]string // the name each import is known by in the file: its path
	found   []Violation
}

// report records a violation at pos.
func (c *checker) report(pos token.Pos, format string, args ...any) {
	rule := fmt.Sprintf(format, args...) + " (" + Docs + ")"
	c.found = append(c.found, Violation{File: c.rel, Line: c.fset.Position(pos).Line, Rule: rule})
}

// checkPackage checks that the file is in the package its folder holds.
func (c *checker) checkPackage(f *ast.File) {
	want := path.Base(path.Dir(c.rel))
	if f.Name.Name != want {
		c.report(f.Package, "package %s: a file of %s/ must be in package %s", f.Name.Name, want, want)
	}
}

// checkDirectives rejects compiler directives and build constraints.
func (c *checker) checkDirectives(f *ast.File) {
	for _, group := range f.Comments {
		for _, comment := range group.List {
			text := comment.Text
			switch {
			case strings.HasPrefix(text, "//go:"):
				name, _, _ := strings.Cut(text, " ")
				c.report(comment.Pos(), "%s: compiler directives are not allowed", name)
			case strings.HasPrefix(text, "//line ") || strings.HasPrefix(text, "/*line "):
				c.report(comment.Pos(), "//line: line directives are not allowed")
			case isPlusBuild(text):
				c.report(comment.Pos(), "// +build: build constraints are not allowed")
			}
		}
	}
}

// isPlusBuild reports whether a comment is an old-style build constraint.
func isPlusBuild(text string) bool {
	rest, ok := strings.CutPrefix(text, "//")
	return ok && strings.HasPrefix(strings.TrimLeft(rest, " \t"), "+build")
}

// checkImports checks each import against allowed, and records the name
// each is known by.
func (c *checker) checkImports(f *ast.File, allowed []string) {
	for _, spec := range f.Imports {
		importPath, err := strconv.Unquote(spec.Path.Value)
		if err != nil {
			continue // the parser accepted it: cannot happen
		}
		switch {
		case importPath == "C":
			c.report(spec.Pos(), `import "C": cgo is not allowed`)
		case importPath == "pblab/internal" || strings.HasPrefix(importPath, "pblab/internal/"):
			c.report(spec.Pos(), "import %q: the lab's internal packages belong to the tests and the grader", importPath)
		case !slices.Contains(allowed, importPath):
			c.report(spec.Pos(), "import %q: not among the packages a student's file may import", importPath)
		}
		name := packageName(importPath)
		if spec.Name != nil {
			name = spec.Name.Name
		}
		switch name {
		case ".":
			c.report(spec.Pos(), "import . %q: dot imports are not allowed; use the package's name (%s.X)", importPath, packageName(importPath))
		case "_":
		default:
			c.imports[name] = importPath
		}
	}
}

// packageName returns the name a package is known by when imported without
// a name: the last element of its path, or the one before a major version
// suffix ("math/rand/v2" is rand).
func packageName(importPath string) string {
	dir, name := path.Split(importPath)
	if len(name) > 1 && name[0] == 'v' && strings.Trim(name[1:], "0123456789") == "" && dir != "" {
		return path.Base(dir)
	}
	return name
}

// checkDecls rejects func init and package-level variables.
func (c *checker) checkDecls(f *ast.File) {
	for _, decl := range f.Decls {
		switch d := decl.(type) {
		case *ast.FuncDecl:
			if d.Recv == nil && d.Name.Name == "init" {
				c.report(d.Pos(), "func init is not allowed: no code of yours may run before the tests start")
			}
		case *ast.GenDecl:
			if d.Tok != token.VAR {
				continue
			}
			for _, spec := range d.Specs {
				vs := spec.(*ast.ValueSpec)
				c.report(vs.Pos(), "package-level variable %s is not allowed: servers must not share memory; "+
					"keep state in a server's or clerk's struct (constants are fine)", identList(vs.Names))
			}
		}
	}
}

func identList(ids []*ast.Ident) string {
	names := make([]string, len(ids))
	for i, id := range ids {
		names[i] = id.Name
	}
	return strings.Join(names, ", ")
}

// checkSharedState rejects writes to another package's variables and uses
// of the standard logger's state: both reach memory every server shares.
func (c *checker) checkSharedState(f *ast.File) {
	ast.Inspect(f, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.AssignStmt:
			if x.Tok != token.DEFINE {
				for _, lhs := range x.Lhs {
					c.checkWrite(lhs)
				}
			}
		case *ast.RangeStmt:
			if x.Tok == token.ASSIGN {
				c.checkWrite(x.Key)
				c.checkWrite(x.Value)
			}
		case *ast.IncDecStmt:
			c.checkWrite(x.X)
		case *ast.UnaryExpr:
			if x.Op == token.AND {
				c.checkWrite(x.X)
			}
		case *ast.SelectorExpr:
			if pkg, ok := x.X.(*ast.Ident); ok && c.imports[pkg.Name] == "log" && slices.Contains(sharedLogState, x.Sel.Name) {
				c.report(x.Pos(), "%s.%s is not allowed: the standard logger is shared by every server in the process "+
					"(log.Printf and the like are fine)", pkg.Name, x.Sel.Name)
			}
		}
		return true
	})
}

// checkWrite rejects e if it writes to, or takes the address of, a
// variable of another package (time.Local, or a field or element of one).
func (c *checker) checkWrite(e ast.Expr) {
	for e != nil {
		switch x := e.(type) {
		case *ast.ParenExpr:
			e = x.X
		case *ast.StarExpr:
			e = x.X
		case *ast.IndexExpr:
			e = x.X
		case *ast.SelectorExpr:
			if pkg, ok := x.X.(*ast.Ident); ok && c.imports[pkg.Name] != "" {
				c.report(x.Pos(), "%s.%s: changing another package's variables is not allowed: "+
					"they are shared by every server in the process", pkg.Name, x.Sel.Name)
				return
			}
			e = x.X
		default:
			return
		}
	}
}

// syntaxErrors turns the parser's errors into violations.
func syntaxErrors(rel string, err error) []Violation {
	var list scanner.ErrorList
	if !errors.As(err, &list) {
		return []Violation{{File: rel, Line: 1, Rule: "cannot be read: " + err.Error()}}
	}
	var found []Violation
	for i, e := range list {
		if i == maxSyntaxErrors {
			break
		}
		found = append(found, Violation{File: rel, Line: e.Pos.Line, Rule: "syntax error: " + e.Msg})
	}
	return found
}
