package partners

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// maxNodes bounds the nodes of one file, aliases expanded: a small file
// whose anchors refer to each other can otherwise stand for billions.
// checkExpansion enforces it before decoding; the decoder counts its
// visits against it too, as a safety net.
const maxNodes = 200_000

// decoder turns the yaml.Node tree of one profile file into the typed
// structs of this package. It never stops at the first problem: each one is
// recorded with its place and decoding goes on with the next field. It also
// remembers the node of every path it decoded, so the checks that run
// after decoding can report their problems at the right place.
//
// Struct fields are matched by their `yaml:"name"` tag; `required:"true"`
// marks a field that must be present and not null. Scalars are taken from
// the node's literal text, so `qualifier: 01` stays "01". Keys starting
// with "x-" are ignored at every level: they hold anchors and notes.
type decoder struct {
	file   string
	errs   []*ProfileError
	nodes  map[string]*yaml.Node // path -> value node
	keys   map[string]*yaml.Node // path -> key node
	visits int
	halted bool            // the node budget ran out
	failed map[string]bool // paths where decoding reported a problem
	done   bool            // decoding is over: later problems are not marked in failed
}

func newDecoder(file string) *decoder {
	return &decoder{file: file, nodes: map[string]*yaml.Node{}, keys: map[string]*yaml.Node{}, failed: map[string]bool{}}
}

// scalarDecoder is implemented by types that read themselves from one
// scalar (a cron schedule, a unit conversion that is a factor or a table).
// The error it returns should be a detail wrapping a sentinel.
type scalarDecoder interface {
	decodeScalar(n *yaml.Node) error
}

// valueChecker is implemented by scalar types with a closed set of values or a
// format (enums, qualifiers); check runs once the value is set.
type valueChecker interface {
	check() error
}

// defaulter is implemented by structs with non-zero defaults. Defaults are
// set before the struct's own keys are decoded, and also when the struct
// is left out, as long as its parent is decoded.
type defaulter interface {
	setDefaults()
}

var (
	durationType      = reflect.TypeFor[time.Duration]()
	scalarDecoderType = reflect.TypeFor[scalarDecoder]()
)

// maxProblems bounds the problems reported for one file: past it, the
// file is probably not a profile at all.
const maxProblems = 200

// fail records a problem at node n.
func (d *decoder) fail(n *yaml.Node, path string, err error) {
	if len(d.errs) >= maxProblems {
		if !d.halted {
			d.halted = true
			err = details(ErrTooComplex, "more than %d problems; stopping here", maxProblems)
			d.errs = append(d.errs, newProfileError(d.file, n, path, err))
		}
		return
	}
	pe := newProfileError(d.file, n, path, err)
	d.errs = append(d.errs, pe)
	if !d.done {
		d.failed[path] = true
	}
}

// erred reports whether decoding reported a problem at path or at one of
// its ancestors.
func (d *decoder) erred(path string) bool {
	for {
		if d.failed[path] {
			return true
		}
		if path == "" {
			return false
		}
		path = parentPath(path)
	}
}

// newProfileError places err at node n (nil: the whole file).
func newProfileError(file string, n *yaml.Node, path string, err error) *ProfileError {
	pe := &ProfileError{File: file, Path: path, Err: err}
	if n != nil {
		pe.Line, pe.Column = n.Line, n.Column
	}
	return pe
}

// failf records a problem at node n with a formatted message.
func (d *decoder) failf(n *yaml.Node, path string, sentinel error, format string, args ...any) {
	d.fail(n, path, details(sentinel, format, args...))
}

// where returns the node to report a problem about path at: the value
// of a scalar; the key of a section (a mapping, a list or a null), so a
// problem about a section as a whole points at its name. A path the
// profile does not spell out is reported at its closest ancestor that it
// does.
func (d *decoder) where(path string) *yaml.Node {
	for {
		if n, ok := d.nodes[path]; ok {
			if n.Kind == yaml.ScalarNode && !isNull(n) {
				return n
			}
			if k, ok := d.keys[path]; ok {
				return k
			}
			return n
		}
		if path == "" {
			return nil
		}
		path = parentPath(path)
	}
}

