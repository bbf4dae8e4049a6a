package gateway

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/dockside-edi/dockside/examples"
	"github.com/dockside-edi/dockside/internal/atomicfile"
)

// DemoPartnersDir is the folder of the data folder data where serve
// writes the embedded demo partners when the configuration names no
// partners folder.
func DemoPartnersDir(data string) string { return filepath.Join(data, "demo-partners") }

// materializeDemo writes the embedded demo partners into the data folder
// (files already there are kept, so an operator's edits survive) and
// returns their folder.
func materializeDemo(data string) (string, error) {
	dir := DemoPartnersDir(data)
	err := fs.WalkDir(examples.Partners, "partners", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel("partners", filepath.FromSlash(p))
		target := filepath.Join(dir, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o750)
		}
		if _, err := os.Stat(target); err == nil {
			return nil
		}
		b, err := examples.Partners.ReadFile(p)
		if err != nil {
			return err
		}
		return atomicfile.WriteFile(target, b, 0o640)
	})
	if err != nil {
		return "", fmt.Errorf("writing %s: %w", dir, err)
	}
	return dir, nil
}
