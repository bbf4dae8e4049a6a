// Package docgen documents YAML configuration formats from the Go structs
// that decode them: the keys come from the structs' yaml tags (walked by
// reflection, as the decoders do), the text from the fields' doc comments
// and the allowed values from the string constants of a field's type
// (read from the source with go/ast). Tests render the reference pages
// with it and fail when a key has no doc comment, so that a new setting
// cannot go undocumented.
package docgen

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// MapKey stands for the keys of a map in a Key's path ("tables.<name>").
const MapKey = "<name>"

// Key is one documented key.
type Key struct {
	// Path is the key's dotted path: "[]" after a list, MapKey for the
	// keys of a map (transports.inbound[].as2.url, tables.<name>.file).
	Path string
	// Name is the last element of the path.
	Name string
	// Depth is the number of mappings above the key.
	Depth int
	// Type describes the value: text, whole number, duration, true or
	// false, list of ..., mapping, mapping of name to ...
	Type string
	// GoType is the field's type (pointers removed).
	GoType reflect.Type
	// Section is true for a key whose value is a mapping of keys (or a
	// list of them) documented on their own.
	Section bool
	// Doc is the field's doc comment, on one line.
	Doc string
	// TypeDoc is the doc comment of the field's named type, if any.
	TypeDoc string
	// Required is the field's `required:"true"` tag.
	Required bool
	// Values are the allowed values when the field's type has string
	// constants (an enumeration).
	Values []Value
	// Default is the value the key has when it is left out, formatted
	// for YAML ("" when it is the zero value).
	Default string
	// Example is a value the key has in an example file ("" when none
	// has it).
	Example string
}

// Value is an allowed value and its doc comment.
type Value struct {
	Name, Doc string
}

// Options tune Walk.
type Options struct {
	// Scalar reports types that decode from one scalar although they are
	// structs (a schedule, a unit conversion).
	Scalar func(reflect.Type) bool
	// Defaults returns a struct of type t with its defaults set, or
	// false; without it, the defaults are the values given to Walk.
	Defaults func(t reflect.Type) (reflect.Value, bool)
	// Tag is the struct tag naming keys (default "yaml").
	Tag string
}

// Source reads the doc comments of a module's packages.
type Source struct {
	// Tests also reads the packages' _test.go files (for docgen's own
	// tests).
	Tests bool

	root, module string
	pkgs         map[string]*pkgDocs
}

type pkgDocs struct {
	types  map[string]string            // type name -> doc
	fields map[string]map[string]string // type name -> field name -> doc
	consts map[string][]Value           // type name -> its string constants
}

// NewSource finds the module that holds dir (its go.mod, upwards).
func NewSource(dir string) (*Source, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	for d := dir; ; d = filepath.Dir(d) {
		b, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil {
			m := regexp.MustCompile(`(?m)^module\s+(\S+)`).FindSubmatch(b)
			if m == nil {
				return nil, fmt.Errorf("docgen: %s: no module line", filepath.Join(d, "go.mod"))
			}
			return &Source{root: d, module: string(m[1]), pkgs: map[string]*pkgDocs{}}, nil
		}
		if filepath.Dir(d) == d {
			return nil, errors.New("docgen: no go.mod above " + dir)
		}
	}
}

