package specs

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/dockside-edi/dockside/edi/x12"
)

// AK403 codes used here beyond the x12 package's constants: 005010 added
// 12 and 13 to element 723.
const (
	codeConditionalMissing = x12.ElemConditionalMissing
	codeExclusion          = x12.ElemExclusionViolated
	codeTooManyRepetitions = "12"
	codeTooManyComponents  = "13"
)

// loadFS reads every version folder of fsys (each with elements.json,
// segments.json and one file per set) and links them, failing on the first
// inconsistency.
func loadFS(fsys fs.FS) (*Catalog, error) {
	dirs, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("specs: reading data: %w", err)
	}
	c := &Catalog{releases: map[string]*release{}}
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		rel, err := loadRelease(fsys, d.Name())
		if err != nil {
			return nil, err
		}
		c.releases[rel.version] = rel
		c.versions = append(c.versions, rel.version)
	}
	if len(c.versions) == 0 {
		return nil, &DataError{File: ".", Msg: "no version folders"}
	}
	sort.Strings(c.versions)
	return c, nil
}

func loadRelease(fsys fs.FS, dir string) (*release, error) {
	if len(dir) != 6 || strings.Trim(dir, "0123456789") != "" {
		return nil, &DataError{File: dir, Msg: "version folder must be six digits, e.g. 004010"}
	}
	rel := &release{version: dir, elements: map[string]*Element{}, composites: map[string]*Composite{},
		segments: map[string]*Segment{}, sets: map[string]*Spec{}}

	var ef elementsFile
	if err := readJSON(fsys, path.Join(dir, "elements.json"), &ef); err != nil {
		return nil, err
	}
	if err := rel.addElements(dir+"/elements.json", &ef); err != nil {
		return nil, err
	}
	var sf segmentsFile
	if err := readJSON(fsys, path.Join(dir, "segments.json"), &sf); err != nil {
		return nil, err
	}
	if err := rel.addSegments(dir+"/segments.json", &sf); err != nil {
		return nil, err
	}
	files, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("specs: reading %s: %w", dir, err)
	}
	for _, f := range files {
		name := f.Name()
		if f.IsDir() || name == "elements.json" || name == "segments.json" || !strings.HasSuffix(name, ".json") {
			continue
		}
		file := dir + "/" + name
		var set setFile
		if err := readJSON(fsys, file, &set); err != nil {
			return nil, err
		}
		spec, err := rel.compileSet(file, &set)
		if err != nil {
			return nil, err
		}
		if spec.ID+".json" != name {
			return nil, &DataError{File: file, Msg: fmt.Sprintf("set %q must be in %s.json", spec.ID, spec.ID)}
		}
		rel.sets[spec.ID] = spec
	}
	return rel, nil
}

func readJSON(fsys fs.FS, name string, v any) error {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return &DataError{File: name, Msg: err.Error()}
	}
	if err := decodeStrict(b, v); err != nil {
		return &DataError{File: name, Msg: err.Error()}
	}
	return nil
}

func (rel *release) addElements(file string, ef *elementsFile) error {
	if ef.Version != rel.version {
		return &DataError{File: file, Msg: fmt.Sprintf("version %q in a %s folder", ef.Version, rel.version)}
	}
	for ref, e := range ef.Elements {
		where := "element " + ref
		if ref == "" || strings.Trim(ref, "0123456789") != "" {
			return &DataError{File: file, Where: where, Msg: "reference must be digits"}
		}
		el := &Element{Ref: ref, Name: e.Name, Min: e.Min, Max: e.Max}
		switch {
		case e.Type == "AN":
			el.Type = TypeAN
		case e.Type == "ID":
			el.Type = TypeID
		case e.Type == "DT":
			el.Type = TypeDT
		case e.Type == "TM":
			el.Type = TypeTM
		case e.Type == "R":
			el.Type = TypeR
		case len(e.Type) == 2 && e.Type[0] == 'N' && e.Type[1] >= '0' && e.Type[1] <= '9':
			el.Type, el.Decimals = TypeN, int(e.Type[1]-'0')
		default:
			return &DataError{File: file, Where: where, Msg: fmt.Sprintf("unknown type %q", e.Type)}
		}
		if e.Name == "" {
			return &DataError{File: file, Where: where, Msg: "no name"}
		}
		if el.Min < 1 || el.Max < el.Min {
			return &DataError{File: file, Where: where, Msg: fmt.Sprintf("bad length %d/%d", el.Min, el.Max)}
		}
		if el.Type == TypeDT && (el.Min != el.Max || (el.Min != 6 && el.Min != 8)) {
			return &DataError{File: file, Where: where, Msg: "a date must be 6/6 or 8/8"}
		}
		if e.Codes != "" {
			if el.Type != TypeID {
				return &DataError{File: file, Where: where, Msg: "only ID elements have code lists"}
			}
			list := strings.Fields(e.Codes)
			for _, code := range list {
				if len(code) < el.Min || len(code) > el.Max {
					return &DataError{File: file, Where: where, Msg: fmt.Sprintf("code %q does not fit length %d/%d", code, el.Min, el.Max)}
				}
			}
			el.codes = newCodeSet(list)
		}
		rel.elements[ref] = el
	}
	for id, cj := range ef.Composites {
		comp := &Composite{ID: id, Name: cj.Name}
		rel.composites[id] = comp
		where := "composite " + id
		if !strings.HasPrefix(id, "C") {
			return &DataError{File: file, Where: where, Msg: "composite ids start with C"}
		}
		uses, err := rel.uses(cj.Elements, false)
		if err != nil {
			return &DataError{File: file, Where: where, Msg: err.Error()}
		}
		comp.Elements = uses
		if comp.Rules, err = parseRules(cj.Syntax, len(uses)); err != nil {
			return &DataError{File: file, Where: where, Msg: err.Error()}
		}
		if len(comp.Rules) > 0 {
			comp.index = rel.ruleCaches
			rel.ruleCaches++
		}
	}
	return nil
}

