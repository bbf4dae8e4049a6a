package partners

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// maxProfileSize bounds a profile file (4 MiB): big tables belong in CSV
// files.
const maxProfileSize = 4 << 20

// Load reads every *.yaml and *.yml file of dir (not its sub-folders;
// names starting with "." are skipped) and validates them together. When
// any profile has a problem it returns a *LoadError listing every one.
// Failing to read the folder or a profile file is returned as a plain
// error; a folder without profiles as an error wrapping ErrNoProfiles.
func Load(dir string) (*Directory, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("reading partners folder: %w", err)
	}
	files := profileNames(entries, func(name string) string { return filepath.Join(dir, name) })
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: %w (want *.yaml or *.yml files)", dir, ErrNoProfiles)
	}
	return LoadFiles(files...)
}

// LoadFiles reads and validates the given profile files together (in
// name order), like Load.
func LoadFiles(files ...string) (*Directory, error) {
	files = slices.Clone(files)
	slices.Sort(files)
	srcs := make([]source, 0, len(files))
	for _, f := range files {
		data, err := readProfile(osFiles{}, f)
		if err != nil {
			return nil, err
		}
		srcs = append(srcs, source{file: f, data: data})
	}
	if len(srcs) == 0 {
		return nil, fmt.Errorf("no files given: %w", ErrNoProfiles)
	}
	return load(srcs, osFiles{})
}

// LoadFS is Load on a file system (an embedded folder of demo profiles,
// say): dir and every file a profile refers to are read from fsys, so
// profile paths must be relative and stay inside it. Folder transport
// paths are kept as written.
func LoadFS(fsys fs.FS, dir string) (*Directory, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("reading partners folder: %w", err)
	}
	files := profileNames(entries, func(name string) string { return path.Join(dir, name) })
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: %w (want *.yaml or *.yml files)", dir, ErrNoProfiles)
	}
	srcs := make([]source, 0, len(files))
	for _, f := range files {
		data, err := readProfile(fsFiles{fsys}, f)
		if err != nil {
			return nil, err
		}
		srcs = append(srcs, source{file: f, data: data})
	}
	return load(srcs, fsFiles{fsys})
}

// profileNames picks the profile files of a folder listing, sorted.
func profileNames(entries []fs.DirEntry, join func(string) string) []string {
	var files []string
	for _, e := range entries {
		name := e.Name()
		ext := strings.ToLower(path.Ext(name))
		if strings.HasPrefix(name, ".") || (ext != ".yaml" && ext != ".yml") || e.IsDir() {
			continue
		}
		files = append(files, join(name))
	}
	slices.Sort(files)
	return files
}

func readProfile(files fileSource, name string) ([]byte, error) {
	f, err := files.open(name)
	if err != nil {
		return nil, fmt.Errorf("reading profile: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxProfileSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading profile %s: %w", name, err)
	}
	return data, nil
}

// source is a profile file's name and content.
type source struct {
	file string
	data []byte
}

// loaded is a decoded profile with the decoder that knows its places.
type loaded struct {
	p *Profile
	d *decoder
}

// load parses, checks and cross-checks profiles.
func load(srcs []source, files fileSource) (*Directory, error) {
	var errs []*ProfileError
	var profiles []loaded
	for _, src := range srcs {
		l, perrs := parseProfile(src.file, src.data, files)
		errs = append(errs, perrs...)
		if l.p != nil {
			profiles = append(profiles, l)
		}
	}
	errs = append(errs, crossCheck(profiles)...)
	errs = append(errs, crossCheckFulfils(profiles)...)
	if len(errs) > 0 {
		sortProfileErrors(errs)
		return nil, &LoadError{Errs: errs}
	}
	ps := make([]*Profile, len(profiles))
	for i, l := range profiles {
		ps[i] = l.p
	}
	return newDirectory(ps), nil
}

