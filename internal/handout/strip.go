package handout

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"path"
	"regexp"
	"strconv"
	"strings"
)

// The markers of a solution region. Each must stand alone on its line.
const (
	beginMarker = "// BEGIN SOLUTION"
	endMarker   = "// END SOLUTION"
	stubPrefix  = "// STUB:"
	yourCode    = "// Your code here."
)

// looseMarker matches a line that looks like a marker but is not exactly
// one ("//BEGIN SOLUTION", "// end solution", "// BEGIN SOLUTION: x").
var looseMarker = regexp.MustCompile(`(?i)^//\s*(begin|end)\s+solution\b`)

// A markerError is a malformed solution region, at file:line.
type markerError struct {
	file string
	line int
	msg  string
}

func (e *markerError) Error() string { return fmt.Sprintf("%s:%d: %s", e.file, e.line, e.msg) }

// stripSolution removes the solution regions of the Go file src (named
// name, for errors). Each region becomes a "// Your code here." line at the
// indentation of its BEGIN line, followed by its stub statement if the line
// after END SOLUTION is "// STUB: statement". Imports the rest of the file
// no longer uses are removed, and the result is gofmt'ed. found reports
// how many regions src had; with none, src is returned unchanged.
func stripSolution(name string, src []byte) (out []byte, found int, err error) {
	lines := strings.Split(string(src), "\n")
	var (
		kept     []string
		open     = -1 // line index of the open region's BEGIN, or -1
		openIndt string
	)
	fail := func(i int, format string, args ...any) error {
		return &markerError{file: name, line: i + 1, msg: fmt.Sprintf(format, args...)}
	}
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		t := strings.TrimSpace(line)
		indent := line[:len(line)-len(strings.TrimLeft(line, " \t"))]
		switch {
		case t == beginMarker:
			if open >= 0 {
				return nil, 0, fail(i, "BEGIN SOLUTION inside the region opened at line %d: regions do not nest (close it with END SOLUTION first)", open+1)
			}
			open, openIndt = i, indent
			found++
		case t == endMarker:
			if open < 0 {
				return nil, 0, fail(i, "END SOLUTION without a BEGIN SOLUTION before it")
			}
			if indent != openIndt {
				return nil, 0, fail(i, "END SOLUTION is not indented like its BEGIN SOLUTION at line %d", open+1)
			}
			kept = append(kept, openIndt+yourCode)
			if i+1 < len(lines) {
				if stmt, ok := strings.CutPrefix(strings.TrimSpace(lines[i+1]), stubPrefix); ok {
					stmt = strings.TrimSpace(stmt)
					if err := checkStub(stmt, openIndt); err != "" {
						return nil, 0, fail(i+1, "%s", err)
					}
					kept = append(kept, openIndt+stmt)
					i++
				}
			}
			open = -1
		case strings.HasPrefix(t, stubPrefix):
			return nil, 0, fail(i, "STUB must come directly after an END SOLUTION line")
		case looseMarker.MatchString(t):
			return nil, 0, fail(i, "malformed marker %q: write exactly %q or %q on a line of its own", t, beginMarker, endMarker)
		case open >= 0:
			// inside a region: dropped
		default:
			kept = append(kept, line)
		}
	}
	if open >= 0 {
		return nil, 0, fail(open, "BEGIN SOLUTION is never closed by an END SOLUTION")
	}
	if found == 0 {
		return src, 0, nil
	}
	stripped := []byte(collapseBlankLines(strings.Join(kept, "\n")))
	stripped, err = removeUnusedImports(name, stripped)
	if err != nil {
		return nil, found, err
	}
	out, err = format.Source(stripped)
	if err != nil {
		return nil, found, fmt.Errorf("%s: the stripped file does not parse: %w", name, err)
	}
	return out, found, nil
}

// checkStub returns why stmt cannot be a stub ("" if it can).
func checkStub(stmt, indent string) string {
	if stmt == "" {
		return "empty STUB: write a Go statement after \"// STUB:\", such as: // STUB: return nil"
	}
	if indent == "" {
		return "STUB after a top-level region: a stub is a statement, so it belongs in a function body"
	}
	src := "package p\nfunc _() {\n" + stmt + "\n}\n"
	f, err := parser.ParseFile(token.NewFileSet(), "stub.go", src, 0)
	if err != nil {
		return fmt.Sprintf("STUB %q does not parse as a Go statement: %v", stmt, strings.TrimPrefix(err.Error(), "stub.go:"))
	}
	if body := f.Decls[0].(*ast.FuncDecl).Body; len(body.List) != 1 {
		return fmt.Sprintf("STUB %q must be exactly one Go statement", stmt)
	}
	return ""
}

