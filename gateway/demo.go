package gateway

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/dockside-edi/dockside/examples"
	"github.com/dockside-edi/dockside/internal/atomicfile"
)

// DemoPartnersDir is the folder of the data folder data where serve
// writes the embedded demo partners when the configuration names no
// partners folder.
func DemoPartnersDir(data string) string { return filepath.Join(data, "demo-partners") }

// materializeDemo writes the embedded demo partners into the data folder
// (files already there are kept, so an operator's edits survive, unless
// one is an earlier version of a demo file, unedited: see
// retiredDemoFiles) and returns their folder.
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
		b, err := examples.Partners.ReadFile(p)
		if err != nil {
			return err
		}
		if old, err := os.ReadFile(target); err == nil && !retiredDemoFile(rel, old) {
			return nil
		}
		return atomicfile.WriteFile(target, b, 0o640)
	})
	if err != nil {
		return "", fmt.Errorf("writing %s: %w", dir, err)
	}
	return dir, nil
}

// retiredDemoFiles are the SHA-256 sums of earlier versions of the demo
// files that must not stay in a data folder as they were written: the
// demo's shopmart.yaml delivered to https://as2.shopmart.example, and a
// demo must never reach outside the machine; its acme-3pl.yaml took no
// warehouse advices (943/944/945/947) and fulfilled no orders, so the
// demo showed no order routing. An unedited copy is replaced by the
// current version; an edited one is the operator's.
var retiredDemoFiles = map[string][]string{
	"acme-3pl.yaml": {
		"2a7d7e979277c0899cb83ff9b1a6c1ed00a6dd7f3819974667fdeb3371dfd0c8",
		"80f83c75d197295059a36e824abe5882b3d9de1409e64af59eacf2de599b5c6a",
		"b83de662d5c0d027ec9b01f41e1d799a8e5777d308be32ac96e6f20b8d3f61b7",
	},
	"shopmart.yaml": {
		"1b1a2dd92dbb0611849f0adff63b64e1906e8b4052b01a4f2aff94e4dd584a34",
		"9b6e23bca602814347717fbe62378e628f506f0237a2a15f5740e552c8dc661a",
	},
}

// retiredDemoFile reports whether content is an earlier version of the
// demo file rel.
func retiredDemoFile(rel string, content []byte) bool {
	sum := sha256.Sum256(content)
	return slices.Contains(retiredDemoFiles[filepath.ToSlash(rel)], hex.EncodeToString(sum[:]))
}