// keyWhere returns the key node of path when there is one (a problem
// about a key itself), else where(path).
func (d *decoder) keyWhere(path string) *yaml.Node {
	if n, ok := d.keys[path]; ok {
		return n
	}
	return d.where(path)
}

// visit counts a node against the budget; false when the budget ran out.
func (d *decoder) visit(n *yaml.Node, path string) bool {
	if d.halted {
		return false
	}
	d.visits++
	if d.visits > maxNodes {
		d.halted = true
		if at := d.where(path); at != nil {
			n = at // where the expansion started, not somewhere inside it
		}
		d.failf(n, path, ErrTooComplex, "more than %d YAML nodes once aliases are expanded", maxNodes)
		return false
	}
	return true
}

// resolve follows aliases to the node they stand for.
func (d *decoder) resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode; i++ {
		if i > 100 {
			return nil
		}
		n = n.Alias
	}
	return n
}

// isNull reports whether n is an explicit or implicit null ("key:" alone).
func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// value decodes node n into v (addressable), recording the node under path.
func (d *decoder) value(n *yaml.Node, v reflect.Value, path string) {
	if !d.visit(n, path) {
		return
	}
	if n = d.resolve(n); n == nil {
		return
	}
	d.nodes[path] = n
	if isNull(n) {
		d.null(n, v, path)
		return
	}
	if reflect.PointerTo(v.Type()).Implements(scalarDecoderType) {
		if !d.wantScalar(n, path, "a single value") {
			return
		}
		if err := v.Addr().Interface().(scalarDecoder).decodeScalar(n); err != nil {
			d.fail(n, path, err)
		}
		return
	}
	if v.Type() == durationType {
		d.duration(n, v, path)
		return
	}
	switch v.Kind() {
	case reflect.String:
		if d.wantScalar(n, path, "text") {
			v.SetString(n.Value)
		}
	case reflect.Bool:
		d.boolean(n, v, path)
	case reflect.Int, reflect.Int64:
		d.integer(n, v, path)
	case reflect.Pointer:
		elem := reflect.New(v.Type().Elem())
		d.value(n, elem.Elem(), path)
		v.Set(elem)
		return
	case reflect.Slice:
		d.list(n, v, path)
	case reflect.Map:
		d.dict(n, v, path)
	case reflect.Struct:
		d.structure(n, v, path)
		return
	default:
		panic(fmt.Sprintf("partners: cannot decode into %s", v.Type()))
	}
	if c, ok := v.Addr().Interface().(valueChecker); ok && v.Kind() != reflect.Slice && v.Kind() != reflect.Map {
		if err := c.check(); err != nil {
			d.fail(n, path, err)
		}
	}
}

// null decodes an explicit or implicit null. A struct (or pointer to
// one) is decoded as an empty mapping, so that "sftp:" alone means an sftp
// entry with default options and its required fields are reported; other
// values stay zero.
func (d *decoder) null(n *yaml.Node, v reflect.Value, path string) {
	if !isStructLike(v.Type()) {
		return
	}
	empty := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: n.Line, Column: n.Column}
	if v.Kind() == reflect.Pointer {
		elem := reflect.New(v.Type().Elem())
		d.structure(empty, elem.Elem(), path)
		v.Set(elem)
		return
	}
	d.structure(empty, v, path)
}

// isStructLike reports whether t is a struct or a pointer to one, other
// than the types that decode from a scalar.
func isStructLike(t reflect.Type) bool {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Kind() == reflect.Struct && !reflect.PointerTo(t).Implements(scalarDecoderType)
}

// describe names the kind of a node for "want X, got Y" messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return strconv.Quote(n.Value)
	}
	return "something else"
}

func (d *decoder) wantScalar(n *yaml.Node, path, want string) bool {
	if n.Kind == yaml.ScalarNode {
		return true
	}
	d.failf(n, path, ErrType, "want %s, got %s", want, describe(n))
	return false
}

