package specs

import (
	"io/fs"
	"sort"
	"sync"

	"github.com/dockside-edi/dockside/edi/x12"
)

// Catalog holds the transaction set specs of every version in the data. It
// is immutable once loaded and safe for concurrent use.
type Catalog struct {
	releases map[string]*release
	versions []string // sorted
}

var loadEmbedded = sync.OnceValues(func() (*Catalog, error) {
	sub, err := fs.Sub(embedded, "data")
	if err != nil {
		return nil, err
	}
	return loadFS(sub)
})

// Load returns the catalog of the embedded spec data. The data is parsed
// and checked once per process; an inconsistency (an unknown element or
// segment, a bad rule) is an error wrapping ErrBadData.
func Load() (*Catalog, error) { return loadEmbedded() }

// LoadFS reads spec data laid out like the embedded data (one folder per
// version, see the package doc) from fsys. Tests and tools use it to check
// other data.
func LoadFS(fsys fs.FS) (*Catalog, error) { return loadFS(fsys) }

// Versions returns the versions the catalog has specs for, e.g. "004010".
func (c *Catalog) Versions() []string { return append([]string(nil), c.versions...) }

// Sets returns the set ids the catalog has for version, sorted.
func (c *Catalog) Sets(version string) []string {
	rel := c.releases[version]
	if rel == nil {
		return nil
	}
	ids := make([]string, 0, len(rel.sets))
	for id := range rel.sets {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Resolve maps a release (GS08 without its implementation suffix, e.g.
// "004060") to the version whose specs apply: the same version when the
// catalog has it, else the nearest lower version with the same major (the
// first three digits): 004060 and 004050 use 004010. ok is false when there
// is none (e.g. 003040).
func (c *Catalog) Resolve(release string) (version string, ok bool) {
	if len(release) > 6 {
		release = release[:6]
	}
	if _, ok := c.releases[release]; ok {
		return release, true
	}
	if len(release) != 6 {
		return "", false
	}
	for i := len(c.versions) - 1; i >= 0; i-- {
		v := c.versions[i]
		if v[:3] == release[:3] && v < release {
			return v, true
		}
	}
	return "", false
}

// Lookup returns the spec of setID for version, resolving the version as
// Resolve does; Spec.Version says which version was used.
func (c *Catalog) Lookup(setID, version string) (*Spec, bool) {
	v, ok := c.Resolve(version)
	if !ok {
		return nil, false
	}
	s, ok := c.releases[v].sets[setID]
	return s, ok
}

// Segment returns the dictionary definition of a segment in a version (the
// version resolved as Resolve does).
func (c *Catalog) Segment(id, version string) (*Segment, bool) {
	v, ok := c.Resolve(version)
	if !ok {
		return nil, false
	}
	s, ok := c.releases[v].segments[id]
	return s, ok
}

// Support says whether a transaction set could be validated.
type Support uint8

// Possible Support values.
const (
	// Supported: a spec was found and applied.
	Supported Support = iota
	// UnknownSet: the version is known but the catalog has no spec for
	// the set (e.g. a 210 or 214); the result carries AK502 code 1.
	UnknownSet
	// UnknownVersion: the catalog has no version usable for the group's
	// release (e.g. 003040); the result carries AK502 code 1.
	UnknownVersion
)

func (s Support) String() string {
	switch s {
	case Supported:
		return "supported"
	case UnknownSet:
		return "set not supported"
	case UnknownVersion:
		return "version not supported"
	}
	return "unknown"
}

// Outcome is the result of Check: the set's verdict plus which spec gave it.
type Outcome struct {
	Result x12.SetResult
	// Support tells whether a spec was applied. When it is not Supported,
	// Result has the envelope findings and AK502 code 1 (set not
	// supported); the caller may decide to accept such sets unvalidated.
	Support Support
	// Release is the release the group asked for (GS08, e.g. "004060").
	Release string
	// Version is the version of the spec applied ("004010"), "" when none.
	Version string
	// Spec is the spec applied, nil when none.
	Spec *Spec
}

// Fallback reports whether the spec applied is of another version than the
// group's release.
func (o *Outcome) Fallback() bool { return o.Spec != nil && o.Version != o.Release }

// Check validates t against the spec for its set id and its group's
// release, and tells which spec was used.
func (c *Catalog) Check(t *x12.Transaction) Outcome {
	o := Outcome{Release: releaseOf(t)}
	v, ok := c.Resolve(o.Release)
	if !ok {
		o.Support = UnknownVersion
		o.Result = notSupported(t, "no spec for release "+quoteRelease(o.Release))
		return o
	}
	spec := c.releases[v].sets[t.SetID]
	if spec == nil {
		o.Support = UnknownSet
		o.Version = v
		o.Result = notSupported(t, "no spec for transaction set "+quoteRelease(t.SetID)+" in "+v)
		return o
	}
	o.Version, o.Spec = v, spec
	o.Result = spec.Validate(t)
	return o
}

// Validate is Check without the details: the set's result, with AK502 code
// 1 when the catalog has no spec for it.
func (c *Catalog) Validate(t *x12.Transaction) x12.SetResult {
	return c.Check(t).Result
}

// releaseOf returns the release of t's group (GS08 without suffix), or of
// ST03 when the set has no group.
func releaseOf(t *x12.Transaction) string {
	if t.Group != nil {
		return t.Group.Release()
	}
	if len(t.ImplRef) >= 6 {
		return t.ImplRef[:6]
	}
	return t.ImplRef
}

func notSupported(t *x12.Transaction, why string) x12.SetResult {
	res := x12.NewSetResult(t)
	res.Codes = append(res.Codes[:len(res.Codes):len(res.Codes)], x12.SetNotSupported)
	res.Envelope = append(res.Envelope[:len(res.Envelope):len(res.Envelope)], x12.EnvelopeError{
		Code: x12.SetNotSupported, Segment: "ST", Element: 1, Pos: t.Pos, Msg: why,
	})
	res.Finish()
	return res
}

func quoteRelease(s string) string { return `"` + s + `"` }