// collapseBlankLines removes blank lines that the removal of a region left
// doubled, or left just inside an opening or closing brace.
func collapseBlankLines(s string) string {
	lines := strings.Split(s, "\n")
	var out []string
	for i, line := range lines {
		blank := strings.TrimSpace(line) == ""
		if blank && len(out) > 0 {
			prev := strings.TrimSpace(out[len(out)-1])
			if prev == "" || strings.HasSuffix(prev, "{") || strings.HasSuffix(prev, "(") {
				continue
			}
			if i+1 < len(lines) {
				next := strings.TrimSpace(lines[i+1])
				if next == "}" || next == ")" {
					continue
				}
			}
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}

// removeUnusedImports deletes the import specs of the Go file src whose
// package the file no longer refers to. Blank and dot imports are kept.
func removeUnusedImports(name string, src []byte) ([]byte, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, name, src, parser.ParseComments)
	if err != nil {
		return nil, fmt.Errorf("%s: the stripped file does not parse: %w", name, err)
	}
	used := map[string]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := sel.X.(*ast.Ident); ok {
				used[id.Name] = true
			}
		}
		return true
	})
	// Line ranges (1-based, inclusive) to delete.
	type span struct{ from, to int }
	var cut []span
	for _, decl := range f.Decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok || gd.Tok != token.IMPORT {
			continue
		}
		var unused []span
		for _, spec := range gd.Specs {
			is := spec.(*ast.ImportSpec)
			if name := importName(is); name != "_" && !used[name] {
				unused = append(unused, span{fset.Position(is.Pos()).Line, fset.Position(is.End()).Line})
			}
		}
		switch {
		case len(unused) == 0:
		case len(unused) == len(gd.Specs):
			from := fset.Position(gd.Pos()).Line
			if gd.Doc != nil {
				from = fset.Position(gd.Doc.Pos()).Line
			}
			cut = append(cut, span{from, fset.Position(gd.End()).Line})
		case !gd.Lparen.IsValid():
		default:
			cut = append(cut, unused...)
		}
	}
	if len(cut) == 0 {
		return src, nil
	}
	lines := strings.Split(string(src), "\n")
	drop := map[int]bool{}
	for _, c := range cut {
		for l := c.from; l <= c.to; l++ {
			drop[l] = true
		}
	}
	var kept []string
	for i, line := range lines {
		if !drop[i+1] {
			kept = append(kept, line)
		}
	}
	return []byte(collapseBlankLines(strings.Join(kept, "\n"))), nil
}

// importName is the name under which the file refers to an import: its
// explicit name, or the package name guessed from its path. Blank and dot
// imports return "_", which counts as used.
func importName(is *ast.ImportSpec) string {
	if is.Name != nil {
		if is.Name.Name == "_" || is.Name.Name == "." {
			return "_"
		}
		return is.Name.Name
	}
	p, err := strconv.Unquote(is.Path.Value)
	if err != nil {
		return "_"
	}
	return guessPackageName(p)
}

var majorVersion = regexp.MustCompile(`^v[0-9]+$`)

// guessPackageName guesses a package's name from its import path, as
// goimports does: the last element, skipping a major-version element,
// without a gopkg.in-style ".vN" suffix or a "go-" prefix.
func guessPackageName(importPath string) string {
	elems := strings.Split(importPath, "/")
	last := elems[len(elems)-1]
	if majorVersion.MatchString(last) && len(elems) > 1 {
		last = elems[len(elems)-2]
	}
	if i := strings.Index(last, ".v"); i > 0 {
		last = last[:i]
	}
	last = strings.TrimPrefix(last, "go-")
	return strings.NewReplacer("-", "_", ".", "_").Replace(path.Base(last))
}

// hasMarkerLine reports whether src still holds a solution marker line.
func hasMarkerLine(src []byte) bool {
	for line := range bytes.Lines(src) {
		t := strings.TrimSpace(string(line))
		if t == beginMarker || t == endMarker || strings.HasPrefix(t, stubPrefix) {
			return true
		}
	}
	return false
}
