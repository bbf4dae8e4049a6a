//go:build !race

package specs

// raceEnabled: see race_on_test.go.
const raceEnabled = false