// pkg parses the non-test Go files of the package at import path p.
func (s *Source) pkg(p string) (*pkgDocs, error) {
	if pd, ok := s.pkgs[p]; ok {
		return pd, nil
	}
	pd := &pkgDocs{types: map[string]string{}, fields: map[string]map[string]string{}, consts: map[string][]Value{}}
	if p != s.module && !strings.HasPrefix(p, s.module+"/") {
		s.pkgs[p] = pd // another module's: no docs (its fields show as undocumented)
		return pd, nil
	}
	dir := filepath.Join(s.root, filepath.FromSlash(strings.TrimPrefix(strings.TrimPrefix(p, s.module), "/")))
	fset := token.NewFileSet()
	names, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") && !s.Tests {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		if err != nil {
			return nil, fmt.Errorf("docgen: %w", err)
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok {
				continue
			}
			switch gd.Tok {
			case token.TYPE:
				for _, spec := range gd.Specs {
					ts := spec.(*ast.TypeSpec)
					doc := ts.Doc
					if doc == nil && len(gd.Specs) == 1 {
						doc = gd.Doc
					}
					pd.types[ts.Name.Name] = oneLine(doc)
					if st, ok := ts.Type.(*ast.StructType); ok {
						pd.fields[ts.Name.Name] = fieldDocs(st)
					}
				}
			case token.CONST:
				for _, spec := range gd.Specs {
					vs := spec.(*ast.ValueSpec)
					id, ok := vs.Type.(*ast.Ident)
					if !ok || len(vs.Values) != len(vs.Names) {
						continue
					}
					for _, v := range vs.Values {
						lit, ok := v.(*ast.BasicLit)
						if !ok || lit.Kind != token.STRING {
							continue
						}
						val, _ := strconv.Unquote(lit.Value)
						doc := oneLine(vs.Comment)
						if doc == "" {
							doc = oneLine(vs.Doc)
						}
						pd.consts[id.Name] = append(pd.consts[id.Name], Value{Name: val, Doc: doc})
					}
				}
			}
		}
	}
	s.pkgs[p] = pd
	return pd, nil
}

// fieldDocs returns the doc of each field of a struct: its doc comment,
// else its line comment, else the doc of the field before it when that
// doc names it ("ReadTimeout and WriteTimeout bound one request").
func fieldDocs(st *ast.StructType) map[string]string {
	out := map[string]string{}
	var prev string
	for _, f := range st.Fields.List {
		doc := oneLine(f.Doc)
		if doc == "" {
			doc = oneLine(f.Comment)
		}
		for _, n := range f.Names {
			d := doc
			if d == "" && regexp.MustCompile(`\b`+regexp.QuoteMeta(n.Name)+`\b`).MatchString(prev) {
				d = prev
			}
			out[n.Name] = d
		}
		if doc != "" {
			prev = doc
		}
	}
	return out
}

func oneLine(g *ast.CommentGroup) string {
	if g == nil {
		return ""
	}
	return strings.Join(strings.Fields(g.Text()), " ")
}

var durationType = reflect.TypeFor[time.Duration]()

// Walk lists the keys of the struct value v (or a pointer to one) and of
// every struct below it, depth first in field order.
func (s *Source) Walk(v reflect.Value, opts Options) ([]Key, error) {
	if opts.Tag == "" {
		opts.Tag = "yaml"
	}
	if opts.Scalar == nil {
		opts.Scalar = func(reflect.Type) bool { return false }
	}
	for v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	var keys []Key
	err := s.walk(v, "", 0, opts, &keys)
	return keys, err
}

func (s *Source) walk(v reflect.Value, path string, depth int, opts Options, keys *[]Key) error {
	t := v.Type()
	if opts.Defaults != nil {
		if d, ok := opts.Defaults(t); ok {
			v = d
		}
	}
	pd, err := s.pkg(t.PkgPath())
	if err != nil {
		return err
	}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get(opts.Tag), ",")
		if !f.IsExported() || name == "" || name == "-" {
			continue
		}
		k := Key{Path: join(path, name), Name: name, Depth: depth, Doc: pd.fields[t.Name()][f.Name],
			Required: f.Tag.Get("required") == "true"}
		fv := v.Field(i)
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
			if fv.IsNil() {
				fv = reflect.Zero(ft)
			} else {
				fv = fv.Elem()
			}
		}
		k.GoType = ft
		if err := s.describe(&k, ft, opts); err != nil {
			return err
		}
		k.Default = format(fv)
		*keys = append(*keys, k)
		// Below: the struct itself, a list's or a map's struct elements.
		switch et := elem(ft); {
		case ft.Kind() == reflect.Struct && !s.scalar(ft, opts):
			if err := s.walk(fv, k.Path, depth+1, opts, keys); err != nil {
				return err
			}
		case et != nil && et.Kind() == reflect.Struct && !s.scalar(et, opts):
			sub := k.Path + "[]"
			if ft.Kind() == reflect.Map {
				sub = k.Path + "." + MapKey
			}
			if err := s.walk(reflect.Zero(et), sub, depth+1, opts, keys); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Source) scalar(t reflect.Type, opts Options) bool {
	return t == durationType || opts.Scalar(t)
}

