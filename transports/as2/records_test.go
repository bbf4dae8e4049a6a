package as2_test

import (
	"testing"

	"github.com/dockside-edi/dockside/transports/as2"
	"github.com/dockside-edi/dockside/transports/as2/as2test"
)

// TestRecordsContract runs the as2.Records contract suite on bbolt.
func TestRecordsContract(t *testing.T) {
	as2test.Run(t, func(t *testing.T) as2.Records {
		s, err := as2.OpenStore(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}