func (d *decoder) boolean(n *yaml.Node, v reflect.Value, path string) {
	if !d.wantScalar(n, path, "true or false") {
		return
	}
	switch strings.ToLower(n.Value) {
	case "true", "yes", "on":
		v.SetBool(true)
	case "false", "no", "off":
		v.SetBool(false)
	default:
		d.failf(n, path, ErrType, "want true or false, got %s", describe(n))
	}
}

func (d *decoder) integer(n *yaml.Node, v reflect.Value, path string) {
	if !d.wantScalar(n, path, "a whole number") {
		return
	}
	i, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 10, 64)
	if err != nil || n.Value == "" {
		d.failf(n, path, ErrType, "want a whole number, got %s", describe(n))
		return
	}
	v.SetInt(i)
}

func (d *decoder) duration(n *yaml.Node, v reflect.Value, path string) {
	if !d.wantScalar(n, path, "a duration") {
		return
	}
	dur, err := parseDuration(n.Value)
	if err != nil {
		d.fail(n, path, err)
		return
	}
	v.SetInt(int64(dur))
}

// parseDuration reads a Go duration ("90s", "4h", "1h30m"), optionally
// led by whole days ("2d", "1d12h"); "0" is zero. Negative durations are
// refused.
func parseDuration(s string) (time.Duration, error) {
	bad := details(ErrDuration, "%q is not a duration (examples: 30s, 15m, 4h, 2d)", s)
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, bad
	}
	if strings.HasPrefix(t, "-") {
		return 0, details(ErrDuration, "%q is negative", s)
	}
	var days time.Duration
	if i := strings.IndexByte(t, 'd'); i > 0 {
		n, err := strconv.Atoi(t[:i])
		if err != nil || n > 36500 {
			return 0, bad
		}
		days = time.Duration(n) * 24 * time.Hour
		t = t[i+1:]
		if t == "" {
			return days, nil
		}
	}
	dur, err := time.ParseDuration(t)
	if err != nil || dur < 0 {
		return 0, bad
	}
	return days + dur, nil
}

func (d *decoder) list(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.SequenceNode {
		d.failf(n, path, ErrType, "want a list, got %s", describe(n))
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		d.value(item, s.Index(i), indexPath(path, i))
	}
	v.Set(s)
}

func (d *decoder) dict(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.failf(n, path, ErrType, "want a mapping, got %s", describe(n))
		return
	}
	m := reflect.MakeMap(v.Type())
	for _, kv := range d.pairs(n, path) {
		key := kv.key.Value
		p := keyPath(path, key)
		d.keys[p] = kv.key
		elem := reflect.New(v.Type().Elem()).Elem()
		d.value(kv.val, elem, p)
		m.SetMapIndex(reflect.ValueOf(key).Convert(v.Type().Key()), elem)
	}
	v.Set(m)
}

// field is one decodable struct field.
type field struct {
	index    int
	required bool
}

// fieldsOf lists the fields of a struct type by their yaml name.
func fieldsOf(t reflect.Type) (map[string]field, []string) {
	fields := map[string]field{}
	var names []string
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if !f.IsExported() || name == "" || name == "-" {
			continue
		}
		fields[name] = field{index: i, required: f.Tag.Get("required") == "true"}
		names = append(names, name)
	}
	return fields, names
}

func (d *decoder) structure(n *yaml.Node, v reflect.Value, path string) {
	applyDefaults(v)
	if n.Kind != yaml.MappingNode {
		d.failf(n, path, ErrType, "want a mapping, got %s", describe(n))
		return
	}
	fields, names := fieldsOf(v.Type())
	present := map[string]bool{}
	for _, kv := range d.pairs(n, path) {
		key := kv.key.Value
		if strings.HasPrefix(key, "x-") {
			continue // extension keys: free for anchors and notes
		}
		p := keyPath(path, key)
		f, ok := fields[key]
		if !ok {
			d.fail(kv.key, p, unknownKey(key, names))
			continue
		}
		d.keys[p] = kv.key
		fv := v.Field(f.index)
		present[key] = !isNull(d.resolveOrSelf(kv.val)) || isStructLike(fv.Type())
		d.value(kv.val, fv, p)
	}
	for _, name := range names {
		if fields[name].required && !present[name] {
			d.failf(d.where(path), keyPath(path, name), ErrRequired, "is required")
		}
	}
}