// elem is the element type of a list or map (pointers removed), or nil.
func elem(t reflect.Type) reflect.Type {
	if t.Kind() != reflect.Slice && t.Kind() != reflect.Map {
		return nil
	}
	e := t.Elem()
	for e.Kind() == reflect.Pointer {
		e = e.Elem()
	}
	return e
}

// describe fills the key's type, type doc and allowed values.
func (s *Source) describe(k *Key, t reflect.Type, opts Options) error {
	name, err := s.typeName(t, opts)
	if err != nil {
		return err
	}
	k.Type = name
	if t.Name() != "" && t.PkgPath() != "" {
		pd, err := s.pkg(t.PkgPath())
		if err != nil {
			return err
		}
		if t.Kind() != reflect.Struct || opts.Scalar(t) {
			k.TypeDoc = pd.types[t.Name()]
		}
		if t.Kind() == reflect.String {
			k.Values = pd.consts[t.Name()]
		}
	}
	if e := elem(t); e != nil && e.Kind() == reflect.String && e.Name() != "" && e.PkgPath() != "" {
		pd, err := s.pkg(e.PkgPath())
		if err != nil {
			return err
		}
		k.Values = pd.consts[e.Name()]
	}
	k.Section = t.Kind() == reflect.Struct && !s.scalar(t, opts)
	if e := elem(t); e != nil && e.Kind() == reflect.Struct && !s.scalar(e, opts) {
		k.Section = true
	}
	return nil
}

func (s *Source) typeName(t reflect.Type, opts Options) (string, error) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == durationType:
		return "duration", nil
	case opts.Scalar(t):
		return words(t.Name()), nil
	}
	switch t.Kind() {
	case reflect.String:
		return "text", nil
	case reflect.Bool:
		return "true or false", nil
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "whole number", nil
	case reflect.Float64:
		return "number", nil
	case reflect.Struct:
		return "mapping", nil
	case reflect.Slice:
		e, err := s.typeName(t.Elem(), opts)
		return "list of " + plural(e), err
	case reflect.Map:
		e, err := s.typeName(t.Elem(), opts)
		return "mapping of name to " + e, err
	}
	return "", fmt.Errorf("docgen: cannot describe %s", t)
}

func plural(s string) string {
	switch {
	case s == "mapping":
		return "mappings"
	case s == "text":
		return "texts"
	case strings.HasPrefix(s, "list of"), strings.HasPrefix(s, "mapping of"):
		return s
	}
	return s + "s"
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// format returns v as YAML text, "" for the zero value.
func format(v reflect.Value) string {
	if !v.IsValid() || v.IsZero() {
		return ""
	}
	if v.Type() == durationType {
		return Duration(time.Duration(v.Int()))
	}
	switch v.Kind() {
	case reflect.String:
		return v.String()
	case reflect.Bool:
		return strconv.FormatBool(v.Bool())
	case reflect.Int, reflect.Int64, reflect.Int32:
		return strconv.FormatInt(v.Int(), 10)
	case reflect.Slice:
		if v.Len() == 0 {
			return ""
		}
		var parts []string
		for i := range v.Len() {
			parts = append(parts, format(v.Index(i)))
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return ""
}

// Duration formats d without trailing zero units (90s, 10m, 2160h).
func Duration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// Undocumented lists the keys without a doc comment.
func Undocumented(keys []Key) []string {
	var out []string
	for _, k := range keys {
		if k.Doc == "" {
			out = append(out, k.Path)
		}
	}
	sort.Strings(out)
	return out
}

// words turns a Go type name into lower-case words (UnitConversion: unit
// conversion).
func words(name string) string {
	var b strings.Builder
	for i, r := range name {
		if i > 0 && r >= 'A' && r <= 'Z' {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return strings.ToLower(b.String())
}