// uses links element entries to the dictionary; composites are allowed
// only in segments (a composite cannot contain a composite).
func (rel *release) uses(entries []string, allowComposite bool) ([]Use, error) {
	if len(entries) == 0 {
		return nil, fmt.Errorf("no elements")
	}
	if len(entries) > 63 {
		return nil, fmt.Errorf("%d elements: at most 63 are supported", len(entries))
	}
	out := make([]Use, len(entries))
	for i, s := range entries {
		r, err := parseElementRef(s)
		if err != nil {
			return nil, fmt.Errorf("element %d: %w", i+1, err)
		}
		u := Use{Ref: r.ref, Req: r.req, Repeat: r.repeat}
		if strings.HasPrefix(r.ref, "C") {
			if !allowComposite {
				return nil, fmt.Errorf("element %d: composite %s inside a composite", i+1, r.ref)
			}
			if u.Composite = rel.composites[r.ref]; u.Composite == nil {
				return nil, fmt.Errorf("element %d: composite %s is not in elements.json", i+1, r.ref)
			}
		} else if u.Element = rel.elements[r.ref]; u.Element == nil {
			return nil, fmt.Errorf("element %d: element %s is not in elements.json", i+1, r.ref)
		}
		out[i] = u
	}
	return out, nil
}

func parseRules(texts []string, count int) ([]Rule, error) {
	var rules []Rule
	for _, t := range texts {
		r, err := parseRule(t, count)
		if err != nil {
			return nil, err
		}
		rules = append(rules, r)
	}
	return rules, nil
}

func (rel *release) addSegments(file string, sf *segmentsFile) error {
	if sf.Version != rel.version {
		return &DataError{File: file, Msg: fmt.Sprintf("version %q in a %s folder", sf.Version, rel.version)}
	}
	for id, sj := range sf.Segments {
		where := "segment " + id
		if !x12.ValidSegmentID(id) {
			return &DataError{File: file, Where: where, Msg: "not a valid segment id"}
		}
		seg := &Segment{ID: id, Name: sj.Name}
		var err error
		if seg.Elements, err = rel.uses(sj.Elements, true); err != nil {
			return &DataError{File: file, Where: where, Msg: err.Error()}
		}
		if seg.Rules, err = parseRules(sj.Syntax, len(seg.Elements)); err != nil {
			return &DataError{File: file, Where: where, Msg: err.Error()}
		}
		seg.fast = compileFast(seg.Elements)
		for i, u := range seg.Elements {
			if u.Req == 'M' {
				seg.lastMandatory = i + 1
			}
		}
		if len(seg.Rules) > 0 {
			seg.index = rel.ruleCaches
			rel.ruleCaches++
		}
		rel.segments[id] = seg
	}
	return nil
}

