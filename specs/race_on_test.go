//go:build race

package specs

// raceEnabled: the race detector slows the exhaustive tests down about
// tenfold, so they try fewer cases under it.
const raceEnabled = true