// parseProfile decodes and checks one profile file. The profile is nil
// when the file is not a YAML mapping at all.
func parseProfile(file string, data []byte, files fileSource) (loaded, []*ProfileError) {
	fail := func(line, col int, sentinel error, format string, args ...any) (loaded, []*ProfileError) {
		return loaded{}, []*ProfileError{{File: file, Line: line, Column: col, Err: details(sentinel, format, args...)}}
	}
	if len(data) > maxProfileSize {
		return fail(0, 0, ErrTooComplex, "file is larger than %d bytes (put big tables in CSV files)", maxProfileSize)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return fail(0, 0, ErrSyntax, "file is empty")
		}
		line, msg := yamlErrorPlace(err)
		return fail(line, 1, ErrSyntax, "%s", msg)
	}
	var next yaml.Node
	if err := dec.Decode(&next); !errors.Is(err, io.EOF) {
		if err != nil {
			line, msg := yamlErrorPlace(err)
			return fail(line, 1, ErrSyntax, "%s", msg)
		}
		at := &next
		if len(next.Content) > 0 {
			at = next.Content[0]
		}
		return fail(at.Line, at.Column, ErrSyntax, "a second YAML document: one profile per file")
	}
	if len(doc.Content) == 0 {
		return fail(0, 0, ErrSyntax, "file is empty")
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return fail(root.Line, root.Column, ErrType, "want a mapping of profile fields (id, name, role...), got %s", describe(root))
	}
	if pe := checkExpansion(file, root); pe != nil {
		return loaded{}, []*ProfileError{pe}
	}
	d := newDecoder(file)
	p := &Profile{File: file}
	d.value(root, reflect.ValueOf(p).Elem(), "")
	d.done = true
	if !d.halted {
		dir := filepath.Dir(file)
		if _, onDisk := files.(osFiles); !onDisk {
			dir = path.Dir(file)
		}
		c := &checker{d: d, p: p, dir: dir, files: files}
		c.profile()
	}
	return loaded{p: p, d: d}, d.errs
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlErrorPlace splits a go-yaml error into its line (0 if none) and
// message. go-yaml gives no column.
func yamlErrorPlace(err error) (int, string) {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return line, m[2]
	}
	return 0, strings.TrimPrefix(msg, "yaml: ")
}

// claim is one profile's hold on a unique name (id, ISA sender, AS2 id,
// SFTP user).
type claim struct {
	l    loaded
	path string
}

func (c claim) where() string {
	n := c.l.d.where(c.path)
	if n == nil {
		return c.l.p.File
	}
	return fmt.Sprintf("%s:%d:%d", c.l.p.File, n.Line, n.Column)
}

// crossCheck reports ids and identities used by more than one profile,
// at the later profile, naming the earlier one's place.
func crossCheck(profiles []loaded) []*ProfileError {
	var errs []*ProfileError
	ids := map[string]claim{}
	isas := map[string]claim{}
	as2s := map[string]claim{}
	users := map[string]claim{}
	sources := map[string]claim{}
	tokens := map[string]claim{}
	report := func(l loaded, path string, sentinel error, format string, args ...any) {
		errs = append(errs, newProfileError(l.p.File, l.d.where(path), path, details(sentinel, format, args...)))
	}
	for _, l := range profiles {
		p := l.p
		if p.ID != "" {
			if first, dup := ids[p.ID]; dup {
				report(l, "id", ErrDuplicateID, "duplicate id %q (also %s)", p.ID, first.where())
			} else {
				ids[p.ID] = claim{l, "id"}
			}
		}
		seen := map[string]bool{}
		for i, isa := range p.Identities.ISA {
			key := isaKey(isa.Qualifier, isa.ID)
			path := indexPath("identities.isa", i)
			if first, dup := isas[key]; dup && first.l.p != p {
				report(l, path, ErrAmbiguousIdentity, "ISA sender %s is already used by partner %q (%s)", isa, first.l.p.ID, first.where())
			} else if !seen[key] {
				isas[key] = claim{l, path}
				seen[key] = true
			}
		}
		if a := p.Identities.AS2; a != "" {
			if first, dup := as2s[a]; dup {
				report(l, "identities.as2", ErrAmbiguousIdentity, "AS2 id %q is already used by partner %q (%s)", a, first.l.p.ID, first.where())
			} else {
				as2s[a] = claim{l, "identities.as2"}
			}
		}
		if s := p.Identities.SFTP; s != nil && s.User != "" {
			if first, dup := users[s.User]; dup {
				report(l, "identities.sftp.user", ErrAmbiguousIdentity, "SFTP user %q is already used by partner %q (%s)", s.User, first.l.p.ID, first.where())
			} else {
				users[s.User] = claim{l, "identities.sftp.user"}
			}
		}
		if e := p.Events; e != nil && e.Source != "" {
			if first, dup := sources[e.Source]; dup {
				report(l, "events.source", ErrAmbiguousIdentity, "event source %q is already used by partner %q (%s)", e.Source, first.l.p.ID, first.where())
			} else {
				sources[e.Source] = claim{l, "events.source"}
			}
		}
		if e := p.Events; e != nil && e.TokenSHA256 != "" {
			if first, dup := tokens[e.TokenSHA256]; dup {
				report(l, "events.token_sha256", ErrAmbiguousIdentity, "the same token is already partner %q's (%s)", first.l.p.ID, first.where())
			} else {
				tokens[e.TokenSHA256] = claim{l, "events.token_sha256"}
			}
		}
	}
	return errs
}
