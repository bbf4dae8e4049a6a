package inbox

import (
	"testing"
)

func TestHistoryBounded(t *testing.T) {
	var h []Attempt
	for i := 1; i <= maxHistory+10; i++ {
		h = appendAttempt(h, Attempt{N: i})
	}
	if len(h) != maxHistory || h[0].N != 1 || h[1].N != 12 || h[len(h)-1].N != maxHistory+10 {
		t.Errorf("%d attempts: first %d, second %d, last %d", len(h), h[0].N, h[1].N, h[len(h)-1].N)
	}
}
