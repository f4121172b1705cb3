package handout

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"pblab/internal/rubric"
)

// frameRE matches a stack frame, or a call, of a function of the lab's
// packages as sample output prints it: pblab/pbservice.(*PBServer).tick(
// or pblab/viewservice.StartServer(. It captures the package and the name.
var frameRE = regexp.MustCompile(`pblab/([a-z]+)\.(?:\(\*?[A-Za-z_]\w*\)\.)?([A-Za-z_]\w*)\(`)

// checkDocsNameNoSolution checks that the pages of the handout at dst name
// no code of the solution at root that the handout does not hold: a
// sample trace or a text that names the reference's own helpers gives them
// away, and sends a student looking for a function they do not have. It
// looks for two things in every .md file of the handout: a stack frame of
// a student's package naming a function the handout's package does not
// declare, and the name of a helper the reference's student files declare
// and the handout's do not (names of the form callPrimary: mixed case, at
// least five letters, so that plain words are left alone).
func checkDocsNameNoSolution(root, dst string) error {
	solutionOnly, declared, err := solutionNames(root, dst)
	if err != nil {
		return err
	}
	words := make([]*regexp.Regexp, len(solutionOnly))
	for i, name := range solutionOnly {
		words[i] = regexp.MustCompile(`\b` + name + `\b`)
	}
	var problems []string
	err = filepath.WalkDir(dst, func(file string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(file, ".md") {
			return err
		}
		data, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dst, file)
		for i, line := range strings.Split(string(data), "\n") {
			where := fmt.Sprintf("%s:%d", filepath.ToSlash(rel), i+1)
			for _, m := range frameRE.FindAllStringSubmatch(line, -1) {
				if names, ok := declared[m[1]]; ok && !names[m[2]] {
					problems = append(problems, fmt.Sprintf("%s: %s names %s, which the handout's %s/ does not declare", where, strings.TrimSuffix(m[0], "("), m[2], m[1]))
				}
			}
			for i, word := range words {
				if word.MatchString(line) {
					problems = append(problems, fmt.Sprintf("%s: names %s, a helper of the solution the handout does not hold", where, solutionOnly[i]))
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		return fmt.Errorf("\n  %s", strings.Join(problems, "\n  "))
	}
	return nil
}

// solutionNames returns the helpers the student's files of root declare
// and those of dst do not (distinctive names only), and, by package, every
// name the Go files of the handout's student packages declare.
func solutionNames(root, dst string) ([]string, map[string]map[string]bool, error) {
	declared := map[string]map[string]bool{}
	for _, rel := range rubric.StudentFiles {
		pkg := path.Dir(rel)
		if declared[pkg] != nil {
			continue
		}
		files, err := filepath.Glob(filepath.Join(dst, pkg, "*.go"))
		if err != nil {
			return nil, nil, err
		}
		declared[pkg] = map[string]bool{}
		for _, file := range files {
			names, err := topLevelNames(file)
			if err != nil {
				return nil, nil, err
			}
			for name := range names {
				declared[pkg][name] = true
			}
		}
	}
	var only []string
	for _, rel := range rubric.StudentFiles {
		names, err := topLevelNames(filepath.Join(root, filepath.FromSlash(rel)))
		if err != nil {
			return nil, nil, err
		}
		for name := range names {
			if !declared[path.Dir(rel)][name] && distinctive(name) && !slices.Contains(only, name) {
				only = append(only, name)
			}
		}
	}
	slices.Sort(only)
	return only, declared, nil
}

// topLevelNames returns the names of the functions, methods and types the
// Go file declares.
func topLevelNames(file string) (map[string]bool, error) {
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	names := map[string]bool{}
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			names[d.Name.Name] = true
		case *ast.GenDecl:
			for _, s := range d.Specs {
				if ts, ok := s.(*ast.TypeSpec); ok {
					names[ts.Name.Name] = true
				}
			}
		}
	}
	return names, nil
}

// distinctive reports whether a Go name cannot be a plain word: at least
// five letters, and a capital after the first.
func distinctive(name string) bool {
	return len(name) >= 5 && strings.IndexFunc(name[1:], unicode.IsUpper) >= 0
}
