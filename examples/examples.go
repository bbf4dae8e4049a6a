// Package examples holds the demo configuration that `dockside serve`
// runs with when it is given none: three example partners (a 3PL, a
// marketplace channel and a supplier) with their tables and certificates,
// and sample files for each.
package examples

import "embed"

// Partners holds the demo partner profiles under "partners/".
//
//go:embed partners
var Partners embed.FS