func (rel *release) compileSet(file string, sf *setFile) (*Spec, error) {
	if sf.Version != rel.version {
		return nil, &DataError{File: file, Msg: fmt.Sprintf("version %q in a %s folder", sf.Version, rel.version)}
	}
	if len(sf.Set) != 3 || strings.Trim(sf.Set, "0123456789") != "" {
		return nil, &DataError{File: file, Msg: fmt.Sprintf("set id %q must be three digits", sf.Set)}
	}
	spec := &Spec{ID: sf.Set, Version: rel.version, Name: sf.Name, FunctionalID: sf.FunctionalID,
		where: map[string]place{}, dict: rel}
	root := &Node{ID: sf.Set, IsLoop: true, Req: 'M', Max: 1}
	b := &setBuilder{rel: rel, spec: spec, file: file}
	content, err := b.nodes(sf.Structure, root, sf.Set, 1)
	if err != nil {
		return nil, err
	}
	root.Content = content
	root.keys = childKeys(content)
	root.first = 0
	spec.root, spec.Structure, spec.slots = root, content, b.slots
	if len(content) < 2 || content[0].ID != "ST" || content[len(content)-1].ID != "SE" {
		return nil, &DataError{File: file, Msg: "structure must start with ST and end with SE"}
	}
	return spec, nil
}

type setBuilder struct {
	rel   *release
	spec  *Spec
	file  string
	slots int
}

// nodes compiles one level of a structure. Each level's children get
// consecutive counter slots, so a new loop iteration resets a range.
func (b *setBuilder) nodes(list []nodeJSON, parent *Node, path string, depth int) ([]*Node, error) {
	if len(list) == 0 {
		return nil, &DataError{File: b.file, Where: path, Msg: "empty loop"}
	}
	if depth > b.spec.depth {
		b.spec.depth = depth
	}
	out := make([]*Node, len(list))
	parent.first = b.slots
	for i := range list {
		out[i] = &Node{slot: b.slots, parent: parent}
		b.slots++
	}
	for i, nj := range list {
		n := out[i]
		n.Max = int(nj.Max)
		switch nj.Req {
		case "M", "O":
			n.Req = nj.Req[0]
		default:
			return nil, &DataError{File: b.file, Where: path, Msg: fmt.Sprintf("entry %d: req must be M or O", i+1)}
		}
		switch {
		case nj.Segment != "" && nj.Loop == "":
			n.ID = nj.Segment
			if n.Segment = b.rel.segments[nj.Segment]; n.Segment == nil {
				return nil, &DataError{File: b.file, Where: path, Msg: fmt.Sprintf("segment %s is not in segments.json", nj.Segment)}
			}
			if len(nj.Content) > 0 {
				return nil, &DataError{File: b.file, Where: path + "/" + nj.Segment, Msg: "a segment has no content"}
			}
			n.trigger = nj.Segment
			n.key, _ = packString(nj.Segment)
			if i == 0 || path == b.spec.ID {
				b.spec.where[n.ID] = placeTop
			} else if _, ok := b.spec.where[n.ID]; !ok {
				b.spec.where[n.ID] = placeInner
			}
		case nj.Loop != "" && nj.Segment == "":
			n.ID, n.IsLoop = nj.Loop, true
			sub := path + "/" + nj.Loop
			content, err := b.nodes(nj.Content, n, sub, depth+1)
			if err != nil {
				return nil, err
			}
			if content[0].IsLoop {
				return nil, &DataError{File: b.file, Where: sub, Msg: "a loop must start with a segment"}
			}
			if content[0].Req != 'M' || content[0].Max != 1 {
				return nil, &DataError{File: b.file, Where: sub, Msg: "a loop's first segment must be M with max 1"}
			}
			n.Content, n.trigger, n.key = content, content[0].ID, content[0].key
			n.keys = childKeys(content)
		default:
			return nil, &DataError{File: b.file, Where: path, Msg: fmt.Sprintf("entry %d: give either segment or loop", i+1)}
		}
	}
	parent.allMandatoryKnown = len(out) <= 64
	for k, n := range out {
		if n.Req == 'M' && k < 64 {
			parent.mandatory |= 1 << uint(k)
		}
	}
	// Two children of one level with the same trigger would make the
	// structure ambiguous only when both can repeat into each other; X12
	// allows it (e.g. N9 in two places), so it is not checked here.
	return out, nil
}

// childKeys returns the keys of nodes, in order.
func childKeys(nodes []*Node) []uint32 {
	keys := make([]uint32, len(nodes))
	for i, n := range nodes {
		keys[i] = n.key
	}
	return keys
}

// String describes the node, e.g. "loop LIN (12)" or "segment BIA".
func (n *Node) String() string {
	if n.IsLoop {
		return "loop " + n.ID + " (" + strconv.Itoa(len(n.Content)) + ")"
	}
	return "segment " + n.ID
}