func (d *decoder) resolveOrSelf(n *yaml.Node) *yaml.Node {
	if r := d.resolve(n); r != nil {
		return r
	}
	return n
}

// unknownKey builds the message for a key the schema does not define,
// suggesting a close known key.
func unknownKey(key string, known []string) error {
	best, bestDist := "", 3
	for _, k := range known {
		if dist := editDistance(strings.ToLower(key), k); dist < bestDist {
			best, bestDist = k, dist
		}
	}
	if best != "" {
		return details(ErrUnknownKey, "unknown key (did you mean %q?)", best)
	}
	return details(ErrUnknownKey, "unknown key (known keys: %s)", strings.Join(known, ", "))
}

// editDistance is the Levenshtein distance of two short strings.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// applyDefaults sets the defaults of a struct and of its nested
// (non-pointer) structs.
func applyDefaults(v reflect.Value) {
	if df, ok := v.Addr().Interface().(defaulter); ok {
		df.setDefaults()
	}
	for i := range v.NumField() {
		if f := v.Field(i); f.Kind() == reflect.Struct && v.Type().Field(i).IsExported() && f.Type() != durationType {
			applyDefaults(f)
		}
	}
}

// pair is one key and its value in a mapping.
type pair struct{ key, val *yaml.Node }

// pairs lists the key/value pairs of mapping n, expanding merge keys
// ("<<: *base"): explicit keys win over merged ones. Duplicate explicit
// keys and non-scalar keys are reported and dropped.
func (d *decoder) pairs(n *yaml.Node, path string) []pair {
	var out, merged []pair
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := d.resolveOrSelf(n.Content[i]), n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.failf(k, path, ErrType, "want a text key, got %s", describe(k))
			continue
		}
		if k.ShortTag() == "!!merge" {
			merged = append(merged, d.mergePairs(val, path, 0)...)
			continue
		}
		if first, dup := seen[k.Value]; dup {
			d.failf(k, keyPath(path, k.Value), ErrDuplicateKey, "duplicate key (first at line %d)", first.Line)
			continue
		}
		seen[k.Value] = k
		out = append(out, pair{k, val})
	}
	for _, p := range merged {
		if _, ok := seen[p.key.Value]; !ok {
			seen[p.key.Value] = p.key
			out = append(out, p)
		}
	}
	return out
}

// mergePairs returns the pairs a merge key brings in: the mapping it
// names, or the mappings of a list (earlier ones win).
func (d *decoder) mergePairs(n *yaml.Node, path string, depth int) []pair {
	if !d.visit(n, path) || depth > 10 {
		return nil
	}
	n = d.resolveOrSelf(n)
	switch n.Kind {
	case yaml.MappingNode:
		return d.pairs(n, path)
	case yaml.SequenceNode:
		var out []pair
		for _, item := range n.Content {
			out = append(out, d.mergePairs(item, path, depth+1)...)
		}
		return out
	}
	d.failf(n, path, ErrType, "want a mapping to merge, got %s", describe(n))
	return nil
}

// keyPath appends a mapping key to a path: ".name" for simple keys,
// `["odd key"]` otherwise.
func keyPath(path, key string) string {
	if !simpleKey(key) {
		return path + "[" + strconv.Quote(key) + "]"
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

// indexPath appends a list index to a path.
func indexPath(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}

func simpleKey(key string) bool {
	if key == "" {
		return false
	}
	for _, r := range key {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// parentPath drops the last element of a path.
func parentPath(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	// A quoted key may contain "." or "[": step over it as a whole.
	if strings.HasSuffix(path, `"]`) {
		if j := strings.LastIndex(path, `["`); j >= 0 {
			return path[:j]
		}
	}
	return path[:i]
}
