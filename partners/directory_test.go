package partners

import (
	"errors"
	"testing"
	"testing/fstest"
)

func loadValid(t *testing.T) *Directory {
	t.Helper()
	d, err := Load("testdata/valid")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return d
}

func TestDirectoryLookups(t *testing.T) {
	d := loadValid(t)
	if d.Len() != 3 {
		t.Fatalf("Len = %d, want 3", d.Len())
	}
	tests := []struct {
		name   string
		lookup func() (*Profile, error)
		want   string // profile id, "" for an error
		err    error
	}{
		{"by id", func() (*Profile, error) { return d.ByID("shopmart") }, "shopmart", nil},
		{"by unknown id", func() (*Profile, error) { return d.ByID("nobody") }, "", ErrUnknownPartner},
		{"by ISA", func() (*Profile, error) { return d.ByISA("ZZ", "ACME3PL") }, "acme-3pl", nil},
		{"by ISA padded, other case", func() (*Profile, error) { return d.ByISA("zz", "acme3pl        ") }, "acme-3pl", nil},
		{"by second ISA", func() (*Profile, error) { return d.ByISA("01", "123456789") }, "acme-3pl", nil},
		{"by ISA wrong qualifier", func() (*Profile, error) { return d.ByISA("01", "ACME3PL") }, "", ErrUnknownPartner},
		{"by ISA id alone", func() (*Profile, error) { return d.ByISA("", "SHOPMART") }, "shopmart", nil},
		{"by ISA id alone unknown", func() (*Profile, error) { return d.ByISA("  ", "NOBODY") }, "", ErrUnknownPartner},
		{"by AS2", func() (*Profile, error) { return d.ByAS2(" SHOPMART-AS2 ") }, "shopmart", nil},
		{"by AS2 is case-sensitive", func() (*Profile, error) { return d.ByAS2("shopmart-as2") }, "", ErrUnknownPartner},
		{"by SFTP user", func() (*Profile, error) { return d.BySFTPUser("acme") }, "acme-3pl", nil},
		{"by SFTP user exact", func() (*Profile, error) { return d.BySFTPUser("ACME") }, "", ErrUnknownPartner},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := tt.lookup()
			switch {
			case tt.err != nil:
				if !errors.Is(err, tt.err) || p != nil {
					t.Errorf("got %v, %v; want error %v", p, err, tt.err)
				}
			case err != nil:
				t.Errorf("error %v", err)
			case p.ID != tt.want:
				t.Errorf("got %s, want %s", p.ID, tt.want)
			}
		})
	}
}

// TestByISAAmbiguousID: the same ISA id under two qualifiers in two
// profiles is allowed, but looking it up without qualifier is ambiguous.
func TestByISAAmbiguousID(t *testing.T) {
	d, got, err := loadTestDir(t, map[string]string{
		"a.yaml": "id: a\nname: A\nrole: supplier\nidentities: {isa: [{qualifier: ZZ, id: SAME}]}\n",
		"b.yaml": "id: b\nname: B\nrole: supplier\nidentities: {isa: [{qualifier: '01', id: SAME}]}\n",
	})
	if err != nil {
		t.Fatalf("Load: %v", got)
	}
	if p, err := d.ByISA("01", "SAME"); err != nil || p.ID != "b" {
		t.Errorf("ByISA(01, SAME) = %v, %v", p, err)
	}
	if _, err := d.ByISA("", "SAME"); !errors.Is(err, ErrAmbiguousPartner) {
		t.Errorf("ByISA(\"\", SAME) error = %v, want ErrAmbiguousPartner", err)
	}
}

