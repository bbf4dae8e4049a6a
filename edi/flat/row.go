package flat

// Reader yields the records of a flat file as Rows.
type Reader interface {
	// Read returns the next record. It returns io.EOF after the last one.
	// Errors about the input are *ParseError values; see the package
	// documentation for which of them Read can go on after.
	Read() (*Row, error)
	// Close releases what the reader holds (temporary files of a
	// workbook). It does not close the io.Reader the reader was built on.
	Close() error
}

// Field is one named value of a record.
type Field struct {
	Name  string // configured field name, or header text when all columns are read
	Value string // the value as written in the file (trimmed if configured)
	Place Place  // where the value starts
}

// Row is one record: its named fields in configured order. A field declared
// Optional that the record lacks is absent from Fields.
type Row struct {
	Line   int     // line where the record starts; Excel: row number
	Fields []Field // the record's fields

	index map[string]int // field name -> usual position in Fields; shared, read-only
}

// Get returns the value of the named field and whether the row has it.
// Names are matched exactly.
func (r *Row) Get(name string) (string, bool) {
	f, ok := r.Field(name)
	return f.Value, ok
}

// Place returns where the named field's value sits and whether the row has
// the field.
func (r *Row) Place(name string) (Place, bool) {
	f, ok := r.Field(name)
	return f.Place, ok
}

// Field returns the named field and whether the row has it. When several
// fields share the name, the first is returned.
func (r *Row) Field(name string) (Field, bool) {
	if i, ok := r.index[name]; ok && i < len(r.Fields) && r.Fields[i].Name == name {
		return r.Fields[i], true
	}
	for _, f := range r.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// Values returns the field values in order.
func (r *Row) Values() []string {
	vals := make([]string, len(r.Fields))
	for i, f := range r.Fields {
		vals[i] = f.Value
	}
	return vals
}

// nameIndex maps each name to its first position.
func nameIndex(names []string) map[string]int {
	index := make(map[string]int, len(names))
	for i, n := range names {
		if _, dup := index[n]; !dup {
			index[n] = i
		}
	}
	return index
}