func TestProfileHelpers(t *testing.T) {
	d := loadValid(t)
	nw, _ := d.ByID("northwind")
	tests := []struct {
		t     DocType
		file  string
		want  DocType
		found bool
	}{
		{DocCSV, "in/NW_STOCK_20250101.csv", DocCSV, true},
		{DocCSV, "other.csv", "", false},
		{DocXLSX, "adjust.xlsx", DocXLSX, true},
		{DocX12846, "x.edi", "", false},
	}
	for _, tt := range tests {
		doc, ok := nw.Document(tt.t, tt.file)
		if ok != tt.found || (ok && doc.Type != tt.want) {
			t.Errorf("Document(%s, %s) = %v, %v", tt.t, tt.file, doc, ok)
		}
	}
	if nw.Location().String() != "Europe/London" {
		t.Errorf("Location = %v", nw.Location())
	}

	acme, _ := d.ByID("acme-3pl")
	items := acme.Table("acme_items")
	for _, c := range []struct{ id, want string }{
		{"AC-1002", "WIDGET-BLUE"},   // first key column
		{"012345678929", "GADGET-S"}, // second key column
	} {
		if got, ok := items.Find(c.id); !ok || got != c.want {
			t.Errorf("Find(%s) = %q, %v; want %q", c.id, got, ok, c.want)
		}
	}
	if _, ok := items.Find(""); ok {
		t.Error("Find(\"\") found a row: empty keys must not be indexed")
	}
	if got, ok := items.FindIn("upc", "AC-1001"); ok {
		t.Errorf("FindIn(upc, AC-1001) = %q: searched the wrong column", got)
	}
	if got, ok := acme.Table("case_packs").FindIn("sku", "GADGET-L"); !ok || got != "6" {
		t.Errorf("case_packs GADGET-L = %q, %v", got, ok)
	}
	if got, ok := acme.Table("acme_warehouses").Find("RNO2"); !ok || got != "reno" {
		t.Errorf("acme_warehouses RNO2 = %q, %v", got, ok)
	}
	conv := acme.Documents[0].Mapping.Units.Convert
	if conv["CA"] != (UnitConversion{Table: "case_packs"}) || conv["DZ"] != (UnitConversion{Factor: 12}) {
		t.Errorf("units = %+v", conv)
	}

	shop, _ := d.ByID("shopmart")
	a := shop.Advice
	if a.Policy.SharePercent != 80 || a.Policy.SafetyStock != 2 || a.Policy.Max != 500 {
		t.Errorf("policy = %+v", a.Policy)
	}
	if a.Schedule.Location().String() != "America/New_York" {
		t.Errorf("schedule zone = %v", a.Schedule.Location())
	}
}

// TestLoadFS loads profiles from an fs.FS, tables included.
func TestLoadFS(t *testing.T) {
	fsys := fstest.MapFS{
		"demo/p.yaml":      {Data: []byte(head + "tables:\n  t:\n    file: t.csv\n    keys: [a]\n    value: b\n")},
		"demo/t.csv":       {Data: []byte("a,b\n1,2\n")},
		"demo/notes.txt":   {Data: []byte("not a profile")},
		"demo/sub/q.yaml":  {Data: []byte("not: loaded")},
		"demo/.hidden.yml": {Data: []byte("not: loaded")},
	}
	d, err := LoadFS(fsys, "demo")
	if err != nil {
		t.Fatalf("LoadFS: %v", err)
	}
	p, err := d.ByID("p")
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := p.Table("t").Find("1"); !ok || got != "2" || p.Table("t").File != "demo/t.csv" {
		t.Errorf("table = %q, %v, file %s", got, ok, p.Table("t").File)
	}
	if _, err := LoadFS(fstest.MapFS{"x/readme": {}}, "x"); !errors.Is(err, ErrNoProfiles) {
		t.Errorf("empty folder: %v, want ErrNoProfiles", err)
	}
}

func TestLoadIOErrors(t *testing.T) {
	if _, err := Load("testdata/does-not-exist"); err == nil || errors.As(err, new(*LoadError)) {
		t.Errorf("missing folder: %v, want a plain I/O error", err)
	}
	if _, err := Load(t.TempDir()); !errors.Is(err, ErrNoProfiles) {
		t.Errorf("empty folder: %v, want ErrNoProfiles", err)
	}
	if _, err := LoadFiles("testdata/valid/nothing.yaml"); err == nil || errors.As(err, new(*LoadError)) {
		t.Errorf("missing file: %v, want a plain I/O error", err)
	}
}

func TestProfileErrorFormat(t *testing.T) {
	tests := []struct {
		e    *ProfileError
		want string
	}{
		{&ProfileError{File: "partners/acme.yaml", Line: 14, Column: 7, Path: "documents[0].mapping.items.lookup", Err: details(ErrUndefinedTable, "table %q is not defined", "sku_xref")},
			`partners/acme.yaml:14:7: documents[0].mapping.items.lookup: table "sku_xref" is not defined`},
		{&ProfileError{File: "partners/acme.yaml", Line: 3, Column: 1, Err: details(ErrSyntax, "bad")},
			`partners/acme.yaml:3:1: bad`},
		{&ProfileError{File: "partners/acme.yaml", Err: details(ErrSyntax, "file is empty")},
			`partners/acme.yaml: file is empty`},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
	le := &LoadError{Errs: []*ProfileError{tests[0].e, tests[1].e}}
	if !errors.Is(le, ErrUndefinedTable) || !errors.Is(le, ErrSyntax) || errors.Is(le, ErrCron) {
		t.Error("LoadError does not unwrap to its problems' sentinels")
	}
	var pe *ProfileError
	if !errors.As(le, &pe) || pe.Line != 14 {
		t.Errorf("errors.As found %v", pe)
	}
}
